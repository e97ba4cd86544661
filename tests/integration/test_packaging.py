"""The ready policy sets ship inside the wheel, from their one copy in policies/."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel built from this checkout with the build backend pyproject.toml names."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "--disable-pip-version-check",
            "--wheel-dir",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    [built] = out.glob("edupush_token-*.whl")
    return built


def test_the_wheel_carries_every_policy_set_unchanged(wheel):
    with zipfile.ZipFile(wheel) as archive:
        shipped = {
            Path(name).name: archive.read(name)
            for name in archive.namelist()
            if name.startswith("edupush_token/policies/")
        }
    assert shipped == {path.name: path.read_bytes() for path in (ROOT / "policies").iterdir()}


def test_an_installed_wheel_finds_its_policy_sets(wheel, tmp_path):
    """Imported from the unpacked wheel alone (-S: no site-packages, so not this checkout)."""
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(tmp_path / "installed")
    program = (
        "from edupush_token import policy_sets\n"
        "print(policy_sets.__file__)\n"
        "for name, path in policy_sets.ready_sets().items():\n"
        "    print(name, [policy['name'] for policy in policy_sets.read(path)])\n"
    )
    result = subprocess.run(
        [sys.executable, "-S", "-c", program],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(tmp_path / "installed")},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    module_file, *sets = result.stdout.splitlines()
    assert module_file.startswith(str(tmp_path / "installed"))
    assert sets == [
        "edupushplus-enroll-at-login ['edupushplus-enroll-at-login']",
        "edupushplus-poll-only ['edupushplus-enrollment', 'edupushplus-authentication']",
        "edupushplus-push-wait ['edupushplus-push-wait']",
    ]
