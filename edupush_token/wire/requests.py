"""What the phone sends to ``/ttype/edupushplus``, parsed into plain data.

Parsing only checks shape (presence, type, length, alphabet); whether a
signature is right or a credential matches is decided by the layers above.
Every field is length-bounded so no request can make the server do
unbounded work before it is refused.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Mapping, Optional, Tuple, Union

from .errors import WireError
from .pi_app.capabilities import parse_app_capabilities

SERIAL = re.compile(r"[A-Za-z0-9._-]{1,40}")
MAX_NONCE = 128
MAX_CREDENTIAL = 128
MAX_SIGNATURE = 2048
MAX_FIREBASE_TOKEN = 4096
MAX_PUBLIC_KEY = 4096
MAX_TIMESTAMP = 40
MAX_DECLINE_REASON = 64
MAX_PRESENCE_ANSWER = 64
TRUE_VALUES = ("1", "true", "True", 1)  # 1 and 0: JSON bodies (eduMFA's next app) send integers
FALSE_VALUES = ("", "0", "false", "False", 0)
MISSING = (
    "Missing parameters: send (enrollment_credential, serial, fbtoken, pubkey), "
    "(nonce, serial, signature) or (new_fb_token, serial, timestamp, signature)."
)


@dataclass(frozen=True)
class EnrollmentFinish:
    """Enrollment step 2 (PROTOCOL.md section 2)."""

    serial: str
    enrollment_credential: str
    fbtoken: str
    pubkey: str
    capabilities: Optional[Tuple[str, ...]] = None  # the privacyIDEA app's list (4.8.0 and later)


@dataclass(frozen=True)
class ChallengeAnswer:
    """An accept or decline of one push (section 4)."""

    serial: str
    nonce: Optional[str]  # None: the privacyIDEA dialect lets the signature pick among the open pushes
    signature: bytes
    decline: bool
    decline_reason: str = ""  # privacyIDEA dialect, signed: "unknown_trigger", "cancelled" or a newer one
    presence_answer: str = ""  # privacyIDEA dialect, signed: the button pressed in number matching


@dataclass(frozen=True)
class FirebaseTokenUpdate:
    """A new Firebase registration token for an enrolled phone (section 6)."""

    serial: str
    new_fb_token: str
    timestamp: str
    signature: bytes


@dataclass(frozen=True)
class Poll:
    """A phone asking for its open challenges (section 5)."""

    serial: str
    timestamp: str
    signature: bytes


PostRequest = Union[EnrollmentFinish, ChallengeAnswer, FirebaseTokenUpdate]


def parse_post(params: Mapping[str, object]) -> PostRequest:
    """Tell the three POST requests apart by their fields, as the app sends them."""
    if "pubkey" in params or "fbtoken" in params or "enrollment_credential" in params:
        return EnrollmentFinish(
            serial=_serial(params),
            enrollment_credential=_field(params, "enrollment_credential", MAX_CREDENTIAL),
            fbtoken=_field(params, "fbtoken", MAX_FIREBASE_TOKEN, allow_empty=True),
            pubkey=_field(params, "pubkey", MAX_PUBLIC_KEY),
            capabilities=parse_app_capabilities(_field(params, "capabilities", MAX_PUBLIC_KEY, allow_empty=True))
            if "capabilities" in params
            else None,
        )
    if "nonce" in params:
        return _answer(params, _field(params, "nonce", MAX_NONCE))
    if "new_fb_token" in params:
        return FirebaseTokenUpdate(
            serial=_serial(params),
            new_fb_token=_field(params, "new_fb_token", MAX_FIREBASE_TOKEN),
            timestamp=_field(params, "timestamp", MAX_TIMESTAMP),
            signature=_signature(params),
        )
    if "signature" in params and "serial" in params and "timestamp" not in params:
        return _answer(params, None)
    raise WireError(MISSING)


def _answer(params: Mapping[str, object], nonce: Optional[str]) -> ChallengeAnswer:
    return ChallengeAnswer(
        serial=_serial(params),
        nonce=nonce,
        signature=_signature(params),
        decline=_flag(params, "decline"),
        decline_reason=_optional(params, "decline_reason", MAX_DECLINE_REASON),
        presence_answer=_optional(params, "presence_answer", MAX_PRESENCE_ANSWER),
    )


def parse_poll(params: Mapping[str, object]) -> Poll:
    return Poll(
        serial=_serial(params),
        timestamp=_field(params, "timestamp", MAX_TIMESTAMP),
        signature=_signature(params),
    )


def decode_base32(text: str) -> bytes:
    """Decode the app's base32 signatures: upper case, padding optional."""
    padded = text + "=" * (-len(text) % 8)
    try:
        return base64.b32decode(padded)
    except (binascii.Error, ValueError):
        raise WireError("The signature is not valid base32.") from None


def _field(params: Mapping[str, object], name: str, max_length: int, allow_empty: bool = False) -> str:
    value = params.get(name)
    if value is None:
        raise WireError(f"Missing parameter {name!r}.")
    if not isinstance(value, str):
        raise WireError(f"Parameter {name!r} must be a string.")
    if not value and not allow_empty:
        raise WireError(f"Parameter {name!r} must not be empty.")
    if len(value) > max_length:
        raise WireError(f"Parameter {name!r} is longer than {max_length} characters.")
    return value


def _optional(params: Mapping[str, object], name: str, max_length: int) -> str:
    return _field(params, name, max_length, allow_empty=True) if params.get(name) is not None else ""


def _serial(params: Mapping[str, object]) -> str:
    serial = _field(params, "serial", 40)
    if not SERIAL.fullmatch(serial):
        raise WireError("Parameter 'serial' may only contain letters, digits, '.', '_' and '-'.")
    return serial


def _signature(params: Mapping[str, object]) -> bytes:
    return decode_base32(_field(params, "signature", MAX_SIGNATURE))


def _flag(params: Mapping[str, object], name: str) -> bool:
    value = params.get(name, "")
    if value in TRUE_VALUES:  # True == 1 and False == 0, so JSON booleans pass too
        return True
    if value in FALSE_VALUES:
        return False
    raise WireError(f"Parameter {name!r} must be 1 or 0.")
