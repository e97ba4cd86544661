"""How the phone reaches the server: real HTTP, or a Flask test client."""

from __future__ import annotations

import http.client
import json
import re
import ssl
from dataclasses import dataclass
from typing import Any, List, Optional, Protocol, Tuple
from urllib.parse import urlsplit

from .dart import encode_form

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded; charset=utf-8"
TEXT_CONTENT_TYPE = "text/plain; charset=utf-8"
JSON_CONTENT_TYPE = "application/json"
USER_AGENT = "eduMFA-App/emulated"


@dataclass
class HttpResponse:
    """What a transport returns: the status and the parsed JSON body, if any."""

    status: int
    json: Optional[dict]
    text: str = ""


class Transport(Protocol):
    """How the phone reaches the server; tests swap in a fake or a Flask client."""

    def post_form(self, url: str, fields: List[Tuple[str, str]]) -> HttpResponse:
        """POST the fields, in order, as ``application/x-www-form-urlencoded``."""

    def post_text(self, url: str, body: str) -> HttpResponse:
        """POST a ``text/plain`` body (the iOS network-permission probe)."""

    def post_json(self, url: str, body: dict) -> HttpResponse:
        """POST a JSON body (eduMFA's next app answers so, with integers)."""

    def get_raw(self, url: str) -> HttpResponse:
        """GET the URL exactly as given, without re-encoding it."""


def _make_response(status: int, raw: bytes) -> HttpResponse:
    text = raw.decode("utf-8", "replace")
    try:
        parsed = json.loads(text) if text else None
    except ValueError:
        parsed = None
    return HttpResponse(status=status, json=parsed if isinstance(parsed, dict) else None, text=text)


def _split_url(url: str) -> Tuple[str, str, str]:
    """Split into scheme, authority and request target (path and query).

    The fragment is dropped, as an HTTP client never sends it.
    """
    match = re.match(r"([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)([^#]*)", url)
    if match is None:
        raise ValueError(f"not an http(s) URL: {url!r}")
    scheme, authority, target = match.groups()
    if not target.startswith("/"):
        target = "/" + target
    return scheme.lower(), authority, target


class _EncodingTransport:
    """The app's three kinds of request, encoded once; subclasses only send bytes."""

    def post_form(self, url: str, fields: List[Tuple[str, str]]) -> HttpResponse:
        return self._send("POST", url, encode_form(fields).encode("ascii"), FORM_CONTENT_TYPE)

    def post_text(self, url: str, body: str) -> HttpResponse:
        return self._send("POST", url, body.encode("utf-8"), TEXT_CONTENT_TYPE)

    def post_json(self, url: str, body: dict) -> HttpResponse:
        return self._send("POST", url, json.dumps(body).encode("utf-8"), JSON_CONTENT_TYPE)

    def get_raw(self, url: str) -> HttpResponse:
        return self._send("GET", url, None, None)

    def _send(self, method: str, url: str, body: Optional[bytes], content_type: Optional[str]) -> HttpResponse:
        raise NotImplementedError


class HttpTransport(_EncodingTransport):
    """Real HTTP over ``http.client``, so a GET goes out byte-for-byte.

    Redirects are never followed.  ``verify_tls`` only matters for https.
    """

    def __init__(self, verify_tls: bool = True, timeout: float = 10.0):
        self.verify_tls = verify_tls
        self.timeout = timeout

    def _send(self, method: str, url: str, body: Optional[bytes], content_type: Optional[str]) -> HttpResponse:
        scheme, authority, target = _split_url(url)
        connection = self._connect(scheme, authority)
        headers = {"User-Agent": USER_AGENT}
        if content_type is not None:
            headers["Content-Type"] = content_type
        try:
            connection.request(method, target, body=body, headers=headers)
            response = connection.getresponse()
            return _make_response(response.status, response.read())
        finally:
            connection.close()

    def _connect(self, scheme: str, authority: str) -> http.client.HTTPConnection:
        parts = urlsplit(f"{scheme}://{authority}")
        if scheme == "http":
            return http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=self.timeout)
        if scheme == "https":
            context = ssl.create_default_context()
            if not self.verify_tls:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            return http.client.HTTPSConnection(parts.hostname or "", parts.port, timeout=self.timeout, context=context)
        raise ValueError(f"unsupported scheme {scheme!r}")


class FlaskClientTransport(_EncodingTransport):
    """Drive a Flask test client; only the path and query of each URL are used."""

    def __init__(self, client: Any):
        self.client = client

    def _send(self, method: str, url: str, body: Optional[bytes], content_type: Optional[str]) -> HttpResponse:
        target = _split_url(url)[2]
        path, question_mark, query = target.partition("?")
        response = self.client.open(
            path,
            method=method,
            query_string=query if question_mark else None,
            data=body,
            content_type=content_type,
            headers={"User-Agent": USER_AGENT},
            environ_overrides={"REQUEST_URI": target, "RAW_URI": target},
        )
        return _make_response(response.status_code, response.get_data())
