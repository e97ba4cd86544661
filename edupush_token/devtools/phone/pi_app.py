"""An emulated privacyIDEA Authenticator (4.8.0), written from ``PROTOCOL-PIAPP.md`` alone.

It shares the eduMFA app emulator's transport, keys and Dart quirks, and
differs where the privacyIDEA app does: its QR code (``otpauth://pipush/`` or
``pia://pipush/``, ``v`` exactly 1, ``poll_only``), the capabilities it sends
in step 2 and with every poll, number matching (a signed 7th field, one button
per option), the signed capabilities of each push (a push whose well-formed
capabilities do not verify is dropped whole), decline reasons, code to phone
and its trailing "Done", and answers that any privacyIDEA-shaped reply ends.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

import rfc8785

from .app import EmulatedPhone, PendingEnrollment, PhoneError, PhoneToken, PushRequest, _parse_int
from .dart import URI_RE, dart_canonical_url, parse_query_dart_style, percent_decode
from .keys import push_signed_text, server_signature_is_valid, sign
from .transports import HttpResponse

SCHEMES = ("otpauth", "pia")
QR_HOST = "pipush"
QR_VERSION = 1
DEFAULT_TTL_MINUTES = 3
NO_FIREBASE_TOKEN = "no_firebase_token"
APP_CAPABILITIES = ["decline_reason"]
UNKNOWN_TRIGGER = "unknown_trigger"  # "this was not me"
CANCELLED = "cancelled"  # "I changed my mind"


@dataclass
class PiPendingEnrollment(PendingEnrollment):
    poll_only: bool = False


@dataclass
class PiPushRequest(PushRequest):
    """A verified push; ``options`` are the number-matching buttons, if any."""

    options: Tuple[str, ...] = ()
    decline_reasons: bool = False  # the push advertised (and signed) the decline_reason capability


@dataclass
class Answered:
    """What the server said to an answer, as the app reads it."""

    response: HttpResponse
    final: bool  # a privacyIDEA-shaped reply (result.status a boolean): the app never shows the request again
    display_code: Optional[str] = None
    message: Optional[str] = None


class PiAuthenticator(EmulatedPhone):
    """A phone running the privacyIDEA Authenticator."""

    def scan(self, qr_url: str) -> PiPendingEnrollment:
        match = URI_RE.match(qr_url)
        if match is None or match["scheme"].lower() not in SCHEMES or (match["authority"] or "").lower() != QR_HOST:
            raise PhoneError(f"not a pipush QR code: {qr_url[:40]!r}")
        params = parse_query_dart_style(match["query"] or "")
        for name in ("v", "serial", "url", "enrollment_credential"):
            if not params.get(name):
                raise PhoneError(f"QR code lacks the required parameter {name!r}")
        if _parse_int(params["v"], "v") != QR_VERSION:
            raise PhoneError(f"QR code version {params['v']} is not {QR_VERSION}")
        label = percent_decode(match["path"].lstrip("/"), strict=False)
        if not label:
            raise PhoneError("QR code has an empty label")
        return PiPendingEnrollment(
            serial=params["serial"],
            url=dart_canonical_url(params["url"]),
            enrollment_credential=params["enrollment_credential"],
            label=label,
            issuer=params.get("issuer", ""),
            ttl_minutes=_parse_int(params["ttl"], "ttl") if "ttl" in params else DEFAULT_TTL_MINUTES,
            sslverify=params.get("sslverify", "1") == "1",
            force_pin=params.get("pin") == "True",
            image=params.get("image"),
            scanned_at=self.clock(),
            poll_only=params.get("poll_only") == "True",
        )

    def enroll(
        self, pending: PendingEnrollment, firebase_token: Optional[str] = None, pubkey: Optional[str] = None
    ) -> PhoneToken:
        """Step 2 with ``capabilities``; a poll-only token says it has no Firebase token."""
        if firebase_token is None and isinstance(pending, PiPendingEnrollment) and pending.poll_only:
            firebase_token = NO_FIREBASE_TOKEN
        return super().enroll(pending, firebase_token, pubkey)

    def _capability_fields(self) -> List[Tuple[str, str]]:
        return [("capabilities", json.dumps(APP_CAPABILITIES))]

    # -- receiving pushes -------------------------------------------------

    def _unverified(self, token: PhoneToken, data: Dict[str, str]) -> Optional[str]:
        """The main signature over six fields, or seven with number matching; then the capabilities' own."""
        signed_text = push_signed_text(data) + (f"|{data['require_presence']}" if data.get("require_presence") else "")
        if not server_signature_is_valid(token.server_public_key, data["signature"], signed_text):
            return "server signature does not verify"
        capabilities = _capabilities(data)
        if capabilities is None:
            return None
        signed_capabilities = rfc8785.dumps({"capabilities": capabilities, "nonce": data["nonce"]}).decode("utf-8")
        if not server_signature_is_valid(token.server_public_key, data["capabilities_signature"], signed_capabilities):
            return "capabilities signature does not verify"
        return None

    def _request(self, data: Dict[str, str], **fields: Any) -> PushRequest:
        capabilities = _capabilities(data) or {}
        return PiPushRequest(
            **fields,
            options=tuple(data["require_presence"].split(",")) if data.get("require_presence") else (),
            decline_reasons=capabilities.get("decline_reason") is True,
        )

    # -- answering --------------------------------------------------------

    def press(self, request: PushRequest, option: str) -> Answered:
        """Number matching: press one of the push's buttons."""
        if not isinstance(request, PiPushRequest) or option not in request.options:
            raise PhoneError(f"the push offers no button {option!r}")
        return self.answer(request, presence_answer=option)

    def accept(self, request: PushRequest) -> HttpResponse:
        return self.answer(request).response

    def decline(self, request: PushRequest) -> HttpResponse:
        return self.answer(request, decline=True).response

    def answer(
        self,
        request: PushRequest,
        decline: bool = False,
        reason: Optional[str] = None,
        presence_answer: Optional[str] = None,
        with_nonce: bool = True,
        as_json: bool = False,
    ) -> Answered:
        """Send an answer; the reason only where the push advertised it (as the app does)."""
        token = self._token_for(request)
        reason = reason if reason and isinstance(request, PiPushRequest) and request.decline_reasons else None
        signed = f"{request.nonce}|{token.serial}"
        fields: Dict[str, Any] = {"serial": token.serial}
        if with_nonce:
            fields["nonce"] = request.nonce
        if decline:
            signed += "|decline"
            fields["decline"] = 1 if as_json else "1"
            if reason:
                signed += f"|{reason}"
                fields["decline_reason"] = reason
        if presence_answer:
            signed += f"|{presence_answer}"
            fields["presence_answer"] = presence_answer
        fields["signature"] = sign(token.private_key, signed)
        if as_json:
            response = self.transport.post_json(request.url, fields)
        else:
            response = self.transport.post_form(request.url, [(key, str(value)) for key, value in fields.items()])
        result = (response.json or {}).get("result")
        final = isinstance(result, dict) and isinstance(result.get("status"), bool)
        if (final or response.status == 200) and request in self.requests:
            self.requests.remove(request)
        detail = (response.json or {}).get("detail") or {}
        return Answered(response, final, detail.get("display_code"), detail.get("message"))

    def done(self, request: PushRequest) -> Answered:
        """The only button after the app showed the code: a decline of the same push, without a reason."""
        return self.answer(request, decline=True)

    def _token_for(self, request: PushRequest) -> PhoneToken:
        token = self.tokens.get(request.serial)
        if token is None:
            raise PhoneError(f"no token with serial {request.serial!r} on this phone")
        if self.is_expired(request):
            raise PhoneError(f"push request {request.nonce!r} expired on the phone")
        return token


def _capabilities(data: Dict[str, str]) -> Optional[Dict[str, Any]]:
    """The push's capabilities if well-formed (a JSON object and a signature), else None: ignored."""
    text, signature = data.get("capabilities"), data.get("capabilities_signature")
    if not isinstance(text, str) or not isinstance(signature, str):
        return None
    try:
        parsed = json.loads(text)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


__all__ = ["Answered", "PiAuthenticator", "PiPendingEnrollment", "PiPushRequest"]
