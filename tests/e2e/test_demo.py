"""The README's main command: `edupush-token demo` tells the whole story and succeeds."""

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.e2e


def run_demo(directory, env=None):
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "edupush_token.cli",
            "demo",
            "--directory",
            str(directory),
            "--port",
            "0",
            "--fcm-port",
            "0",
            "--once",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


def test_the_demo_runs_the_full_story(tmp_path):
    result = run_demo(tmp_path / "demo")
    assert result.returncode == 0, result.stdout + result.stderr
    for expected in (
        "edumfa-push://edumfa/",
        "enrolled",
        "Firebase delivers the push",
        "ACCEPT: alice is logged in",
        "login: REJECT",
        "open login requests: 0",
        "otpauth://pipush/",
        "the phone offers",
        ": ACCEPT",
        "instead of",
        "The demo succeeded",
    ):
        assert expected in result.stdout


def test_the_demo_runs_again_in_its_directory_with_the_stand_in_on_another_port(tmp_path):
    assert run_demo(tmp_path / "demo").returncode == 0
    again = run_demo(tmp_path / "demo")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "edumfa.cfg follows it" in again.stdout and "The demo succeeded" in again.stdout


def test_without_the_dev_extra_the_demo_names_the_install_command(tmp_path):
    """segno missing, as after a plain `pip install edupush-token`: a message, not a traceback."""
    (tmp_path / "segno.py").write_text("raise ModuleNotFoundError(\"No module named 'segno'\", name='segno')\n")
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    result = run_demo(tmp_path / "demo", env=environment)
    assert result.returncode == 2
    assert 'pip install "edupush-token[dev]"' in result.stderr and "'segno'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "demo").exists()
