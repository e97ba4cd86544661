"""Limits against push bombing, decided without I/O.

An attacker who knows a password can send push after push until a tired user
taps "accept". The eduMFA Authenticator cannot do number matching, so the
server limits how often a user is asked:

- while a token has as many open requests as allowed, a new login is refused
  (not queued, and not replacing the open one, which might be the user's own);
- pushes to one user are spaced by a minimum interval and capped per hour;
- declines are the user's alarm button: after ``decline_limit`` declines within
  ``decline_window`` the user gets no pushes for ``cooldown``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional, Sequence

from . import catalogue

HOUR = timedelta(hours=1)


def _default(policy: catalogue.Policy) -> int:
    return int(policy.default or 0)


class Limit(str, enum.Enum):
    """The limit that refused a push, as the audit log names it."""

    COOLDOWN = "decline cool-down"
    OPEN_REQUESTS = "open requests"
    MIN_INTERVAL = "minimum interval"
    HOURLY_CAP = "hourly cap"


@dataclass(frozen=True)
class PushLimits:
    """The limits in force; the defaults are the catalogue's."""

    max_open: int = _default(catalogue.MAX_OPEN)
    min_interval: timedelta = timedelta(seconds=_default(catalogue.MIN_INTERVAL))
    max_per_hour: int = _default(catalogue.MAX_PER_HOUR)
    decline_limit: int = _default(catalogue.DECLINE_LIMIT)
    decline_window: timedelta = timedelta(seconds=_default(catalogue.DECLINE_WINDOW))
    cooldown: timedelta = timedelta(seconds=_default(catalogue.DECLINE_COOLDOWN))

    @property
    def history_needed(self) -> timedelta:
        """How far back the history must reach for these limits."""
        return max(HOUR, self.decline_window + self.cooldown)


@dataclass(frozen=True)
class PushHistory:
    """What the user has been sent and answered recently."""

    pushes: Sequence[datetime]
    declines: Sequence[datetime]
    open_on_token: int


@dataclass(frozen=True)
class Refusal:
    """Why no push may be sent now, and from when one may be."""

    limit: Limit
    message: str
    retry_at: Optional[datetime]


def check_push(limits: PushLimits, history: PushHistory, now: datetime) -> Optional[Refusal]:
    """None if a push may be sent now, else the first limit that forbids it."""
    cooling_until = cooldown_end(limits, history.declines)
    if cooling_until is not None and now < cooling_until:
        return Refusal(
            Limit.COOLDOWN,
            f"Push logins are paused until {cooling_until:%H:%M} UTC because recent requests "
            "were declined on the phone.",
            cooling_until,
        )
    if history.open_on_token >= limits.max_open:
        return Refusal(
            Limit.OPEN_REQUESTS,
            "A login request is already waiting on your phone: answer it there, or try again when it has expired.",
            None,
        )
    recent = sorted(moment for moment in history.pushes if moment > now - HOUR)
    # A push that a concurrent login recorded after ``now`` is in ``recent``
    # too; without an interval it must not count as one pushed too early.
    if limits.min_interval > timedelta(0) and recent and now - recent[-1] < limits.min_interval:
        retry_at = recent[-1] + limits.min_interval
        return Refusal(
            Limit.MIN_INTERVAL, f"Please wait {_seconds(retry_at - now)} seconds before the next push login.", retry_at
        )
    if len(recent) >= limits.max_per_hour:
        retry_at = recent[len(recent) - limits.max_per_hour] + HOUR
        return Refusal(
            Limit.HOURLY_CAP, f"Too many push logins in the last hour; try again at {retry_at:%H:%M} UTC.", retry_at
        )
    return None


def cooldown_end(limits: PushLimits, declines: Sequence[datetime]) -> Optional[datetime]:
    """When the cool-down started by the latest burst of declines ends, if one did start."""
    if limits.decline_limit < 1:
        return None
    ordered = sorted(declines)
    for index in range(len(ordered) - 1, limits.decline_limit - 2, -1):
        first = ordered[index - limits.decline_limit + 1]
        if ordered[index] - first <= limits.decline_window:
            return ordered[index] + limits.cooldown
    return None


def _seconds(span: timedelta) -> int:
    return max(1, int(span.total_seconds() + 0.999))
