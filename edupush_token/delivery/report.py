"""What became of a push, as admins see it."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from ..lifecycle import ChallengeState, ChallengeStatus


class DeliveryState(enum.Enum):
    POLL_ONLY = "poll-only"
    QUEUED = "queued"
    RETRYING = "retrying"
    SENT = "sent"
    FAILED = "failed"
    EXPIRED = "expired"  # the challenge expired while its push waited: nobody needs it any more
    ANSWERED = "answered"  # the phone answered (by polling) while its push waited
    SKIPPED = "skipped"

    @property
    def shown(self) -> str:
        """The state as ``edupush-token deliveries`` shows it: an unsent push is no failure when its login is over."""
        return SHOWN.get(self, self.value)


SHOWN = {
    DeliveryState.EXPIRED: "expired before delivery",
    DeliveryState.ANSWERED: "answered before delivery",
}


def shown_state(stored: str) -> str:
    """A stored state's text for admins; a state this version does not know is shown as it is."""
    try:
        return DeliveryState(stored).shown
    except ValueError:
        return stored


EXPIRED_DETAIL = "the challenge expired before the push was sent"
GONE = "the login used or removed its challenge before the push was sent"
ANSWERED_DETAIL = {
    ChallengeState.ACCEPTED: "approved on the phone before the push was sent",
    ChallengeState.DECLINED: "declined on the phone before the push was sent",
}


@dataclass(frozen=True)
class DeliveryReport:
    state: DeliveryState
    detail: str = ""
    message_id: str = ""
    attempts: int = 0
    unregistered: bool = False
    retry_in: Optional[float] = None  # RETRYING: seconds until the push is due again


def settled_before_delivery(
    status: Optional[ChallengeStatus], now: datetime, attempts: int
) -> Optional[DeliveryReport]:
    """The report for a push whose challenge no longer needs it, or None while the challenge is open.

    A challenge row that is gone before its expiry was used by its login (or deleted with its token).
    """
    if status is None:
        return DeliveryReport(DeliveryState.ANSWERED, GONE, attempts=attempts)
    state = status.state(now)
    if state is ChallengeState.OPEN:
        return None
    if state is ChallengeState.EXPIRED:
        return DeliveryReport(DeliveryState.EXPIRED, EXPIRED_DETAIL, attempts=attempts)
    return DeliveryReport(DeliveryState.ANSWERED, ANSWERED_DETAIL[state], attempts=attempts)
