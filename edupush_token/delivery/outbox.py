"""The outbox: a push still to be sent is a row, not a closure in one process's memory.

The push record says when the push is next due and which process holds it,
until when.  A process that makes a push holds it from the login's own insert
and sends it at once; a transient failure writes the next due time and lets
the push go, so whichever process sweeps first after that time sends it again.
A process that dies while holding a push loses it only until its lease ends.

"Exactly once" holds as far as Firebase's answers allow: a process that dies
after Firebase accepted a push but before it wrote so leaves the push due,
and another process sends it again when the lease ends.  In that window the
delivery is at least once; the app ignores a nonce it has seen (it remembers
the last 30), so the user sees one request.
"""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

from ..catalogue import LEASE_OWNER_LENGTH, LEASE_SECONDS
from ..wire.push_data import PushData
from .report import shown_state


@dataclass(frozen=True)
class Lease:
    """One process's hold on a push: nobody else sends it before ``until`` (aware UTC)."""

    owner: str
    until: datetime

    def left(self, now: datetime) -> float:
        return (self.until - now).total_seconds()


def lease_from(owner: str, now: datetime, seconds: float = LEASE_SECONDS) -> Lease:
    return Lease(owner, now + timedelta(seconds=seconds))


def new_owner() -> str:
    """This process's name in lease columns: host, process id and a random part (process ids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"[-LEASE_OWNER_LENGTH:]


def next_due(now: datetime, retry_in: float) -> datetime:
    """When a push that failed for now is due again."""
    return now + timedelta(seconds=max(0.0, retry_in))


@dataclass(frozen=True)
class DuePush:
    """A push taken over from the outbox, with what its next attempt needs."""

    challenge_id: int
    nonce: str
    serial: str
    push: PushData
    attempts: int
    expires_at: Optional[datetime]  # aware UTC; None once the challenge row is gone (used or deleted)
    lease: Lease
    created: Optional[datetime] = None  # aware UTC: when the login stored the push


@dataclass(frozen=True)
class OutboxSummary:
    """The outbox as admins see it: pushes by stored state, and those due but not sent."""

    states: dict[str, int]
    overdue: int
    oldest_overdue: Optional[datetime]  # aware UTC: when the longest-waiting overdue push was due

    def shown(self, now: datetime) -> str:
        """One line for ``edupush-token deliveries``; pushes stay overdue for long only if no process sweeps."""
        states = ", ".join(f"{count} {shown_state(state) or '-'}" for state, count in sorted(self.states.items()))
        line = f"outbox: {states or 'no pushes'}; {self.overdue} overdue"
        if self.oldest_overdue is not None:
            line += f", the oldest due {(now - self.oldest_overdue).total_seconds():.0f} s ago"
        return line
