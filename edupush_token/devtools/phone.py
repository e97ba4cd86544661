"""An emulated eduMFA Authenticator app, for tests and demos.

It is written from the wire contract (``PROTOCOL.md``) alone and imports
nothing from the server side of this package nor from eduMFA: being a second,
independent implementation is what lets it catch server bugs instead of
repeating them.  Where the real app (Flutter/Dart) has a quirk, the emulator
has it too: Dart's URL canonicalisation, its query parsing, its timestamp
format, an unencoded poll URL, and silent dropping of pushes it cannot verify.

Typical use::

    phone = EmulatedPhone(FlaskClientTransport(app.test_client()), key_size=2048)
    token = phone.enroll(phone.scan(qr_url))
    for request in phone.poll(token):
        phone.accept(request)
"""

from __future__ import annotations

import base64
import binascii
import http.client
import json
import re
import ssl
import string
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Deque, Dict, List, Optional, Protocol, Tuple
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded; charset=utf-8"
TEXT_CONTENT_TYPE = "text/plain; charset=utf-8"
USER_AGENT = "eduMFA-App/emulated"

QR_SCHEME = "edumfa-push"
MAX_QR_VERSION = 1
DEFAULT_TTL_MINUTES = 10
PUSH_LIFETIME = timedelta(minutes=2)
REMEMBERED_NONCES = 30

PUSH_STRING_FIELDS = ("nonce", "url", "serial", "title", "sslverify", "signature")

_UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
_SUB_DELIMS = frozenset("!$&'()*+,;=")
_GEN_DELIMS = frozenset(":/?#[]@")
_USERINFO_CHARS = _UNRESERVED | _SUB_DELIMS | {":"}
_REG_NAME_CHARS = _UNRESERVED | _SUB_DELIMS
_PATH_CHARS = _UNRESERVED | _SUB_DELIMS | frozenset(":@/")
_QUERY_CHARS = _PATH_CHARS | {"?"}
_HEX = frozenset(string.hexdigits)

# Dart's Uri drops a port equal to its scheme's default, and the default of
# every scheme but http and https is 0.
_DART_DEFAULT_PORTS = {"http": 80, "https": 443}

_URI_RE = re.compile(
    r"(?P<scheme>[^:/?#]+):"
    r"(?://(?P<authority>[^/?#]*))?"
    r"(?P<path>[^?#]*)"
    r"(?:\?(?P<query>[^#]*))?"
    r"(?:#(?P<fragment>.*))?\Z",
    re.DOTALL,
)
_SCHEME_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*\Z")
_INT_RE = re.compile(r"\s*[+-]?[0-9]+\s*\Z")


# --------------------------------------------------------------------------
# Pure helpers: what Dart does to strings
# --------------------------------------------------------------------------


def parse_query_dart_style(query: str) -> Dict[str, str]:
    """Split a query string the way Dart's ``Uri.queryParameters`` does.

    The last duplicate wins, ``+`` is a space, a pair with an empty name is
    skipped and a bare name maps to ``""``.  Malformed escapes are kept
    literally (Dart's ``Uri.parse`` turns them into ``%25`` first); invalid
    UTF-8 raises ``ValueError``.
    """
    result: Dict[str, str] = {}
    for element in query.split("&"):
        name, equals, value = element.partition("=")
        if not equals:
            if element:
                result[_decode_query_component(element)] = ""
        elif name:
            result[_decode_query_component(name)] = _decode_query_component(value)
    return result


def dart_canonical_url(url: str) -> str:
    """Return ``Uri.parse(url).toString()`` as Dart computes it.

    The app checks the push signature over this form and sends its requests
    to it: lower-case scheme and host, default port dropped, percent-escapes
    normalised (hex upper-cased, escapes of unreserved characters decoded,
    disallowed characters escaped) and dot-segments removed.  Raises
    ``ValueError`` where Dart's ``Uri.parse`` would throw.
    """
    match = _URI_RE.match(url)
    if match is None or not _SCHEME_RE.match(match["scheme"]):
        raise ValueError(f"not an absolute URI: {url!r}")
    scheme = match["scheme"].lower()
    canonical = scheme + ":"
    if match["authority"] is not None:
        canonical += "//" + _canonical_authority(match["authority"], scheme)
    canonical += _remove_dot_segments(_normalize_escapes(match["path"], _PATH_CHARS))
    if match["query"] is not None:
        canonical += "?" + _normalize_escapes(match["query"], _QUERY_CHARS)
    if match["fragment"] is not None:
        canonical += "#" + _normalize_escapes(match["fragment"], _QUERY_CHARS)
    return canonical


def dart_iso_timestamp(moment: datetime) -> str:
    """Format like Dart's ``DateTime.toUtc().toIso8601String()``.

    Dart always writes the milliseconds and appends the microseconds within
    the millisecond only when they are non-zero:
    ``2026-11-23T19:14:54.146982Z``, ``…54.146Z``, ``…54.000Z``.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("the phone's clock must give timezone-aware datetimes")
    utc = moment.astimezone(timezone.utc)
    millis, micros = divmod(utc.microsecond, 1000)
    fraction = f"{millis:03d}" + (f"{micros:03d}" if micros else "")
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}"
        f"T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}.{fraction}Z"
    )


def encode_form(fields: List[Tuple[str, str]]) -> str:
    """Encode form fields in order as Dart's ``http`` package does.

    Everything but the RFC 3986 unreserved characters is percent-encoded with
    upper-case hex, and a space becomes ``+``.
    """
    return "&".join(f"{_encode_query_component(k)}={_encode_query_component(v)}" for k, v in fields)


def b32_signature(signature: bytes) -> str:
    """Base32 with padding, as the app's ``base32`` package writes it."""
    return base64.b32encode(signature).decode("ascii")


def decode_b32_signature(text: str) -> bytes:
    """Decode an upper-case base32 signature whose padding is optional."""
    unpadded = text.rstrip("=")
    try:
        return base64.b32decode(unpadded + "=" * (-len(unpadded) % 8))
    except binascii.Error as exc:
        raise ValueError(f"signature is not valid base32: {exc}") from exc


def pubkey_b64(private_key: Any) -> str:
    """The ``pubkey`` enrollment field: base64 of the SubjectPublicKeyInfo DER."""
    der = private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode("ascii")


def load_server_public_key(value: Any) -> rsa.RSAPublicKey:
    """Read ``detail.public_key`` the way the app does, or raise ``ValueError``.

    The app strips ``\\n`` only, base64-decodes and reads a PKCS#1
    ``RSAPublicKey``; a ``\\r``, a SubjectPublicKeyInfo or any other key
    format makes the enrollment fail on a real phone.
    """
    if not isinstance(value, str):
        raise ValueError("public_key is not a string")
    text = value.replace("\n", "")
    try:
        der = base64.b64decode(text.replace("-", "+").replace("_", "/"), validate=True)
    except binascii.Error as exc:
        raise ValueError(f"public_key is not base64: {exc}") from exc
    try:
        key = serialization.load_der_public_key(der)
    except ValueError as exc:
        raise ValueError(f"public_key is not a DER public key: {exc}") from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("public_key is not an RSA key")
    if key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1) != der:
        raise ValueError("public_key is not a PKCS#1 RSAPublicKey (SubjectPublicKeyInfo?)")
    return key


def push_signed_text(data: Dict[str, str]) -> str:
    """The text the server signs for a push, as the app rebuilds it.

    ``nonce|url|serial|question|title|sslverify`` with the url in Dart's
    canonical form and sslverify ``1`` only for exactly ``"1"``.
    """
    sslverify = "1" if data["sslverify"] == "1" else "0"
    return "|".join(
        (
            data["nonce"],
            dart_canonical_url(data["url"]),
            data["serial"],
            data.get("question", ""),
            data["title"],
            sslverify,
        )
    )


def _decode_query_component(text: str) -> str:
    return _percent_decode(text.replace("+", " "), strict=False)


def _percent_decode(text: str, strict: bool) -> str:
    """Percent-decode to UTF-8; ``strict`` rejects malformed escapes like Dart's
    ``Uri.decodeComponent``, otherwise they are kept literally."""
    out = bytearray()
    index = 0
    while index < len(text):
        char = text[index]
        pair = text[index + 1 : index + 3]
        if char == "%" and len(pair) == 2 and set(pair) <= _HEX:
            out.append(int(pair, 16))
            index += 3
            continue
        if char == "%" and strict:
            raise ValueError(f"malformed percent-escape in {text!r}")
        out += char.encode("utf-8")
        index += 1
    return out.decode("utf-8")


def _encode_query_component(text: str) -> str:
    return "".join(
        "+" if char == " " else char if char in _UNRESERVED else _escape(char) for char in text
    )


def _escape(char: str) -> str:
    return "".join(f"%{byte:02X}" for byte in char.encode("utf-8"))


def _normalize_escapes(
    text: str, allowed: frozenset, lower: bool = False, escape_delimiters: bool = True
) -> str:
    """Dart's ``_Uri._normalize``: fix escapes, escape what is not allowed."""
    out = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "%":
            pair = text[index + 1 : index + 3]
            if len(pair) == 2 and set(pair) <= _HEX:
                decoded = chr(int(pair, 16))
                if decoded in _UNRESERVED:
                    out.append(decoded.lower() if lower else decoded)
                else:
                    out.append("%" + pair.upper())
                index += 3
                continue
            out.append("%25")
        elif char in allowed:
            out.append(char.lower() if lower else char)
        elif char in _GEN_DELIMS and not escape_delimiters:
            raise ValueError(f"invalid character {char!r} in URI component {text!r}")
        else:
            out.append(_escape(char))
        index += 1
    return "".join(out)


def _canonical_authority(authority: str, scheme: str) -> str:
    userinfo, at, hostport = authority.rpartition("@")
    if hostport.startswith("["):
        host, bracket, rest = hostport.partition("]")
        if not bracket:
            raise ValueError(f"unterminated IPv6 address in {authority!r}")
        host = host.lower() + "]"
        port_text = rest[1:] if rest.startswith(":") else None
        if rest and port_text is None:
            raise ValueError(f"garbage after IPv6 address in {authority!r}")
    else:
        host, colon, port_text = hostport.partition(":")
        host = _normalize_escapes(host, _REG_NAME_CHARS, lower=True, escape_delimiters=False)
        if not colon:
            port_text = None
    canonical = ""
    if userinfo:
        canonical += _normalize_escapes(userinfo, _USERINFO_CHARS, escape_delimiters=False) + "@"
    canonical += host
    if port_text:
        if not (port_text.isascii() and port_text.isdigit()):
            raise ValueError(f"invalid port in {authority!r}")
        port = int(port_text)
        if port != _DART_DEFAULT_PORTS.get(scheme, 0):
            canonical += f":{port}"
    return canonical


def _remove_dot_segments(path: str) -> str:
    """Dart's ``_Uri._removeDotSegments`` (RFC 3986 section 5.2.4)."""
    if not (path.startswith(".") or "/." in path):
        return path
    output: List[str] = []
    append_slash = False
    for segment in path.split("/"):
        append_slash = False
        if segment == "..":
            if output:
                output.pop()
                if not output:
                    output.append("")
            append_slash = True
        elif segment == ".":
            append_slash = True
        else:
            output.append(segment)
    if append_slash:
        output.append("")
    return "/".join(output)


# --------------------------------------------------------------------------
# Transports
# --------------------------------------------------------------------------


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

    def get_raw(self, url: str) -> HttpResponse:
        return self._send("GET", url, None, None)

    def _send(
        self, method: str, url: str, body: Optional[bytes], content_type: Optional[str]
    ) -> HttpResponse:
        raise NotImplementedError


class HttpTransport(_EncodingTransport):
    """Real HTTP over ``http.client``, so a GET goes out byte-for-byte.

    Redirects are never followed.  ``verify_tls`` only matters for https.
    """

    def __init__(self, verify_tls: bool = True, timeout: float = 10.0):
        self.verify_tls = verify_tls
        self.timeout = timeout

    def _send(
        self, method: str, url: str, body: Optional[bytes], content_type: Optional[str]
    ) -> HttpResponse:
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
            return http.client.HTTPConnection(parts.hostname, parts.port, timeout=self.timeout)
        if scheme == "https":
            context = ssl.create_default_context()
            if not self.verify_tls:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            return http.client.HTTPSConnection(
                parts.hostname, parts.port, timeout=self.timeout, context=context
            )
        raise ValueError(f"unsupported scheme {scheme!r}")


class FlaskClientTransport(_EncodingTransport):
    """Drive a Flask test client; only the path and query of each URL are used."""

    def __init__(self, client: Any):
        self.client = client

    def _send(
        self, method: str, url: str, body: Optional[bytes], content_type: Optional[str]
    ) -> HttpResponse:
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


# --------------------------------------------------------------------------
# The phone
# --------------------------------------------------------------------------


class PhoneError(Exception):
    """The server said no, or broke the protocol where the app would give up."""

    def __init__(self, message: str, status: Optional[int] = None):
        super().__init__(message if status is None else f"HTTP {status}: {message}")
        self.message = message
        self.status = status


@dataclass
class PendingEnrollment:
    """What scanning an enrollment QR code yields, before step 2."""

    serial: str
    url: str
    enrollment_credential: str
    label: str
    issuer: str
    ttl_minutes: int
    sslverify: bool
    force_pin: bool
    image: Optional[str]
    scanned_at: datetime
    private_key: Any = field(default=None, repr=False, compare=False)

    @property
    def expires_at(self) -> datetime:
        return self.scanned_at + timedelta(minutes=self.ttl_minutes)


@dataclass
class PhoneToken:
    """An enrolled push token as the phone keeps it."""

    serial: str
    url: str
    sslverify: bool
    label: str
    issuer: str
    firebase_token: str
    private_key: Any = field(repr=False)
    server_public_key: rsa.RSAPublicKey = field(repr=False)

    @property
    def pubkey_b64(self) -> str:
        return pubkey_b64(self.private_key)


@dataclass
class PushRequest:
    """A verified push shown to the user; ``url`` is the canonical answer URL."""

    nonce: str
    url: str
    serial: str
    question: str
    title: str
    sslverify: str
    signature: str
    received_at: datetime


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _sign(private_key: Any, text: str) -> str:
    data = text.encode("utf-8")
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        signature = private_key.sign(data, ec.ECDSA(hashes.SHA256()))
    else:
        signature = private_key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    return b32_signature(signature)


def _server_signature_is_valid(key: rsa.RSAPublicKey, signature: str, text: str) -> bool:
    try:
        raw_signature = decode_b32_signature(signature)
        key.verify(raw_signature, text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    except (ValueError, InvalidSignature):
        return False
    return True


def _error_message(response: HttpResponse) -> str:
    try:
        return str(response.json["result"]["error"]["message"])
    except (KeyError, TypeError):
        return response.text[:200] or "no error message"


def _malformed_push_reason(data: Any) -> Optional[str]:
    """Why the app would call this push data malformed, or None."""
    if not isinstance(data, dict):
        return "push data is not a map"
    for name in PUSH_STRING_FIELDS:
        if not isinstance(data.get(name), str):
            return f"push field {name!r} is missing or not a string"
    if "question" in data and not isinstance(data["question"], str):
        return "push field 'question' is not a string"
    try:
        dart_canonical_url(data["url"])
    except ValueError as exc:
        return f"push url is not a valid URI: {exc}"
    return None


class EmulatedPhone:
    """A phone running the eduMFA Authenticator app, speaking its wire protocol."""

    def __init__(
        self,
        transport: Transport,
        key_size: int = 4096,
        key_type: str = "rsa",
        clock: Optional[Callable[[], datetime]] = None,
        firebase_token: str = "fbtoken-emulated",
    ):
        if key_type not in ("rsa", "ec"):
            raise ValueError("key_type must be 'rsa' or 'ec'")
        self.transport = transport
        self.key_size = key_size
        self.key_type = key_type
        self.clock = clock or _utc_now
        self.firebase_token = firebase_token
        self.tokens: Dict[str, PhoneToken] = {}
        self.requests: List[PushRequest] = []
        self.last_drop_reason: Optional[str] = None
        self._seen_nonces: Deque[str] = deque(maxlen=REMEMBERED_NONCES)

    # -- enrollment -------------------------------------------------------

    def scan(self, qr_url: str) -> PendingEnrollment:
        """Parse an enrollment QR code as the app does, or raise ``PhoneError``."""
        match = _URI_RE.match(qr_url)
        if match is None or match["scheme"].lower() != QR_SCHEME:
            raise PhoneError(f"not an {QR_SCHEME} QR code: {qr_url[:40]!r}")
        try:
            params = parse_query_dart_style(match["query"] or "")
            path_label = _percent_decode(match["path"].lstrip("/"), strict=False)
        except ValueError as exc:
            raise PhoneError(f"QR code is not valid UTF-8: {exc}") from exc

        for name in ("v", "serial", "url", "enrollment_credential"):
            if not params.get(name):
                raise PhoneError(f"QR code lacks the required parameter {name!r}")
        version = _parse_int(params["v"], "v")
        if version > MAX_QR_VERSION:
            raise PhoneError(f"QR code version {version} is newer than the app supports")
        ttl = _parse_int(params["ttl"], "ttl") if "ttl" in params else DEFAULT_TTL_MINUTES

        path_issuer, colon, label = path_label.partition(":")
        if not colon:
            path_issuer, label = "", path_label
        if not label:
            raise PhoneError("QR code has an empty label")
        issuer = path_issuer
        if "issuer" in params:
            try:
                issuer = _percent_decode(params["issuer"], strict=True)
            except ValueError as exc:
                raise PhoneError(f"issuer cannot be percent-decoded a second time: {exc}") from exc
        try:
            url = dart_canonical_url(params["url"])
        except ValueError as exc:
            raise PhoneError(f"QR url is not a valid URI: {exc}") from exc

        return PendingEnrollment(
            serial=params["serial"],
            url=url,
            enrollment_credential=params["enrollment_credential"],
            label=label,
            issuer=issuer,
            ttl_minutes=ttl,
            sslverify=params.get("sslverify", "1") == "1",
            force_pin=params.get("pin") == "True",
            image=params.get("image"),
            scanned_at=self.clock(),
        )

    def ios_probe(self, pending: PendingEnrollment) -> HttpResponse:
        """The empty ``text/plain`` POST an iPhone sends first; its answer is ignored."""
        return self.transport.post_text(pending.url, "")

    def enroll(
        self, pending: PendingEnrollment, firebase_token: Optional[str] = None
    ) -> PhoneToken:
        """Run enrollment step 2; a retry of the same pending enrollment reuses its key."""
        if self.clock() > pending.expires_at:
            raise PhoneError(f"enrollment of {pending.serial} expired at {pending.expires_at}")
        if pending.private_key is None:
            pending.private_key = self._generate_key()
        fbtoken = firebase_token if firebase_token is not None else self.firebase_token
        response = self.transport.post_form(
            pending.url,
            [
                ("enrollment_credential", pending.enrollment_credential),
                ("serial", pending.serial),
                ("fbtoken", fbtoken),
                ("pubkey", pubkey_b64(pending.private_key)),
            ],
        )
        if response.status != 200:
            raise PhoneError(_error_message(response), response.status)
        detail = (response.json or {}).get("detail")
        public_key = detail.get("public_key") if isinstance(detail, dict) else None
        try:
            server_key = load_server_public_key(public_key)
        except ValueError as exc:
            raise PhoneError(f"enrollment answer unusable: {exc}", response.status) from exc
        token = PhoneToken(
            serial=pending.serial,
            url=pending.url,
            sslverify=pending.sslverify,
            label=pending.label,
            issuer=pending.issuer,
            firebase_token=fbtoken,
            private_key=pending.private_key,
            server_public_key=server_key,
        )
        self.tokens[token.serial] = token
        return token

    def _generate_key(self) -> Any:
        if self.key_type == "ec":
            return ec.generate_private_key(ec.SECP256R1())
        return rsa.generate_private_key(public_exponent=65537, key_size=self.key_size)

    # -- receiving pushes -------------------------------------------------

    def receive_push(self, data: Dict[str, str]) -> Optional[PushRequest]:
        """Handle a foreground FCM data message; None if the app would drop it.

        ``last_drop_reason`` says why a push was dropped.
        """
        self.last_drop_reason = _malformed_push_reason(data)
        if self.last_drop_reason is not None:
            return None
        return self._accept_push_data(data)

    def _accept_push_data(self, data: Dict[str, str]) -> Optional[PushRequest]:
        token = self.tokens.get(data["serial"])
        if token is None:
            return self._drop(f"no token with serial {data['serial']!r} on this phone")
        signed_text = push_signed_text(data)
        if not _server_signature_is_valid(token.server_public_key, data["signature"], signed_text):
            return self._drop("server signature does not verify")
        if data["nonce"] in self._seen_nonces:
            return self._drop(f"nonce {data['nonce']!r} was seen before")
        self._seen_nonces.append(data["nonce"])
        request = PushRequest(
            nonce=data["nonce"],
            url=dart_canonical_url(data["url"]),
            serial=data["serial"],
            question=data.get("question", ""),
            title=data["title"],
            sslverify=data["sslverify"],
            signature=data["signature"],
            received_at=self.clock(),
        )
        self.requests.append(request)
        return request

    def _drop(self, reason: str) -> None:
        self.last_drop_reason = reason
        return None

    def poll(self, token: PhoneToken) -> List[PushRequest]:
        """Poll for open challenges; one malformed item drops the whole answer."""
        timestamp = dart_iso_timestamp(self.clock())
        signature = _sign(token.private_key, f"{token.serial}|{timestamp}")
        url = dart_canonical_url(
            f"{token.url}?serial={token.serial}&timestamp={timestamp}&signature={signature}"
        )
        response = self.transport.get_raw(url)
        if response.status != 200:
            raise PhoneError(_error_message(response), response.status)
        self.last_drop_reason = None
        try:
            items = response.json["result"]["value"]
        except (KeyError, TypeError):
            items = None
        if not isinstance(items, list):
            return self._drop_all("poll answer has no list in result.value")
        for item in items:
            reason = _malformed_push_reason(item)
            if reason is not None:
                return self._drop_all(reason)
        requests = []
        drop_reason = None
        for item in items:
            request = self._accept_push_data(item)
            if request is None:
                drop_reason = self.last_drop_reason
            else:
                requests.append(request)
        self.last_drop_reason = drop_reason
        return requests

    def _drop_all(self, reason: str) -> List[PushRequest]:
        self.last_drop_reason = reason
        return []

    # -- answering --------------------------------------------------------

    def is_expired(self, request: PushRequest) -> bool:
        """The app forgets a request two minutes after it arrived."""
        return self.clock() - request.received_at > PUSH_LIFETIME

    def accept(self, request: PushRequest) -> HttpResponse:
        """Approve; the app counts any HTTP 200 as delivered."""
        return self._answer(request, decline=False)

    def decline(self, request: PushRequest) -> HttpResponse:
        """Decline; adds ``decline=1`` and signs ``nonce|serial|decline``."""
        return self._answer(request, decline=True)

    def _answer(self, request: PushRequest, decline: bool) -> HttpResponse:
        token = self.tokens.get(request.serial)
        if token is None:
            raise PhoneError(f"no token with serial {request.serial!r} on this phone")
        if self.is_expired(request):
            raise PhoneError(f"push request {request.nonce!r} expired on the phone")
        signed = f"{request.nonce}|{token.serial}" + ("|decline" if decline else "")
        fields = [
            ("nonce", request.nonce),
            ("serial", token.serial),
            ("signature", _sign(token.private_key, signed)),
        ]
        if decline:
            fields.append(("decline", "1"))
        response = self.transport.post_form(request.url, fields)
        if response.status == 200 and request in self.requests:
            self.requests.remove(request)
        return response

    def update_firebase_token(self, token: PhoneToken, new_token: str) -> HttpResponse:
        """Tell the server about a new FCM registration token (success = 200)."""
        self.firebase_token = new_token
        timestamp = dart_iso_timestamp(self.clock())
        signature = _sign(token.private_key, f"{new_token}|{token.serial}|{timestamp}")
        response = self.transport.post_form(
            token.url,
            [
                ("new_fb_token", new_token),
                ("serial", token.serial),
                ("timestamp", timestamp),
                ("signature", signature),
            ],
        )
        if response.status == 200:
            token.firebase_token = new_token
        return response


def _parse_int(text: str, name: str) -> int:
    if not _INT_RE.match(text):
        raise PhoneError(f"QR parameter {name!r} is not an integer: {text!r}")
    return int(text)
