"""The phone's endpoint, ``/ttype/edupushplus``: enrollment step 2, answers, polls, token updates.

Every request is parsed by the wire layer first; whatever fails to parse or to
verify is refused with a 4xx and changes nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Optional

from edumfa.lib.error import ParameterError, PolicyError, ResourceNotFoundError
from edumfa.lib.token import get_one_token
from edumfa.lib.tokenclass import ROLLOUTSTATE
from edumfa.lib.utils import is_true, prepare_result
from edumfa.models import db

from ... import TOKEN_TYPE, crypto, lifecycle
from ...lifecycle import AnswerOutcome
from ...waiting import answers
from ...wire import WireError
from ...wire import requests as wire_requests
from ...wire.signed_text import answer_text, poll_text, token_update_text
from ...wire.timestamps import check_clock, parse_timestamp
from . import audit, delivery, keypool, policies, store
from .policies import AllowPolling
from .tokeninfo import Info

log = logging.getLogger(__name__)

NOT_VERIFIED = "Could not verify the signature."
NOT_WAITING = f"No {TOKEN_TYPE} token with this serial is waiting for enrollment."


def handle(request, g):
    """eduMFA's /ttype dispatch calls this with the Flask request."""
    store.ensure_tables()
    try:
        if request.method == "GET":
            value, details = _serve_poll(wire_requests.parse_poll(request.all_data), g), {}
        elif request.method == "POST":
            value, details = _serve_post(wire_requests.parse_post(request.all_data), g)
        else:
            raise ParameterError(f"Method {request.method} is not supported here.")
    except WireError as error:
        raise ParameterError(str(error)) from None
    return "json", prepare_result(value, details=details)


def _serve_post(message, g):
    if isinstance(message, wire_requests.EnrollmentFinish):
        return _finish_enrollment(message)
    if isinstance(message, wire_requests.ChallengeAnswer):
        return _receive_answer(message, g)
    return _update_firebase_token(message), {}


def _finish_enrollment(message: wire_requests.EnrollmentFinish):
    token = _token(message.serial)
    if token is None or token.token.rollout_state != ROLLOUTSTATE.CLIENTWAIT:
        raise ParameterError(NOT_WAITING)
    if _enrollment_expired(token):
        raise ParameterError("This enrollment has expired. Please start a new enrollment.")
    if not lifecycle.credential_matches(token.get_tokeninfo(Info.ENROLLMENT_CREDENTIAL), message.enrollment_credential):
        raise ParameterError("Invalid enrollment credential.")
    phone_key = crypto.load_phone_key(message.pubkey)
    key_size = int(token.get_tokeninfo(Info.SERVER_KEY_SIZE))
    server_key = keypool.server_key(key_size)
    if not store.claim_enrollment(token.token.id):
        raise ParameterError(NOT_WAITING)
    token.token.rollout_state = ROLLOUTSTATE.ENROLLED
    token.add_tokeninfo(Info.PHONE_KEY, crypto.phone_key_text(phone_key))
    token.add_tokeninfo(Info.FIREBASE_TOKEN, message.fbtoken)
    token.add_tokeninfo(Info.SERVER_PUBLIC_KEY, server_key.public_pem)
    token.add_tokeninfo(Info.SERVER_PRIVATE_KEY, server_key.private_pem, "password")
    token.del_tokeninfo(Info.ENROLLMENT_CREDENTIAL)
    token.del_tokeninfo(Info.ENROLLMENT_DEADLINE)
    token.token.active = True
    token.token.save()
    store.mark_enrollment_answered(message.serial)
    db.session.commit()
    keypool.refill(key_size)
    details = {
        "public_key": crypto.public_key_for_app(server_key.public_pem),
        "rollout_state": ROLLOUTSTATE.ENROLLED,
        "serial": message.serial,
    }
    return True, details


def _enrollment_expired(token) -> bool:
    """Past the QR code's ttl; an unreadable deadline counts as expired."""
    try:
        deadline = datetime.fromisoformat(token.get_tokeninfo(Info.ENROLLMENT_DEADLINE) or "")
        return lifecycle.utc_now() >= deadline
    except (TypeError, ValueError):
        return True


def _receive_answer(message: wire_requests.ChallengeAnswer, g):
    token, challenge = store.answer_target(message.serial, message.nonce)
    _verify(_enrolled(token).phone_key, answer_text(message.nonce, message.serial, message.decline), message.signature)
    if challenge is None:
        return False, {"message": "This login request is unknown or has expired."}
    outcome = lifecycle.judge_answer(challenge.status.state(store.utcnow()), message.decline)
    if outcome is AnswerOutcome.APPLY:
        if store.apply_answer(challenge, message.decline):
            answers.notify(challenge.transaction_id)
            _audit_answer(g, message)
            return True, {}
        lost_race = store.find_push_challenge(message.serial, message.nonce)
        outcome = lifecycle.judge_answer(lost_race.status.state(store.utcnow()), message.decline)
    if outcome is AnswerOutcome.REPEAT:
        return True, {}
    if outcome is AnswerOutcome.TOO_LATE:
        audit.record_event("push expired", message.serial, "answered after the login request had expired", False)
        return False, {"message": "This login request has expired."}
    audit.record_event("push answer refused", message.serial, "the login request was already answered differently", False)
    return False, {"message": "This login request was already answered differently."}


def _audit_answer(g, message: wire_requests.ChallengeAnswer) -> None:
    if message.decline:
        log.warning("Token %s: a push was declined on the phone, possibly an attack.", message.serial)
        audit.record_event("push declined", message.serial, "declined on the phone: possible attack (push fatigue)", False)
    else:
        audit.note_in_request(g, "push accepted", "accepted on the phone")


def _update_firebase_token(message: wire_requests.FirebaseTokenUpdate) -> bool:
    check_clock(parse_timestamp(message.timestamp), lifecycle.utc_now(), lifecycle.TOKEN_UPDATE_WINDOW)
    _verify(_enrolled(store.phone_side_token(message.serial)).phone_key,
            token_update_text(message.new_fb_token, message.serial, message.timestamp), message.signature)
    token = _token(message.serial)
    token.add_tokeninfo(Info.FIREBASE_TOKEN, message.new_fb_token)
    delivery.revive_registration(token)
    token.token.save()
    return True


def _serve_poll(message: wire_requests.Poll, g) -> list:
    token = store.phone_side_token(message.serial)
    allow = policies.read_allow_polling(g, lambda: _owner(message.serial))
    if allow == AllowPolling.DENY or (
        allow == AllowPolling.TOKEN and token is not None and not is_true(token.polling_allowed)
    ):
        raise PolicyError("Polling is not allowed for this token.")
    check_clock(parse_timestamp(message.timestamp), lifecycle.utc_now(), lifecycle.POLL_WINDOW)
    token = _enrolled(token)
    _verify(token.phone_key, poll_text(message.serial, message.timestamp), message.signature)
    return [_signed(token, push).as_dict() for push in store.open_pushes(message.serial)]


def _owner(serial: str):
    token = _token(serial)
    return token.user if token is not None else None


def _signed(token: store.PhoneSideToken, push):
    """A push the delivery thread has not signed yet (or never will: poll-only) is signed now, once."""
    if push.signature:
        return push
    signed = crypto.sign_push(token.server_private_key(), push)
    store.keep_signature(signed)
    return signed


def _token(serial: str):
    try:
        return get_one_token(serial=serial, tokentype=TOKEN_TYPE)
    except ResourceNotFoundError:
        return None


def _enrolled(token: Optional[store.PhoneSideToken]) -> store.PhoneSideToken:
    """The enrolled token for a signed request; every miss looks like a bad signature."""
    if token is None or not token.enrolled or not token.phone_key:
        raise ParameterError(NOT_VERIFIED)
    return token


def _verify(phone_key: str, text: str, signature: bytes) -> None:
    key = crypto.load_phone_key(phone_key)
    if not crypto.phone_signature_valid(key, text, signature):
        raise ParameterError(NOT_VERIFIED)
