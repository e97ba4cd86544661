"""The phone's endpoint (``/ttype/edupushplus``): answers, polls and token updates.

Every request is parsed by the wire layer first; whatever fails to parse or
to verify raises :class:`RequestRefused` or :class:`WireError` (HTTP 400) and
changes nothing; an authentic request for a revoked, locked or disabled token
raises :class:`TokenUnusable` (a refusal by the host's rules, HTTP 403).
Enrollment step 2 is in :mod:`.enrollment`.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Optional

from .. import crypto, lifecycle
from ..catalogue import AllowPolling
from ..errors import Forbidden, RequestRefused, TokenUnusable
from ..lifecycle import AnswerOutcome
from ..metrics.recorder import recorder
from ..metrics.series import Answer
from ..ports import Audit, Ports
from ..storage.challenges import PhoneSideToken
from ..waiting import answers
from ..wire import requests as wire_requests
from ..wire.push_data import PushData
from ..wire.signed_text import answer_text, poll_text, token_update_text
from ..wire.timestamps import check_clock, parse_timestamp

log = logging.getLogger(__name__)

NOT_VERIFIED = "Could not verify the signature."
POLLING_DENIED = "Polling is not allowed for this token."
STALE_UPDATE = "This Firebase token update is not newer than the last one applied."

Reply = tuple[bool, dict[str, Any]]


def receive_answer(ports: Ports, message: wire_requests.ChallengeAnswer) -> Reply:
    """Apply an authentic answer once: exactly one of racing answers takes effect."""
    try:
        reply, counted = _answer(ports, message)
    except (RequestRefused, Forbidden):
        recorder.answered(Answer.REFUSED)
        raise
    recorder.answered(counted)
    return reply


def _answer(ports: Ports, message: wire_requests.ChallengeAnswer) -> tuple[Reply, Answer]:
    found, challenge = ports.store.phone_side(message.serial, message.nonce)
    token = enrolled(found)
    verify(token.phone_key, answer_text(message.nonce, message.serial, message.decline), message.signature)
    refuse_if_unusable(ports.audit, token.serial, token.standing.refusal(), "an answer")
    if challenge is None:
        return (False, {"message": "This login request is unknown or has expired."}), Answer.UNKNOWN
    outcome = lifecycle.judge_answer(challenge.status.state(ports.clock.now()), message.decline)
    if outcome is AnswerOutcome.APPLY:
        if ports.store.apply_answer(challenge, message.decline):
            answers.notify(challenge.transaction_id)
            _audit_answer(ports.audit, message)
            return (True, {}), Answer.DECLINED if message.decline else Answer.ACCEPTED
        _token, lost_race = ports.store.phone_side(message.serial, message.nonce)
        state = lost_race.status.state(ports.clock.now()) if lost_race else lifecycle.ChallengeState.EXPIRED
        outcome = lifecycle.judge_answer(state, message.decline)
    if outcome is AnswerOutcome.REPEAT:
        return (True, {}), Answer.REPEATED
    if outcome is AnswerOutcome.TOO_LATE:
        ports.audit.record_event("push expired", message.serial, "answered after the login request had expired", False)
        return (False, {"message": "This login request has expired."}), Answer.TOO_LATE
    ports.audit.record_event(
        "push answer refused", message.serial, "the login request was already answered differently", False
    )
    return (False, {"message": "This login request was already answered differently."}), Answer.CONFLICTING


def _audit_answer(audit: Audit, message: wire_requests.ChallengeAnswer) -> None:
    if message.decline:
        log.warning("Token %s: a push was declined on the phone, possibly an attack.", message.serial)
        audit.record_event(
            "push declined", message.serial, "declined on the phone: possible attack (push fatigue)", False
        )
    else:
        audit.note_in_request("push accepted", "accepted on the phone")


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


def refuse_if_unusable(audit: Audit, serial: str, reason: Optional[str], request: str) -> None:
    """Refuse, audited, an authentic request for a token the host has revoked, locked or disabled.

    Called only once the request proved it comes from the token's phone (its
    signature, or in enrollment its credential): the token's state is told to
    that phone only, and anyone else gets the generic refusal.
    """
    if reason is not None:
        audit.record_event("phone request refused", serial, f"{request} for a {reason} token", False)
        raise TokenUnusable(f"This token is {reason}.")


def _signed(ports: Ports, token: PhoneSideToken, push: PushData) -> PushData:
    """A push the delivery thread has not signed yet (or never will: poll-only) is signed now, once."""
    if push.signature:
        return push
    signed = crypto.sign_push(ports.secrets.decrypt(token.encrypted_server_key), push)
    ports.store.keep_signature(signed)
    return signed


def enrolled(token: Optional[PhoneSideToken]) -> PhoneSideToken:
    """The enrolled token for a signed request; every miss looks like a bad signature."""
    if token is None or not token.enrolled or not token.phone_key:
        raise RequestRefused(NOT_VERIFIED)
    return token


def verify(phone_key: str, text: str, signature: bytes) -> None:
    key = crypto.load_phone_key(phone_key)
    if not crypto.phone_signature_valid(key, text, signature):
        raise RequestRefused(NOT_VERIFIED)
