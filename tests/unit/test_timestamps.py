from datetime import datetime, timedelta, timezone

import pytest

from edupush_token.wire import WireError
from edupush_token.wire.timestamps import ClockSkewError, check_clock, parse_timestamp

UTC = timezone.utc


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-11-23T19:14:54.146982Z", datetime(2026, 11, 23, 19, 14, 54, 146982, UTC)),
        ("2026-11-23T19:14:54Z", datetime(2026, 11, 23, 19, 14, 54, 0, UTC)),
        ("2026-11-23T19:14:54.146Z", datetime(2026, 11, 23, 19, 14, 54, 146000, UTC)),
        ("2026-11-23T19:14:54.123456789Z", datetime(2026, 11, 23, 19, 14, 54, 123456, UTC)),
        ("2026-11-23T19:14:54", datetime(2026, 11, 23, 19, 14, 54, 0, UTC)),
        ("2026-11-23T20:14:54+01:00", datetime(2026, 11, 23, 19, 14, 54, 0, UTC)),
        ("2026-11-23T18:14:54-0100", datetime(2026, 11, 23, 19, 14, 54, 0, UTC)),
    ],
)
def test_parses_dart_and_iso_timestamps(text, expected):
    assert parse_timestamp(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "yesterday",
        "2026-11-23",
        "2026-13-01T00:00:00Z",
        "2026-11-23T19:14:54+25:00",
        "2026-11-23T19:14:54Z" + "0" * 50,
    ],
)
def test_refuses_malformed_timestamps(text):
    with pytest.raises(WireError):
        parse_timestamp(text)


def test_clock_within_window_passes():
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    check_clock(now + timedelta(seconds=59), now, timedelta(seconds=60))
    check_clock(now - timedelta(seconds=60), now, timedelta(seconds=60))


def test_clock_skew_message_tells_the_user_what_to_fix():
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    with pytest.raises(ClockSkewError) as ahead:
        check_clock(now + timedelta(minutes=5), now, timedelta(seconds=60))
    assert "5 minutes ahead of" in str(ahead.value)
    assert "time settings" in str(ahead.value) or "time zone settings" in str(ahead.value)
    with pytest.raises(ClockSkewError) as behind:
        check_clock(now - timedelta(hours=3), now, timedelta(seconds=60))
    assert "3 hours behind" in str(behind.value)
    with pytest.raises(ClockSkewError) as far:
        check_clock(now - timedelta(days=400), now, timedelta(seconds=60))
    assert "400 days behind" in str(far.value)


@pytest.mark.parametrize("text", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_timestamps_beyond_the_calendar_are_a_wire_error(text):
    with pytest.raises(WireError, match="out of range"):
        parse_timestamp(text)
