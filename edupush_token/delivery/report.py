"""What became of a push, as admins see it."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class DeliveryState(enum.Enum):
    POLL_ONLY = "poll-only"
    QUEUED = "queued"
    RETRYING = "retrying"
    SENT = "sent"
    FAILED = "failed"
    EXPIRED = "expired"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class DeliveryReport:
    state: DeliveryState
    detail: str = ""
    message_id: str = ""
    attempts: int = 0
    unregistered: bool = False
