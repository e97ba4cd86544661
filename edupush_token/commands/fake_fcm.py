"""``edupush-token fake-fcm``: the local FCM stand-in, served until Ctrl-C or SIGTERM."""

from __future__ import annotations

import ipaddress
import json
import signal
import sys
import threading
from pathlib import Path
from typing import Optional, Tuple, Union
from urllib.parse import urlsplit

from ..devtools.fake_fcm import DEFAULT_PROJECT_ID, FakeFCM


def prepare_service_account(fake: FakeFCM, path: Union[str, Path], project_id: Optional[str]) -> Tuple[dict, str]:
    """Create the key file if missing; reuse one a stand-in at this address wrote; never modify a file.

    A file whose token endpoint is not on loopback is a real key: pointing it
    at this stand-in would break the pushes of whatever uses it.  A stand-in's
    file from another port is left alone too: something may still use it.
    """
    path = Path(path)
    if not path.exists():
        return fake.create_service_account(path, project_id or DEFAULT_PROJECT_ID), "created"
    info = json.loads(path.read_text())
    if not _on_loopback(str(info.get("token_uri", ""))):
        raise ValueError(
            f"{path} is a real service account (its token_uri is {info.get('token_uri')!r}) and is left as it "
            "is; pass --service-account with a path that does not exist, and the stand-in writes its own there."
        )
    if project_id and info.get("project_id") != project_id:
        raise ValueError(f"{path} belongs to project {info.get('project_id')!r}, not {project_id!r}")
    if info.get("token_uri") != fake.token_uri:
        written_for = urlsplit(str(info.get("token_uri")))
        raise ValueError(
            f"{path} was written for a stand-in at {written_for.hostname}:{written_for.port} and is left as it is; "
            f"serve on that address again (--port {written_for.port}), or pass --service-account with a path "
            "that does not exist, and the stand-in writes its own there."
        )
    fake.trust_service_account(info)
    return info, "reused"


def _on_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(
    port: int,
    service_account: Union[str, Path],
    project_id: Optional[str] = None,
    latency: float = 0.0,
    host: str = "127.0.0.1",
) -> int:
    stop = threading.Event()
    with FakeFCM(host, port) as fake:
        try:
            info, how = prepare_service_account(fake, service_account, project_id)
        except ValueError as problem:
            print(f"fake-fcm: {problem}", file=sys.stderr)
            return 2
        fake.set_latency(send=latency)
        previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
        print(f"Fake FCM serving at {fake.base_url}")
        print(f"  service account: {service_account} ({how}; project {info['project_id']}, {info['client_email']})")
        print(f"  token endpoint:  {fake.token_uri}")
        print(f"  send endpoint:   {fake.send_url(info['project_id'])}")
        print(f"  control API:     {fake.base_url}/_fake/  (messages, faults, latency, unregister, reset)")
        print("Press Ctrl-C to stop.", flush=True)
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
    print("Fake FCM stopped.", flush=True)
    return 0
