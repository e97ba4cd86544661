"""`edupush-token serve`: a local eduMFA with the plugin and the ready policy set, URL and credentials printed."""

from __future__ import annotations

import re
import subprocess
import sys
import time

import pytest
import requests

from edupush_token import catalogue

pytestmark = pytest.mark.e2e

SERVING = re.compile(r"^eduMFA is serving at (\S+)$")
ADMIN = re.compile(r"^  admin: +admin / (\S+)$")


def serve(directory, *args):
    """Start `edupush-token serve`; return (process, output lines up to "Press Ctrl-C")."""
    process = subprocess.Popen(
        [sys.executable, "-m", "edupush_token.cli", "serve", "--directory", str(directory), "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = []
    deadline = time.monotonic() + 120
    for line in process.stdout:
        lines.append(line.rstrip("\n"))
        if line.startswith("Press Ctrl-C") or time.monotonic() > deadline:
            break
    return process, lines


def stop(process):
    process.terminate()
    process.wait(timeout=30)
    process.stdout.close()


def value(pattern, lines):
    [found] = [match.group(1) for match in map(pattern.match, lines) if match]
    return found


def test_serves_a_ready_edumfa_and_a_second_start_reuses_it(tmp_path):
    process, lines = serve(tmp_path / "edumfa")
    try:
        assert "Press Ctrl-C to stop." in lines, "\n".join(lines)
        url, password = value(SERVING, lines), value(ADMIN, lines)
        assert any("Generating the audit signing keys ... done" in line for line in lines)
        assert "    policy edupushplus-enrollment: added" in lines
        token = requests.post(f"{url}/auth", json={"username": "admin", "password": password}, timeout=30).json()
        policy = requests.get(
            f"{url}/policy/edupushplus-enrollment",
            timeout=30,
            headers={"Authorization": token["result"]["value"]["token"]},
        ).json()
        registration_url = policy["result"]["value"][0]["action"][catalogue.REGISTRATION_URL.name]
        assert registration_url == url + catalogue.ENDPOINT_PATH
        assert f"  phones register at {registration_url}" in lines
    finally:
        stop(process)

    process, lines = serve(tmp_path / "edumfa", "--public-url", "https://mfa.example.edu/")
    try:
        assert value(ADMIN, lines) == password
        assert not any("Generating" in line for line in lines)
        assert "    policy edupushplus-enrollment: updated (action)" in lines
        assert "    policy edupushplus-authentication: unchanged" in lines
        assert f"  phones register at https://mfa.example.edu{catalogue.ENDPOINT_PATH}" in lines
    finally:
        stop(process)


def test_a_different_database_for_an_existing_directory_is_refused(tmp_path):
    process, _lines = serve(tmp_path / "edumfa")
    stop(process)
    process, lines = serve(tmp_path / "edumfa", "--database-url", "postgresql+psycopg2://u:p@127.0.0.1/edumfa")
    process.wait(timeout=30)
    process.stdout.close()
    assert process.returncode == 2
    assert any("already exists and is kept" in line for line in lines)


def test_serves_on_postgresql(tmp_path, postgres_database):
    process, lines = serve(tmp_path / "edumfa", "--database-url", postgres_database)
    try:
        assert "Press Ctrl-C to stop." in lines, "\n".join(lines)
        assert "    policy edupushplus-enrollment: added" in lines
        token = requests.post(
            f"{value(SERVING, lines)}/auth", timeout=30, json={"username": "admin", "password": value(ADMIN, lines)}
        ).json()
        assert token["result"]["status"] is True
    finally:
        stop(process)
    assert postgres_database in (tmp_path / "edumfa" / "edumfa.cfg").read_text()
