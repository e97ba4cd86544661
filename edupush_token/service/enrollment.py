"""Enrollment: the QR code's secrets (step 1) and the phone's key exchange (step 2)."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Optional

from .. import crypto, lifecycle
from ..catalogue import TOKEN_TYPE, AppProfile, Info, RolloutState
from ..crypto import ServerKeyPair
from ..errors import RequestRefused
from ..ports import Clock, EnrollingToken, Ports
from ..wire import requests as wire_requests
from ..wire.edumfa_app.enrollment_url import enrollment_url
from ..wire.pi_app.enrollment_url import pipush_url
from ..wire.qr_fields import QrFields
from .answering import refuse_if_unusable

NOT_WAITING = f"No {TOKEN_TYPE} token with this serial is waiting for enrollment."
EXPIRED = "This enrollment has expired. Please start a new enrollment."
BAD_CREDENTIAL = "Invalid enrollment credential."


@dataclass(frozen=True)
class EnrollmentStart:
    """What step 1 stores in the token: the QR code's credential and its deadline."""

    credential: str
    deadline: datetime


def start(clock: Clock, ttl_minutes: int) -> EnrollmentStart:
    now = clock.now()
    return EnrollmentStart(lifecycle.new_enrollment_credential(), lifecycle.enrollment_deadline(now, ttl_minutes))


def qr_code(profile: AppProfile, fields: QrFields, poll_only: bool, pia_scheme: bool) -> str:
    """The QR code for the token's app; each app reads only its own."""
    if profile is AppProfile.PRIVACYIDEA:
        return pipush_url(fields, poll_only=poll_only, pia_scheme=pia_scheme)
    return enrollment_url(**dataclasses.asdict(fields))


def finish(ports: Ports, token: Optional[EnrollingToken], message: wire_requests.EnrollmentFinish) -> dict[str, Any]:
    """Check the phone's step 2, give the token its keys, and return what the app needs.

    Phones racing one QR code are decided by the claim, a conditional UPDATE:
    only its winner takes a pooled server key, and a loser rolls the claim's
    transaction back before it is refused, so that the host can write its
    audit entry at once (on SQLite the claim holds the database's write lock).
    With the pool empty, the winner makes its key while it holds the claim.
    """
    if token is None or not token.waiting_for_phone():
        raise RequestRefused(NOT_WAITING)
    if _expired(token.info(Info.ENROLLMENT_DEADLINE), ports.clock.now()):
        raise RequestRefused(EXPIRED)
    if not lifecycle.credential_matches(token.info(Info.ENROLLMENT_CREDENTIAL), message.enrollment_credential):
        raise RequestRefused(BAD_CREDENTIAL)
    refuse_if_unusable(ports.audit, message.serial, token.standing.enrollment_refusal(), "enrollment")
    phone_key = crypto.load_phone_key(message.pubkey)
    key_size = int(token.info(Info.SERVER_KEY_SIZE))
    if not ports.store.claim_enrollment(token.id):
        ports.store.rollback()
        raise RequestRefused(NOT_WAITING)
    server_key = ports.keys.take(key_size) or crypto.generate_server_key(key_size)
    token.complete(crypto.phone_key_text(phone_key), message.fbtoken, server_key)
    if message.capabilities is not None and token.info(Info.APP_PROFILE) == AppProfile.PRIVACYIDEA.value:
        token.set_info(Info.APP_CAPABILITIES, json.dumps(list(message.capabilities)))
    ports.store.mark_enrollment_answered(message.serial)
    ports.store.commit()
    ports.keys.refill(key_size)
    return _details(message.serial, server_key)


def _details(serial: str, server_key: ServerKeyPair) -> dict[str, Any]:
    return {
        "public_key": crypto.public_key_for_app(server_key.public_pem),
        "rollout_state": RolloutState.ENROLLED.value,
        "serial": serial,
    }


def _expired(deadline_text: str, now: datetime) -> bool:
    """Past the QR code's ttl; an unreadable deadline counts as expired."""
    try:
        return now >= datetime.fromisoformat(deadline_text or "")
    except (TypeError, ValueError):
        return True
