"""The phone's endpoint (``/ttype/edupushplus``): answers, polls and token updates.

Every request is parsed by the wire layer first; whatever fails to parse or
to verify raises :class:`RequestRefused` or :class:`WireError` (HTTP 400) and
changes nothing; an authentic request for a revoked, locked or disabled token
raises :class:`TokenUnusable` (a refusal by the host's rules, HTTP 403).
Enrollment step 2 is in :mod:`.enrollment`.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any, Callable, Optional

from .. import crypto, lifecycle
from ..catalogue import AllowPolling, AppProfile
from ..errors import Forbidden, RequestRefused, WireError
from ..metrics.recorder import recorder
from ..metrics.series import Answer
from ..ports import Audit, PolicyReader, Ports
from ..storage.challenges import PhoneSideToken
from ..wire import requests as wire_requests
from ..wire.pi_app.answers import answer_text as pi_answer_text
from ..wire.push_data import PushData
from ..wire.signed_text import answer_text, poll_text, token_update_text
from ..wire.timestamps import check_clock, parse_timestamp
from . import pi_app
from .answering import NOT_VERIFIED, Reply, Settled, enrolled, refuse_if_unusable, settle, verify

log = logging.getLogger(__name__)

POLLING_DENIED = "Polling is not allowed for this token."
STALE_UPDATE = "This Firebase token update is not newer than the last one applied."


def receive_answer(
    ports: Ports, message: wire_requests.ChallengeAnswer, policies: Optional[Callable[[], PolicyReader]] = None
) -> Reply:
    """Apply an authentic answer once, in the dialect of the token's app; counted by what became of it.

    ``policies``: the token owner's, read only where an answer needs them (code to phone's message).
    """
    try:
        reply, counted = _answer(ports, message, policies)
    except (RequestRefused, Forbidden, WireError):
        recorder.answered(Answer.REFUSED)
        raise
    recorder.answered(counted)
    return reply


def _answer(
    ports: Ports, message: wire_requests.ChallengeAnswer, policies: Optional[Callable[[], PolicyReader]]
) -> Settled:
    nonce = message.nonce if message.nonce is not None else _nonce_signed_for(ports, message)
    found, challenge = ports.store.phone_side(message.serial, nonce)
    token = enrolled(found)
    if token.profile == AppProfile.PRIVACYIDEA.value:
        return pi_app.receive_answer(ports, token, challenge, replace(message, nonce=nonce), policies)
    verify(token.phone_key, answer_text(nonce, message.serial, message.decline), message.signature)
    refuse_if_unusable(ports.audit, token.serial, token.standing.refusal(), "an answer")
    stored = challenge
    return settle(
        ports,
        message.serial,
        stored,
        message.decline,
        lambda: stored is not None and ports.store.apply_answer(stored, message.decline),
        lambda: _audit_answer(ports.audit, message),
    )


def _nonce_signed_for(ports: Ports, message: wire_requests.ChallengeAnswer) -> str:
    """An answer without a nonce (privacyIDEA dialect): the open push whose nonce its signature covers.

    Only the privacyIDEA dialect has such answers; to an eduMFA-profile token
    it is the malformed request it always was.
    """
    token, _none = ports.store.phone_side(message.serial)
    if token is None or token.profile != AppProfile.PRIVACYIDEA.value:
        raise WireError(wire_requests.MISSING)
    key = crypto.load_phone_key(enrolled(token).phone_key)
    for push in ports.store.open_pushes(message.serial):
        text = pi_answer_text(
            push.nonce, message.serial, message.decline, message.decline_reason, message.presence_answer
        )
        if crypto.phone_signature_valid(key, text, message.signature):
            return push.nonce
    raise RequestRefused(NOT_VERIFIED)


def _audit_answer(audit: Audit, message: wire_requests.ChallengeAnswer) -> Reply:
    if message.decline:
        log.warning("Token %s: a push was declined on the phone, possibly an attack.", message.serial)
        audit.record_event(
            "push declined", message.serial, "declined on the phone: possible attack (push fatigue)", False
        )
    else:
        audit.note_in_request("push accepted", "accepted on the phone")
    return True, {}


def serve_poll(ports: Ports, message: wire_requests.Poll, allow: Callable[[], AllowPolling]) -> list[dict[str, Any]]:
    """The token's open pushes, each signed once; polling may be denied by policy or per token."""
    token, _none = ports.store.phone_side(message.serial)
    allowed = allow()
    if allowed is AllowPolling.DENY or (
        allowed is AllowPolling.TOKEN and token is not None and token.polling_allowed.lower() not in ("1", "true")
    ):
        raise Forbidden(POLLING_DENIED)
    check_clock(parse_timestamp(message.timestamp), ports.clock.now(), lifecycle.POLL_WINDOW)
    token = enrolled(token)
    verify(token.phone_key, poll_text(message.serial, message.timestamp), message.signature)
    refuse_if_unusable(ports.audit, token.serial, token.standing.refusal(), "a poll")
    return [_signed(ports, token, push).as_dict() for push in ports.store.open_pushes(message.serial)]


def check_token_update(ports: Ports, message: wire_requests.FirebaseTokenUpdate) -> None:
    """Refuse an update that is stale or not signed by the token's phone; the host then applies it.

    An update's timestamp must be newer than the last one applied, so a
    delayed or replayed older update cannot bring back a retired Firebase token.
    The store claims the timestamp in the host's transaction: the host commits
    the new Firebase token with it.
    """
    sent = parse_timestamp(message.timestamp)
    check_clock(sent, ports.clock.now(), lifecycle.TOKEN_UPDATE_WINDOW)
    found, _none = ports.store.phone_side(message.serial)
    token = enrolled(found)
    verify(
        token.phone_key, token_update_text(message.new_fb_token, message.serial, message.timestamp), message.signature
    )
    refuse_if_unusable(ports.audit, token.serial, token.standing.refusal(), "a Firebase token update")
    stamp = lifecycle.update_stamp(sent)
    if stamp <= token.last_token_update or not ports.store.claim_token_update(token.id, stamp):
        ports.audit.record_event("token update refused", token.serial, STALE_UPDATE, False)
        raise RequestRefused(STALE_UPDATE)


def _signed(ports: Ports, token: PhoneSideToken, push: PushData) -> PushData:
    """A push the delivery thread has not signed yet (or never will: poll-only) is signed now, once."""
    if push.signature:
        return push
    signed = crypto.sign_push(ports.secrets.decrypt(token.encrypted_server_key), push)
    ports.store.keep_signature(signed)
    return signed
