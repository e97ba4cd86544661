"""`edupush-token deliveries` shows admins what became of each push."""

import subprocess
import sys


def run_cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "edupush_token.cli", *args], capture_output=True, text=True, timeout=120
    )


def test_lists_recent_pushes_with_their_state(instance, enrolled, trigger):
    trigger()
    trigger("alice")
    result = run_cli("deliveries", "--config", str(instance.config_file), "--serial", enrolled.serial)
    assert result.returncode == 0, result.stderr
    table, summary = result.stdout.strip().split("\n\n")
    header, *rows = table.splitlines()
    assert header.split()[:3] == ["created", "(UTC)", "serial"]
    assert len(rows) == 2
    assert all(enrolled.serial in row and "poll-only" in row for row in rows)
    assert summary == "outbox: 2 poll-only; 0 overdue"


def test_limit(instance, enrolled, trigger):
    for _ in range(3):
        trigger()
    result = run_cli("deliveries", "--config", str(instance.config_file), "--limit", "1")
    assert len(result.stdout.strip().split("\n\n")[0].splitlines()) == 2


def test_a_missing_configuration_is_a_clear_error(tmp_path):
    result = run_cli("deliveries", "--config", str(tmp_path / "nowhere.cfg"))
    assert result.returncode == 2
    assert "No eduMFA configuration" in result.stderr
