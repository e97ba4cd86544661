"""How a push leaves the server.

The challenge is always stored before delivery, so a phone can poll for it
whatever happens to the push. A channel only reports what became of the
delivery; it never decides whether the login may go on.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol

from .wire.push_data import PushData

POLL_ONLY = "poll only"


class DeliveryState(enum.Enum):
    POLL_ONLY = "poll-only"
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"


@dataclass(frozen=True)
class DeliveryReport:
    state: DeliveryState
    detail: str = ""


class PushChannel(Protocol):
    def deliver(self, push: PushData, firebase_token: str) -> DeliveryReport: ...


class PollOnlyChannel:
    """No push at all: the phone finds the challenge by polling."""

    def deliver(self, push: PushData, firebase_token: str) -> DeliveryReport:
        return DeliveryReport(DeliveryState.POLL_ONLY, "the phone polls for challenges")
