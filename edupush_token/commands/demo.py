"""``edupush-token demo``: the story of devtools/demo.py against a freshly served local eduMFA (or privacyIDEA)."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

from ..catalogue import Config
from .serve import prepare

FCM_URL = Config.FCM_URL  # the demo's own edumfa.cfg follows the stand-in, whose port may change


def run(directory: Path, port: int, once: bool, fcm_port: int) -> int:
    demo = _story()
    if demo is None:
        return 2
    from ..devtools.fake_fcm import FakeFCM
    from ..devtools.local_instance import LocalInstance
    from ..devtools.served import ServedInstance

    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))  # stops the server child too
    with FakeFCM(port=fcm_port) as fcm:
        existing = LocalInstance(directory)
        if existing.config_file.exists() and existing.update_setting(FCM_URL, fcm.base_url):
            print(f"  The FCM stand-in moved to {fcm.base_url}: {existing.config_file} follows it")
        try:
            instance = prepare(directory, extra_config={FCM_URL: fcm.base_url})
        except ValueError as problem:
            print(f"edupush-token demo: {problem}", file=sys.stderr)
            return 2
        print(f"  Starting {instance.host.name} ...", flush=True)
        with ServedInstance(instance.directory, port=port) as url:
            print(f"{instance.host.name} is serving at {url}; the local FCM stand-in at {fcm.base_url}")
            return _tell_story(demo, url, instance, fcm, once)


def _story():
    """devtools/demo.py, or None after saying what to install: a plain install lacks the dev extra."""
    from ..devtools import INSTALL_COMMAND

    try:
        from ..devtools import demo
    except ModuleNotFoundError as missing:
        if missing.name is None or missing.name.startswith("edupush_token"):
            raise  # one of our own modules: a bug, not a missing extra
        print(
            f"edupush-token demo needs the development tools, and {missing.name!r} is not installed:\n"
            f"  {INSTALL_COMMAND}",
            file=sys.stderr,
        )
        return None
    return demo


def _tell_story(demo, url, instance, fcm, once: bool) -> int:
    try:
        demo.run(url, instance.admin_password, fcm, instance.directory)
    except demo.DemoFailed as failure:
        print(f"\nDEMO FAILED: {failure}", file=sys.stderr)
        return 1
    print(f"\nThe demo succeeded. {instance.host.name}: {url}  admin: admin / {instance.admin_password}")
    print(f"What became of each push: edupush-token deliveries --config {instance.config_file}")
    print(f"Check the configuration:  edupush-token doctor --config {instance.config_file}")
    if once:
        return 0
    print("The servers keep running for you to try them; press Ctrl-C to stop.", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print()
    return 0
