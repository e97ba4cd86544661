import random
from datetime import datetime, timedelta, timezone

import pytest

from edupush_token.delivery.retry import Backoff, parse_retry_after


@pytest.fixture
def rng():
    return random.Random(7)


def test_delays_grow_exponentially_with_jitter_and_a_cap(rng):
    backoff = Backoff(first_delay=0.5, factor=2, max_delay=4)
    for attempt, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 4.0), (9, 4.0)]:
        delays = {backoff.delay(attempt, None, rng) for _ in range(50)}
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays)
        assert len(delays) > 1  # jittered


def test_retry_after_is_honoured(rng):
    assert Backoff().delay(1, 7.0, rng) == 7.0


def test_no_retry_past_the_deadline(rng):
    backoff = Backoff(first_delay=1)
    assert backoff.next_delay(1, None, seconds_left=0.4, rng=rng) is None
    assert backoff.next_delay(1, 30.0, seconds_left=20, rng=rng) is None
    assert backoff.next_delay(1, None, seconds_left=20, rng=rng) is not None


def test_attempts_go_on_while_the_challenge_is_valid(rng):
    backoff = Backoff(max_delay=8)
    assert backoff.next_delay(50, None, 100, rng) is not None
    assert backoff.next_delay(50, None, 3, rng) is None


def test_parse_retry_after():
    now = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)
    assert parse_retry_after("12") == 12.0
    assert parse_retry_after(" 3 ") == 3.0
    assert parse_retry_after("Mon, 23 Nov 2026 12:00:30 GMT", now) == 30.0
    assert parse_retry_after("Mon, 23 Nov 2026 11:00:00 GMT", now) == 0.0
    assert parse_retry_after((now + timedelta(seconds=5)).strftime("%a, %d %b %Y %H:%M:%S GMT"), now) == 5.0
    for unreadable in (None, "", "soon", "-1"):
        assert parse_retry_after(unreadable, now) is None
