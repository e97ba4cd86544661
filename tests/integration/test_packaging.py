"""Release artifacts: ``python -m build`` makes an sdist and a wheel that PyPI would accept, the host is
an extra, and the wheel, installed on its own with eduMFA in a clean virtualenv, serves logins."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

from edupush_token import __version__

ROOT = Path(__file__).resolve().parents[2]
EDUMFA_VERSION = metadata.version("edumfa")  # the eduMFA this test suite runs against


@pytest.fixture(scope="module")
def distributions(tmp_path_factory) -> dict:
    """The sdist and the wheel built from it, as ``python -m build`` makes them for a release."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return {
        "sdist": out / f"edupush_token-{__version__}.tar.gz",
        "wheel": out / f"edupush_token-{__version__}-py3-none-any.whl",
    }


@pytest.fixture(scope="module")
def wheel(distributions) -> Path:
    return distributions["wheel"]


def test_the_distributions_pass_twine_check(distributions):
    result = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *map(str, distributions.values())],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_sdist_carries_the_changelog(distributions):
    result = subprocess.run(["tar", "-tzf", str(distributions["sdist"])], capture_output=True, text=True, check=True)
    assert f"edupush_token-{__version__}/CHANGELOG.md" in result.stdout.split()


def test_the_wheel_carries_every_policy_set_unchanged(wheel):
    with zipfile.ZipFile(wheel) as archive:
        shipped = {
            Path(name).name: archive.read(name)
            for name in archive.namelist()
            if name.startswith("edupush_token/policies/")
        }
    assert shipped == {path.name: path.read_bytes() for path in (ROOT / "policies").iterdir()}


def test_the_host_is_an_extra_not_a_dependency(wheel):
    """One host's exact pins must not land in the other's environment: each host is an extra."""
    with zipfile.ZipFile(wheel) as archive:
        [metadata_name] = [name for name in archive.namelist() if name.endswith(".dist-info/METADATA")]
        requirements = [
            line.split(":", 1)[1].strip()
            for line in archive.read(metadata_name).decode().splitlines()
            if line.startswith("Requires-Dist:")
        ]
    hosts = {host: [r for r in requirements if r.lower().startswith(host)] for host in ("edumfa", "privacyidea")}
    assert hosts["edumfa"] == ['edumfa<3,>=2.9; extra == "edumfa"']
    assert hosts["privacyidea"] == ['privacyidea<3.15,>=3.14; extra == "privacyidea"']


LIST_POLICY_SETS = """
from edupush_token import policy_sets
print(policy_sets.__file__)
for name, path in policy_sets.ready_sets().items():
    print(name, [policy["name"] for policy in policy_sets.read(path)])
"""


def test_the_wheel_alone_next_to_edumfa_serves_logins(wheel, tmp_path):
    """A clean virtualenv: the wheel (not this checkout) and eduMFA from the package index.

    The demo enrolls an emulated phone and logs in against a served eduMFA, which
    also creates the plugin's tables from the revisions in the wheel.
    """
    environment = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(environment)
    python = environment / "bin" / "python"
    command = environment / "bin" / "edupush-token"
    # Nothing of this checkout's environment: PYTHONPATH would make pip take the checkout for installed.
    clean = {name: value for name, value in os.environ.items() if not name.startswith("PYTHON")}
    clean["PATH"] = f"{environment / 'bin'}{os.pathsep}{clean.get('PATH', '')}"

    def run(*arguments: str, timeout: int = 300) -> str:
        result = subprocess.run(arguments, cwd=tmp_path, capture_output=True, text=True, timeout=timeout, env=clean)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    run(*pip, f"{wheel}[dev,edumfa]", f"edumfa=={EDUMFA_VERSION}", timeout=600)
    module_file, *installed_sets = run(str(python), "-c", LIST_POLICY_SETS).splitlines()
    assert module_file.startswith(str(environment))
    in_checkout = subprocess.run([sys.executable, "-c", LIST_POLICY_SETS], capture_output=True, text=True, check=True)
    assert installed_sets == in_checkout.stdout.splitlines()[1:] and len(installed_sets) >= 4
    assert run(str(command), "--version") == f"edupush-token {__version__}\n"
    demo = run(str(command), "demo", "--once", "--port", "0", "--fcm-port", "0", "--directory", "demo")
    assert "ACCEPT: alice is logged in" in demo and "The demo succeeded." in demo
    migrated = run(str(command), "migrate", "--config", str(tmp_path / "demo" / "edumfa.cfg"))
    assert "nothing to do" in migrated
