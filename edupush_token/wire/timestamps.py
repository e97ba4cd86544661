"""Timestamps the app sends with polls and Firebase-token updates.

The app sends Dart's ``DateTime.now().toUtc().toIso8601String()``, for example
``2026-11-23T19:14:54.146982Z``. A timestamp outside the server's window is
almost always a phone with a wrong clock, so the error says so: the app shows
``result.error.message`` to the user verbatim.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from .errors import ClockSkewError, WireError

ISO_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})"
    r"(?:\.(\d{1,9}))?"
    r"(Z|[+-]\d{2}:?\d{2})?"
)
MAX_TIMESTAMP_LENGTH = 40


def parse_timestamp(text: str) -> datetime:
    """Parse an ISO 8601 timestamp into an aware UTC datetime (no zone means UTC)."""
    match = ISO_TIMESTAMP.fullmatch(text) if len(text) <= MAX_TIMESTAMP_LENGTH else None
    if not match:
        raise WireError(
            f"Could not parse timestamp {text[:MAX_TIMESTAMP_LENGTH]!r}: "
            "ISO 8601 format required, e.g. 2026-11-23T19:14:54.146982Z."
        )
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    microsecond = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), microsecond)
    except ValueError as error:
        raise WireError(f"Invalid timestamp {text!r}: {error}.") from None
    try:
        return moment.replace(tzinfo=_zone(zone)).astimezone(timezone.utc)
    except OverflowError:
        raise WireError(f"Timestamp {text!r} is out of range.") from None


def _zone(zone: str | None) -> timezone:
    if zone in (None, "Z"):
        return timezone.utc
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    if offset >= timedelta(hours=24):
        raise WireError(f"Invalid UTC offset {zone!r}.")
    return timezone(sign * offset)


def check_clock(moment: datetime, now: datetime, window: timedelta) -> None:
    """Refuse a timestamp further than ``window`` from ``now``, telling the user why."""
    skew = moment - now
    if abs(skew) <= window:
        return
    direction = "ahead of" if skew > timedelta(0) else "behind"
    raise ClockSkewError(
        f"The time on your phone is {_describe(abs(skew))} {direction} the server's "
        "clock. Please check the date, time and time zone settings of your phone."
    )


def _describe(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    if seconds < 120:
        return f"{seconds} seconds"
    if seconds < 7200:
        return f"{seconds // 60} minutes"
    if seconds < 172800:
        return f"{seconds // 3600} hours"
    return f"{seconds // 86400} days"
