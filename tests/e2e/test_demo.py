"""The README's main command: `edupush-token demo` tells the whole story and succeeds."""

import subprocess
import sys

import pytest

pytestmark = pytest.mark.e2e


def test_the_demo_runs_the_full_story(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "edupush_token.cli", "demo", "--directory", str(tmp_path / "demo"), "--port", "0", "--fcm-port", "0", "--once"],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for expected in ("edumfa-push://edumfa/", "enrolled", "Firebase delivers the push", "ACCEPT: alice is logged in", "login: REJECT", "open login requests: 0", "The demo succeeded"):
        assert expected in result.stdout
