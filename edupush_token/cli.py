"""The ``edupush-token`` command."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path
from typing import Optional

from .webui import command as webui_command

DEFAULT_DEMO_DIRECTORY = Path("var") / "demo"
DEFAULT_FAKE_FCM_SERVICE_ACCOUNT = Path("var") / "fake-fcm" / "service-account.json"


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
    demo.add_argument("--fcm-port", type=int, default=8765, help="port of the local FCM stand-in the demo delivers through (default: %(default)s)")
    fake_fcm = commands.add_parser(
        "fake-fcm",
        help="serve a local stand-in for Firebase Cloud Messaging that the real firebase-admin SDK talks to",
        description=(
            "Serves Google's service-account OAuth token endpoint and FCM's HTTP v1 send endpoint on "
            "127.0.0.1, writes a service-account file whose token_uri points at it (if the file is "
            "missing), records every push and can be steered (faults, latency, unregistered tokens) "
            "over HTTP under /_fake/."
        ),
    )
    fake_fcm.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (0 picks a free one; default: %(default)s)")
    fake_fcm.add_argument("--service-account", type=Path, default=DEFAULT_FAKE_FCM_SERVICE_ACCOUNT,
                          help="service-account JSON to write if missing, or to trust (default: %(default)s)")
    fake_fcm.add_argument("--project", default=None, help="Firebase project ID of a new service account (default: edupush-demo)")
    fake_fcm.add_argument("--latency", type=float, default=0.0, help="seconds added to every send request (default: %(default)s)")
    deliveries = commands.add_parser(
        "deliveries",
        help="show what became of recent pushes (queued, sent with FCM message id, failed and why)",
        description="Reads the delivery records of the eduMFA configured in CONFIG (its edumfa.cfg).",
    )
    deliveries.add_argument("--config", default="/etc/edumfa/edumfa.cfg", help="eduMFA's configuration file (default: %(default)s)")
    deliveries.add_argument("--serial", help="only this token")
    deliveries.add_argument("--limit", type=int, default=50, help="how many, newest first (default: %(default)s)")
    webui_command.register(commands)
    args = parser.parse_args(argv)
    if args.command == "webui":
        return webui_command.run(args)
    if args.command == "fake-fcm":
        return run_fake_fcm(args.port, args.service_account, args.project, args.latency)
    if args.command == "deliveries":
        return show_deliveries(args.config, args.serial, args.limit)
    return run_demo(args.directory, args.port, args.once, args.fcm_port)


def run_demo(directory: Path, port: int, once: bool, fcm_port: int) -> int:
    from .devtools import demo
    from .devtools.fake_fcm import FakeFCM
    from .edumfa_plugin.local_instance import LocalInstance, ServedInstance

    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))  # stops the server child too
    with FakeFCM(port=fcm_port) as fcm:
        print(f"Preparing a local eduMFA with the edupushplus plugin in {directory} ...", flush=True)
        instance = LocalInstance(directory, extra_config={"EDUPUSH_FCM_URL": fcm.base_url}).prepare()
        with ServedInstance(instance.directory, port=port) as url:
            print(f"eduMFA is serving at {url}; the local FCM stand-in at {fcm.base_url}")
            return _tell_story(demo, url, instance, fcm, once)


def _tell_story(demo, url, instance, fcm, once: bool) -> int:
    try:
        demo.run(url, instance.admin_password, fcm, instance.directory)
    except demo.DemoFailed as failure:
        print(f"\nDEMO FAILED: {failure}", file=sys.stderr)
        return 1
    print(f"\nThe demo succeeded. eduMFA: {url}  admin: admin / {instance.admin_password}")
    print(f"What became of each push: edupush-token deliveries --config {instance.config_file}")
    if once:
        return 0
    print("The servers keep running for you to try them; press Ctrl-C to stop.", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print()
    return 0


def show_deliveries(config_file: str, serial: Optional[str], limit: int) -> int:
    from .edumfa_plugin.reports import delivery_rows, format_table

    if not Path(config_file).is_file():
        print(f"No eduMFA configuration at {config_file}; pass --config.", file=sys.stderr)
        return 2
    print(format_table(delivery_rows(config_file, serial, limit)))
    return 0


def run_fake_fcm(port: int, service_account: Path, project: Optional[str], latency: float) -> int:
    from .devtools import fake_fcm

    return fake_fcm.serve(port, service_account, project, latency)


if __name__ == "__main__":
    sys.exit(main())
