"""HTTP plumbing: Google's endpoints and the ``/_fake/`` control API on one threading server."""

from __future__ import annotations

import json
import re
import socket
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, Dict, Optional, Set

from .errors import fcm_error_body

if TYPE_CHECKING:
    from .fake import FakeFCM

SEND_PATH = re.compile(r"^/v1/projects/([^/]+)/messages:send$")


class Server(ThreadingHTTPServer):
    """Tracks open connections so that ``stop`` does not leave keep-alive threads behind."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, fake: FakeFCM):
        self.fake = fake
        self._connections: Set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request, client_address):
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-fcm"
    timeout = 120  # idle keep-alive connections give up eventually
    server: Server

    def log_message(self, format, *args):  # noqa: A002 - quiet; recordings say what happened
        pass

    @property
    def fake(self) -> FakeFCM:
        return self.server.fake

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _answer(self, status: int, body: Any, headers: Optional[Dict[str, str]] = None) -> None:
        data = json.dumps(body, indent=2).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True  # the client gave up (e.g. timed out during a hang)

    def _not_found(self) -> None:
        self._answer(
            404, fcm_error_body(404, "NOT_FOUND", f"The requested URL {self.path} was not found on this server.")
        )

    def do_POST(self):
        url = urllib.parse.urlsplit(self.path)
        body = self._read_body()
        if url.path == "/token":
            form = {key: values[-1] for key, values in urllib.parse.parse_qs(body.decode("utf-8", "replace")).items()}
            self._answer(*self.fake._handle_token(form))
            return
        match = SEND_PATH.match(url.path)
        if match:
            project = urllib.parse.unquote(match.group(1))
            self._answer(*self.fake._handle_send(project, self.headers.get("Authorization"), body))
            return
        if url.path.startswith("/_fake/"):
            self._control("POST", url, body)
            return
        self._not_found()

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path.startswith("/_fake/"):
            self._control("GET", url, b"")
            return
        self._not_found()

    def do_DELETE(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path.startswith("/_fake/"):
            self._control("DELETE", url, self._read_body())
            return
        self._not_found()

    def _control(self, method: str, url: urllib.parse.SplitResult, raw: bytes) -> None:
        """The ``/_fake/...`` API that lets another process steer and read the fake."""
        fake = self.fake
        query = {key: values[-1] for key, values in urllib.parse.parse_qs(url.query).items()}
        try:
            body = json.loads(raw) if raw else {}
            route = (method, url.path)
            if route == ("GET", "/_fake/health"):
                self._answer(200, {"ok": True, "base_url": fake.base_url, "token_uri": fake.token_uri})
            elif route == ("GET", "/_fake/messages"):
                after = int(query.get("after", 0))
                records = fake._wait_for_records(
                    query.get("token"), after, min(float(query.get("wait", 0)), 60.0), query.get("all") == "1"
                )
                last = records[-1]["seq"] if records else after
                self._answer(200, {"messages": records, "last": last})
            elif route == ("GET", "/_fake/stats"):
                self._answer(200, fake.stats())
            elif route == ("GET", "/_fake/faults"):
                self._answer(200, fake.pending_faults())
            elif route == ("POST", "/_fake/faults"):
                allowed = {"endpoint", "status", "error_code", "times", "retry_after", "hang", "body"}
                unknown = set(body) - allowed
                if unknown:
                    raise ValueError(f"unknown fault fields: {sorted(unknown)}")
                fault = fake.add_fault(**body)
                self._answer(201, {"fault": fault.to_json()})
            elif route == ("DELETE", "/_fake/faults"):
                fake.clear_faults()
                self._answer(200, {"ok": True})
            elif route == ("POST", "/_fake/latency"):
                fake.set_latency(send=body.get("send"), token=body.get("token"))
                self._answer(200, fake.latency)
            elif route == ("POST", "/_fake/unregister"):
                fake.unregister(body["token"])
                self._answer(200, {"ok": True})
            elif route == ("POST", "/_fake/reset"):
                fake.reset()
                self._answer(200, {"ok": True})
            elif route == ("POST", "/_fake/service-accounts"):
                info = fake.trust_service_account(body)
                self._answer(200, {"client_email": info["client_email"], "project_id": info["project_id"]})
            else:
                self._answer(404, {"error": f"no control endpoint {method} {url.path}"})
        except (ValueError, KeyError, TypeError) as problem:
            self._answer(400, {"error": f"{type(problem).__name__}: {problem}"})
