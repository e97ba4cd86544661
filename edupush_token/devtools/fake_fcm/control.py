"""Steering and reading a fake FCM that another process serves (``edupush-token fake-fcm``)."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, List, Optional, Union

from .accounts import load_service_account


class FakeFCMControl:
    """Steers and reads a fake FCM served by another process, over ``/_fake/``."""

    def __init__(self, base_url: str, timeout: float = 10.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def _call(self, method: str, path: str, body: Optional[dict] = None, timeout: Optional[float] = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.base_url + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout or self.timeout) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            raise RuntimeError(f"fake FCM refused {method} {path}: HTTP {error.code} {error.read().decode()}") from None

    def health(self) -> dict:
        return self._call("GET", "/_fake/health")

    def add_fault(self, endpoint: str = "send", status: Optional[int] = None, **options) -> dict:
        return self._call("POST", "/_fake/faults", {"endpoint": endpoint, "status": status, **options})["fault"]

    def clear_faults(self) -> None:
        self._call("DELETE", "/_fake/faults")

    def set_latency(self, send: Optional[float] = None, token: Optional[float] = None) -> dict:
        return self._call("POST", "/_fake/latency", {"send": send, "token": token})

    def unregister(self, registration_token: str) -> None:
        self._call("POST", "/_fake/unregister", {"token": registration_token})

    def reset(self) -> None:
        self._call("POST", "/_fake/reset")

    def trust_service_account(self, path_or_info: Union[str, Path, dict]) -> dict:
        return self._call("POST", "/_fake/service-accounts", load_service_account(path_or_info))

    def stats(self) -> dict:
        return self._call("GET", "/_fake/stats")

    def messages(
        self, registration_token: Optional[str] = None, after: int = 0, wait: float = 0.0, include_failed: bool = False
    ) -> List[dict]:
        """Sends answered after ``seq`` ``after`` (delivered ones only unless ``include_failed``).

        Waits up to ``wait`` seconds for the first one; pass the last record's ``seq`` as
        ``after`` next time.
        """
        query: dict[str, object] = {"after": after, "wait": wait}
        if registration_token is not None:
            query["token"] = registration_token
        if include_failed:
            query["all"] = 1
        path = "/_fake/messages?" + urllib.parse.urlencode(query)
        return self._call("GET", path, timeout=self.timeout + wait)["messages"]
