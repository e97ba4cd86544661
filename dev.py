#!/usr/bin/env python3
"""Developer entry point that needs nothing but python3.

    python3 dev.py test [pytest arguments]   lint (ruff), type-check (mypy), then run the tests on both hosts
    python3 dev.py demo [demo arguments]     run the demo
    python3 dev.py bench [bench arguments]   run the benchmark on eduMFA (docs/benchmarks.md)
    python3 dev.py bench --host privacyidea [bench arguments]   the same on privacyIDEA

Each first makes sure ``.venv`` exists and holds this checkout installed with
the extras it needs (``test``, which includes the dev tools; ``demo`` only the
``dev`` extra; ``bench`` adds the bench extras: matplotlib, psycopg2), and the
host extra ``edumfa``; the install is redone whenever pyproject.toml changes.
``bench --host privacyidea`` uses ``.venv-privacyidea`` instead (host extra
``privacyidea``).

``test`` also makes ``.venv-privacyidea`` (``test`` and ``privacyidea``: the two
hosts pin their libraries differently, so each has its own environment), runs
the whole suite on eduMFA, then the host-generic tests (marked ``both_hosts``)
on privacyIDEA.  Pytest arguments go to both runs.
"""

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
EDUMFA_VENV = ROOT / ".venv"
PRIVACYIDEA_VENV = ROOT / ".venv-privacyidea"
STAMP_NAME = "edupush-token-installed-from"
# Where the host-generic tests are; the privacyIDEA run collects only the modules marked both_hosts there.
HOST_GENERIC_TESTS = ["tests/integration", "tests/e2e"]
NO_TESTS_COLLECTED = 5  # pytest's exit code


def venv_executable(name, environment=EDUMFA_VENV):
    return environment / ("Scripts" if os.name == "nt" else "bin") / name


def say(message):
    print(f"dev.py: {message}", flush=True)


def ensure_venv(extras, environment=EDUMFA_VENV):
    """Install this checkout into ``environment`` with ``extras`` (and any installed before) unless already done."""
    stamp = environment / STAMP_NAME
    name = environment.name
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    installed_hash, installed_extras = "", set()
    if stamp.exists():
        installed_hash, _, extras_line = stamp.read_text().partition("\n")
        installed_extras = set(extras_line.split()) or {"test"}  # older stamps: test only
    if not venv_executable("python", environment).exists():
        say(f"creating {environment}")
        venv.EnvBuilder(with_pip=True, clear=True).create(environment)
        installed_extras = set()
    elif installed_hash.strip() == wanted and set(extras) <= installed_extras:
        say(f"{name} is up to date")
        return
    extras = sorted(set(extras) | installed_extras)
    target = f".[{','.join(extras)}]"
    say(f'installing -e "{target}" into {name}')
    command = [
        str(venv_executable("python", environment)),
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "-e",
        target,
    ]
    result = subprocess.run(command, cwd=ROOT)
    if result.returncode != 0:
        say("pip install failed")
        sys.exit(result.returncode)
    stamp.write_text(wanted + "\n" + " ".join(extras) + "\n")


def check(command):
    """Run ``command`` to completion; stop here if it fails."""
    say(" ".join(command))
    result = subprocess.run(command, cwd=ROOT)
    if result.returncode != 0:
        say(f"{Path(command[0]).name} failed")
        sys.exit(result.returncode)


def run(command):
    """Become ``command``, so its exit code and signals need no relaying."""
    say(" ".join(command))
    os.chdir(ROOT)
    os.execv(command[0], command)


def main(argv):
    if not argv or argv[0] not in ("test", "demo", "bench"):
        print(__doc__.strip())
        return 2
    command, extra = argv[0], argv[1:]
    if command == "bench" and bench_host(extra) == "privacyidea":
        ensure_venv(["test", "bench", "privacyidea"], PRIVACYIDEA_VENV)
        run([str(venv_executable("python", PRIVACYIDEA_VENV)), "-m", "bench", *extra])
    ensure_venv({"test": ["test"], "demo": ["dev"], "bench": ["test", "bench"]}[command] + ["edumfa"])
    if command == "test":
        ensure_venv(["test", "privacyidea"], PRIVACYIDEA_VENV)
        check([str(venv_executable("ruff")), "check", "."])
        check([str(venv_executable("ruff")), "format", "--check", "."])
        check([str(venv_executable("mypy"))])
        check([str(venv_executable("python")), "-m", "pytest", *extra])
        arguments = extra or HOST_GENERIC_TESTS
        command = [str(venv_executable("python", PRIVACYIDEA_VENV)), "-m", "pytest", *arguments]
        say(" ".join(command))
        code = subprocess.run(command, cwd=ROOT).returncode
        if code == NO_TESTS_COLLECTED:
            say("none of these tests runs on privacyIDEA (none is marked both_hosts)")
            return 0
        return code
    if command == "bench":
        run([str(venv_executable("python")), "-m", "bench", *extra])
    run([str(venv_executable("edupush-token")), "demo", *extra])


def bench_host(arguments):
    """The value of the bench's ``--host`` (``--host X`` or ``--host=X``), or None."""
    for index, argument in enumerate(arguments):
        if argument == "--host" and index + 1 < len(arguments):
            return arguments[index + 1]
        if argument.startswith("--host="):
            return argument.partition("=")[2]
    return None


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
