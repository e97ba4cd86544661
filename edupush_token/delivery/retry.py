"""When to try a failed push again: exponential backoff with jitter, never past the challenge.

There is no cap on the number of attempts: a push is worth sending for as
long as its challenge is valid, however long Firebase is away.

Pure arithmetic on seconds, so the schedule can be tested without waiting.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Optional


@dataclass(frozen=True)
class Backoff:
    first_delay: float = 0.5
    factor: float = 2.0
    max_delay: float = 8.0

    def delay(self, attempt: int, retry_after: Optional[float], rng: random.Random) -> float:
        """Delay before attempt ``attempt + 1``: "equal jitter", but never before Retry-After."""
        ceiling = min(self.max_delay, self.first_delay * self.factor ** (attempt - 1))
        return max(rng.uniform(ceiling / 2, ceiling), retry_after or 0.0)

    def next_delay(
        self, attempt: int, retry_after: Optional[float], seconds_left: float, rng: random.Random
    ) -> Optional[float]:
        """The delay before the next attempt, or None when no attempt fits before the deadline."""
        delay = self.delay(attempt, retry_after, rng)
        return delay if delay < seconds_left else None


def parse_retry_after(value: Optional[str], now: Optional[datetime] = None) -> Optional[float]:
    """Retry-After in seconds, from delta-seconds or an HTTP date; None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return max(0.0, (moment - (now or datetime.now(timezone.utc))).total_seconds())
