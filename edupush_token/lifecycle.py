"""What a challenge or an enrollment may do next, decided without I/O.

A push challenge is open until it is accepted, declined or expires. Accept
and decline are final: a decline can never be turned into an accept, nor back,
and a repeated answer (the app re-sends when it missed our reply) is
recognised as a repeat instead of being applied twice.
"""

from __future__ import annotations

import base64
import enum
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Optional

NONCE_BYTES = 20
CREDENTIAL_BYTES = 20
POLL_WINDOW = timedelta(seconds=60)
TOKEN_UPDATE_WINDOW = timedelta(minutes=5)


class ChallengeState(enum.Enum):
    OPEN = "open"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"


class AnswerOutcome(enum.Enum):
    """What an authentic answer from the phone does to its challenge."""

    APPLY = "apply"
    REPEAT = "repeat"
    TOO_LATE = "too_late"
    CONFLICT = "conflict"


@dataclass(frozen=True)
class ChallengeStatus:
    accepted: bool
    declined: bool
    expires_at: datetime

    def state(self, now: datetime) -> ChallengeState:
        if self.declined:
            return ChallengeState.DECLINED
        if self.accepted:
            return ChallengeState.ACCEPTED
        if now >= self.expires_at:
            return ChallengeState.EXPIRED
        return ChallengeState.OPEN

    def completes_login(self, now: datetime, finalize_window: timedelta) -> bool:
        """An accept completes a login until ``finalize_window`` after the challenge's expiry, not forever.

        The relying application may learn of the accept late (it polls, or the
        user is slow to come back), so the window reaches past the expiry; it is
        bounded so that a stolen transaction id is not worth keeping.
        """
        return self.accepted and not self.declined and now < self.expires_at + finalize_window


@dataclass(frozen=True)
class TokenStanding:
    """The host's switches on a token that an authentic request from its phone must respect."""

    active: bool = True
    revoked: bool = False
    locked: bool = False

    def refusal(self) -> Optional[str]:
        """Why the phone may not use the token ("revoked", "locked", "disabled"), or None if it may."""
        if self.revoked:
            return "revoked"
        if self.locked:
            return "locked"
        if not self.active:
            return "disabled"
        return None

    def enrollment_refusal(self) -> Optional[str]:
        """As :meth:`refusal`, but a disabled token may finish enrollment.

        The hosts' two-step enrollment keeps the token disabled until the phone
        finishes step 2 (and refuse to disable it again meanwhile), so disabled
        is what a token waiting for its phone always is.
        """
        return "revoked" if self.revoked else "locked" if self.locked else None


USABLE = TokenStanding()


def judge_answer(state: ChallengeState, decline: bool) -> AnswerOutcome:
    wanted = ChallengeState.DECLINED if decline else ChallengeState.ACCEPTED
    if state is ChallengeState.OPEN:
        return AnswerOutcome.APPLY
    if state is wanted:
        return AnswerOutcome.REPEAT
    if state is ChallengeState.EXPIRED:
        return AnswerOutcome.TOO_LATE
    return AnswerOutcome.CONFLICT


def update_stamp(moment: datetime) -> str:
    """A phone's token-update time as stored: fixed-width ISO 8601 in UTC, so text order is time order.

    The store compares these texts in SQL to let only a newer update through.
    """
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def new_nonce() -> str:
    """A 160-bit challenge in base32 without padding: safe in every URL and form."""
    return base64.b32encode(secrets.token_bytes(NONCE_BYTES)).decode()


def new_enrollment_credential() -> str:
    return secrets.token_hex(CREDENTIAL_BYTES)


def credential_matches(expected: str, given: str) -> bool:
    """Constant-time comparison, so the credential cannot be guessed byte by byte."""
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def enrollment_deadline(started: datetime, ttl_minutes: int) -> datetime:
    return started + timedelta(minutes=ttl_minutes)


class SystemClock:
    """The real time, aware UTC: the :class:`edupush_token.ports.Clock` of a running server."""

    def now(self) -> datetime:
        return utc_now()
