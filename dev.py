#!/usr/bin/env python3
"""Developer entry point that needs nothing but python3.

    python3 dev.py test [pytest arguments]   run the test suite
    python3 dev.py demo [demo arguments]     run the demo
    python3 dev.py bench [bench arguments]   run the benchmark (bench/README.md)

Each first makes sure ``.venv`` exists and holds this checkout installed with
its test extras; the install is redone whenever pyproject.toml changes.
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


def ensure_venv():
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if not venv_executable("python").exists():
        say(f"creating {VENV}")
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    elif STAMP.exists() and STAMP.read_text().strip() == wanted:
        say(".venv is up to date")
        return
    say('installing -e ".[test]" into .venv')
    command = [str(venv_executable("python")), "-m", "pip", "install",
               "--quiet", "--disable-pip-version-check", "-e", ".[test]"]
    result = subprocess.run(command, cwd=ROOT)
    if result.returncode != 0:
        say("pip install failed")
        sys.exit(result.returncode)
    STAMP.write_text(wanted + "\n")


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
    ensure_venv()
    if command == "test":
        run([str(venv_executable("python")), "-m", "pytest", *extra])
    if command == "bench":
        run([str(venv_executable("python")), "-m", "bench", *extra])
    run([str(venv_executable("edupush-token")), "demo", *extra])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
