"""A phone's answer in either dialect: its token, its signature, applied once; and whether its login is complete."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any, Callable, Optional

from .. import crypto, lifecycle, matching
from ..errors import RequestRefused, TokenUnusable
from ..lifecycle import AnswerOutcome, ChallengeState
from ..matching import PushMode
from ..metrics.series import Answer
from ..ports import Audit, Ports
from ..storage.challenges import CONFIRM_ANSWER, PhoneSideToken, StoredChallenge
from ..waiting import answers

log = logging.getLogger(__name__)

NOT_VERIFIED = "Could not verify the signature."

Reply = tuple[bool, dict[str, Any]]
Settled = tuple[Reply, Answer]  # the reply to the phone, and what became of its answer (the metrics' label)


def settle(
    ports: Ports,
    serial: str,
    challenge: Optional[StoredChallenge],
    decline: bool,
    apply: Callable[[], bool],
    won: Callable[[], Reply],
) -> Settled:
    """Apply an authentic answer once: exactly one of racing answers takes effect (``apply`` says if it did)."""
    if challenge is None:
        return (False, {"message": "This login request is unknown or has expired."}), Answer.UNKNOWN
    outcome = lifecycle.judge_answer(challenge.status.state(ports.clock.now()), decline)
    if outcome is AnswerOutcome.APPLY:
        if apply():
            answers.notify(challenge.transaction_id)
            return won(), Answer.DECLINED if decline else Answer.ACCEPTED
        _token, lost_race = ports.store.phone_side(serial, challenge.nonce)
        state = lost_race.status.state(ports.clock.now()) if lost_race else lifecycle.ChallengeState.EXPIRED
        outcome = lifecycle.judge_answer(state, decline)
    if outcome is AnswerOutcome.REPEAT:
        return (True, {}), Answer.REPEATED
    if outcome is AnswerOutcome.TOO_LATE:
        ports.audit.record_event("push expired", serial, "answered after the login request had expired", False)
        return (False, {"message": "This login request has expired."}), Answer.TOO_LATE
    ports.audit.record_event("push answer refused", serial, "the login request was already answered differently", False)
    return (False, {"message": "This login request was already answered differently."}), Answer.CONFLICTING


def refuse_if_unusable(audit: Audit, serial: str, reason: Optional[str], request: str) -> None:
    """Refuse, audited, an authentic request for a token the host has revoked, locked or disabled.

    Called only once the request proved it comes from the token's phone (its
    signature, or in enrollment its credential): the token's state is told to
    that phone only, and anyone else gets the generic refusal.
    """
    if reason is not None:
        audit.record_event("phone request refused", serial, f"{request} for a {reason} token", False)
        raise TokenUnusable(f"This token is {reason}.")


def enrolled(token: Optional[PhoneSideToken]) -> PhoneSideToken:
    """The enrolled token for a signed request; every miss looks like a bad signature."""
    if token is None or not token.enrolled or not token.phone_key:
        raise RequestRefused(NOT_VERIFIED)
    return token


def verify(phone_key: str, text: str, signature: bytes) -> None:
    key = crypto.load_phone_key(phone_key)
    if not crypto.phone_signature_valid(key, text, signature):
        raise RequestRefused(NOT_VERIFIED)


def completes_login(ports: Ports, serial: str, transaction_id: str, passw: str, finalize_window: timedelta) -> bool:
    """Whether /validate/check with this transaction_id completes the login.

    For code to phone the phone's confirmation is not enough: ``passw`` must
    be the code it showed.  A wrong code ends the login, counted like a decline.
    """
    challenge = ports.store.transaction_challenge(serial, transaction_id)
    if challenge is None:
        return False
    now = ports.clock.now()
    if challenge.check.mode is not PushMode.CODE_TO_PHONE or challenge.status.accepted:
        return challenge.status.completes_login(now, finalize_window)
    if challenge.answer != CONFIRM_ANSWER or challenge.status.state(now) is not ChallengeState.OPEN:
        return False
    if matching.same(passw, challenge.check.expected):
        return ports.store.apply_answer(challenge, False)
    if ports.store.apply_answer(challenge, True):
        log.warning("Token %s: a wrong code was typed after the phone confirmed.", serial)
        info = f"transaction_id: {transaction_id}, status: declined, reason: wrong code"
        ports.audit.record_event("push wrong code", serial, f"{info}: the login is declined", False, "wrong code")
    return False
