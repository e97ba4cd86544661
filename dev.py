#!/usr/bin/env python3
"""Developer entry point that needs nothing but python3.

    python3 dev.py test [pytest arguments]   lint (ruff), type-check (mypy), then run the test suite
    python3 dev.py demo [demo arguments]     run the demo
    python3 dev.py bench [bench arguments]   run the benchmark (docs/benchmarks.md)

Each first makes sure ``.venv`` exists and holds this checkout installed with
the extras it needs (``test``, which includes the dev tools; ``demo`` only the
``dev`` extra; ``bench`` adds the bench extras: matplotlib, psycopg2); the
install is redone whenever pyproject.toml changes.
"""

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / "edupush-token-installed-from"


def venv_executable(name):
    return VENV / ("Scripts" if os.name == "nt" else "bin") / name


def say(message):
    print(f"dev.py: {message}", flush=True)


def ensure_venv(extras):
    """Install this checkout with ``extras`` (and any installed before) unless already done."""
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    installed_hash, installed_extras = "", set()
    if STAMP.exists():
        installed_hash, _, extras_line = STAMP.read_text().partition("\n")
        installed_extras = set(extras_line.split()) or {"test"}  # older stamps: test only
    if not venv_executable("python").exists():
        say(f"creating {VENV}")
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
        installed_extras = set()
    elif installed_hash.strip() == wanted and set(extras) <= installed_extras:
        say(".venv is up to date")
        return
    extras = sorted(set(extras) | installed_extras)
    target = f".[{','.join(extras)}]"
    say(f'installing -e "{target}" into .venv')
    command = [
        str(venv_executable("python")),
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
    STAMP.write_text(wanted + "\n" + " ".join(extras) + "\n")


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
    ensure_venv({"test": ["test"], "demo": ["dev"], "bench": ["test", "bench"]}[command])
    if command == "test":
        check([str(venv_executable("ruff")), "check", "."])
        check([str(venv_executable("ruff")), "format", "--check", "."])
        check([str(venv_executable("mypy"))])
        run([str(venv_executable("python")), "-m", "pytest", *extra])
    if command == "bench":
        run([str(venv_executable("python")), "-m", "bench", *extra])
    run([str(venv_executable("edupush-token")), "demo", *extra])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
