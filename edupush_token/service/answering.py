"""What every signed request of a phone goes through, in either dialect: its token, its signature, its answer once."""

from __future__ import annotations

from typing import Any, Callable, Optional

from .. import crypto, lifecycle
from ..errors import RequestRefused, TokenUnusable
from ..lifecycle import AnswerOutcome
from ..ports import Audit, Ports
from ..storage.challenges import PhoneSideToken, StoredChallenge
from ..waiting import answers

NOT_VERIFIED = "Could not verify the signature."

Reply = tuple[bool, dict[str, Any]]


def settle(
    ports: Ports,
    serial: str,
    challenge: Optional[StoredChallenge],
    decline: bool,
    apply: Callable[[], bool],
    won: Callable[[], Reply],
) -> Reply:
    """Apply an authentic answer once: exactly one of racing answers takes effect (``apply`` says if it did)."""
    if challenge is None:
        return False, {"message": "This login request is unknown or has expired."}
    outcome = lifecycle.judge_answer(challenge.status.state(ports.clock.now()), decline)
    if outcome is AnswerOutcome.APPLY:
        if apply():
            answers.notify(challenge.transaction_id)
            return won()
        _token, lost_race = ports.store.phone_side(serial, challenge.nonce)
        state = lost_race.status.state(ports.clock.now()) if lost_race else lifecycle.ChallengeState.EXPIRED
        outcome = lifecycle.judge_answer(state, decline)
    if outcome is AnswerOutcome.REPEAT:
        return True, {}
    if outcome is AnswerOutcome.TOO_LATE:
        ports.audit.record_event("push expired", serial, "answered after the login request had expired", False)
        return False, {"message": "This login request has expired."}
    ports.audit.record_event("push answer refused", serial, "the login request was already answered differently", False)
    return False, {"message": "This login request was already answered differently."}


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
