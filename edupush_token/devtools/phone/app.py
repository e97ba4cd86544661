"""The phone: enrollment, receiving and polling pushes, answering them, as the app does."""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Deque, Dict, List, Optional, Tuple

from cryptography.hazmat.primitives.asymmetric import ec, rsa

from ...errors import EdupushError
from .dart import URI_RE, dart_canonical_url, dart_iso_timestamp, parse_query_dart_style, percent_decode
from .keys import load_server_public_key, pubkey_b64, push_signed_text, server_signature_is_valid, sign
from .transports import HttpResponse, Transport

QR_SCHEME = "edumfa-push"
MAX_QR_VERSION = 1
DEFAULT_TTL_MINUTES = 10
PUSH_LIFETIME = timedelta(minutes=2)
REMEMBERED_NONCES = 30

PUSH_STRING_FIELDS = ("nonce", "url", "serial", "title", "sslverify", "signature")

_INT_RE = re.compile(r"\s*[+-]?[0-9]+\s*\Z")


class PhoneError(EdupushError):
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


def _error_message(response: HttpResponse) -> str:
    try:
        return str((response.json or {})["result"]["error"]["message"])
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
        match = URI_RE.match(qr_url)
        if match is None or match["scheme"].lower() != QR_SCHEME:
            raise PhoneError(f"not an {QR_SCHEME} QR code: {qr_url[:40]!r}")
        try:
            params = parse_query_dart_style(match["query"] or "")
            path_label = percent_decode(match["path"].lstrip("/"), strict=False)
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
                issuer = percent_decode(params["issuer"], strict=True)
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
        self, pending: PendingEnrollment, firebase_token: Optional[str] = None, pubkey: Optional[str] = None
    ) -> PhoneToken:
        """Run enrollment step 2; a retry of the same pending enrollment reuses its key.

        ``pubkey`` sends another key than the phone's own, as a client other than the app might: the server
        must vet what it is given, and the phone cannot sign with that key.
        """
        if self.clock() > pending.expires_at:
            raise PhoneError(f"enrollment of {pending.serial} expired at {pending.expires_at}")
        if pending.private_key is None:
            pending.private_key = self._generate_key()
        fbtoken = firebase_token if firebase_token is not None else self.firebase_token
        key_text = pubkey if pubkey is not None else pubkey_b64(pending.private_key)
        response = self.transport.post_form(pending.url, self._enrollment_fields(pending, fbtoken, key_text))
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

    def _enrollment_fields(self, pending: PendingEnrollment, fbtoken: str, pubkey: str) -> List[Tuple[str, str]]:
        """Step 2's form, in the app's order."""
        return [
            ("enrollment_credential", pending.enrollment_credential),
            ("serial", pending.serial),
            ("fbtoken", fbtoken),
            ("pubkey", pubkey),
            *self._capability_fields(),
        ]

    def _capability_fields(self) -> List[Tuple[str, str]]:
        """What the app says it can do, with its enrollment, polls and token updates: the eduMFA app says nothing."""
        return []

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
        refused = self._unverified(token, data)
        if refused is not None:
            return self._drop(refused)
        if data["nonce"] in self._seen_nonces:
            return self._drop(f"nonce {data['nonce']!r} was seen before")
        self._seen_nonces.append(data["nonce"])
        request = self._request(
            data,
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

    def _unverified(self, token: PhoneToken, data: Dict[str, str]) -> Optional[str]:
        """Why the app would not trust this push's signature, or None."""
        if not server_signature_is_valid(token.server_public_key, data["signature"], push_signed_text(data)):
            return "server signature does not verify"
        return None

    def _request(self, data: Dict[str, str], **fields: Any) -> PushRequest:
        """The request the app shows for verified push data."""
        return PushRequest(**fields)

    def _drop(self, reason: str) -> Optional[PushRequest]:
        """Forget a push the app would not show, saying why; returns None for the caller."""
        self.last_drop_reason = reason
        return None

    def poll(self, token: PhoneToken) -> List[PushRequest]:
        """Poll for open challenges; one malformed item drops the whole answer."""
        timestamp = dart_iso_timestamp(self.clock())
        signature = sign(token.private_key, f"{token.serial}|{timestamp}")
        response = self.transport.get_raw(self._poll_url(token, timestamp, signature))
        if response.status != 200:
            raise PhoneError(_error_message(response), response.status)
        self.last_drop_reason = None
        try:
            items = (response.json or {})["result"]["value"]
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

    def _poll_url(self, token: PhoneToken, timestamp: str, signature: str) -> str:
        """Not URL-encoded, as the app sends it."""
        query = f"serial={token.serial}&timestamp={timestamp}&signature={signature}"
        extra = "".join(f"&{name}={value}" for name, value in self._capability_fields())
        return dart_canonical_url(f"{token.url}?{query}{extra}")

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
            ("signature", sign(token.private_key, signed)),
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
        signature = sign(token.private_key, f"{new_token}|{token.serial}|{timestamp}")
        response = self.transport.post_form(
            token.url,
            [
                ("new_fb_token", new_token),
                ("serial", token.serial),
                ("timestamp", timestamp),
                ("signature", signature),
                *self._capability_fields(),
            ],
        )
        if response.status == 200:
            token.firebase_token = new_token
        return response


def _parse_int(text: str, name: str) -> int:
    if not _INT_RE.match(text):
        raise PhoneError(f"QR parameter {name!r} is not an integer: {text!r}")
    return int(text)
