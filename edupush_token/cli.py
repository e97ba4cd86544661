"""The ``edupush-token`` command."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

DEFAULT_DEMO_DIRECTORY = Path("var") / "demo"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="edupush-token",
        description="The edupushplus push token for eduMFA: local demo and tools.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = commands.add_parser(
        "demo",
        help="start a local eduMFA with the plugin on SQLite and run a full enrollment and login",
        description=(
            "Prepares a local eduMFA (SQLite, keys and admin generated on first run) in DIRECTORY, "
            "serves it on 127.0.0.1, and walks an emulated eduMFA Authenticator app through "
            "enrollment, an approved login, a declined login and a push_wait login."
        ),
    )
    demo.add_argument("--directory", type=Path, default=DEFAULT_DEMO_DIRECTORY, help="where the local eduMFA lives (default: %(default)s)")
    demo.add_argument("--port", type=int, default=5000, help="port on 127.0.0.1 (0 picks a free one; default: %(default)s)")
    demo.add_argument("--once", action="store_true", help="stop the server after the demo instead of keeping it running")
    args = parser.parse_args(argv)
    return run_demo(args.directory, args.port, args.once)


def run_demo(directory: Path, port: int, once: bool) -> int:
    from .devtools import demo
    from .edumfa_plugin.local_instance import LocalInstance, ServedInstance

    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))  # stops the server child too
    print(f"Preparing a local eduMFA with the edupushplus plugin in {directory} ...", flush=True)
    instance = LocalInstance(directory).prepare()
    with ServedInstance(instance.directory, port=port) as url:
        print(f"eduMFA is serving at {url}")
        try:
            demo.run(url, instance.admin_password)
        except demo.DemoFailed as failure:
            print(f"\nDEMO FAILED: {failure}", file=sys.stderr)
            return 1
        print(f"\nThe demo succeeded. eduMFA: {url}  admin: admin / {instance.admin_password}")
        if once:
            return 0
        print("The server keeps running for you to try it; press Ctrl-C to stop.", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
