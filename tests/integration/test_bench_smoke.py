"""The benchmark still runs every workload end to end, for both token types, on the installed host.

One call per series on SQLite and no timing assertions: benchmarks are not
tests.  On eduMFA the built-in is ``edupush``, on privacyIDEA ``push`` (its
results are named ``bench-privacyidea-*``).  The chart is drawn where
matplotlib is installed (the ``bench`` extra, which ``python3 dev.py bench``
installs).
"""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from edupush_token.devtools.local_instance import installed_host

pytestmark = pytest.mark.both_hosts
ROOT = Path(__file__).resolve().parents[2]
ROWS = {
    "enroll-pool-full",
    "enroll-pool-empty",
    "poll-10-open",
    "poll-10-open-first",
    "poll-none-open",
    "push-wait",
    "trigger-fcm-0ms",
    "answer",
    "poll-first-1-open-fcm",
    "trigger-poll-only",
    "poll-first-1-open",
    "answer-poll-only",
}
# Per host: the results' name and the built-in token the bench compares with.
EXPECTED = {
    "edumfa": ("bench-sqlite", "edupush (eduMFA built-in)"),
    "privacyidea": ("bench-privacyidea-sqlite", "push (privacyIDEA built-in)"),
}
HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None


def test_every_workload_reports_both_token_types_and_their_ratio(tmp_path):
    command = [
        sys.executable,
        "-m",
        "bench",
        "--calls",
        "1",
        "--warmup",
        "0",
        "--latency",
        "0",
        "--key-pool-size",
        "1",
        "--output",
        str(tmp_path),
    ]
    result = subprocess.run(
        command + ([] if HAS_MATPLOTLIB else ["--no-chart"]), cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-4000:]

    name, builtin = EXPECTED[installed_host()]
    report = json.loads((tmp_path / f"{name}.json").read_text())
    assert report["problems"] == []
    assert report["setup"]["builtin_label"] == builtin
    rows = {row["key"]: row for row in report["rows"]}
    assert set(rows) == ROWS
    for row in rows.values():
        assert len(row["samples_ms"]["built-in"]) == 1 and len(row["samples_ms"]["ours"]) == 1, row["key"]
        assert set(row["ratios_ours_over_built_in"]) == {"median", "p95"}, row["key"]

    table = (tmp_path / f"{name}.md").read_text()
    assert table == result.stdout
    assert f"{builtin} and ours" in table
    assert all(row["label"] in table for row in rows.values())
    assert (tmp_path / f"{name}.png").exists() == HAS_MATPLOTLIB
