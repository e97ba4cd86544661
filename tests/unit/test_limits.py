from datetime import datetime, timedelta

import pytest

from edupush_token.limits import PushHistory, PushLimits, check_push, cooldown_end

NOW = datetime(2026, 11, 23, 12, 0, 0)
LIMITS = PushLimits(
    max_open=1,
    min_interval=timedelta(seconds=5),
    max_per_hour=3,
    decline_limit=3,
    decline_window=timedelta(minutes=10),
    cooldown=timedelta(minutes=15),
)


def history(pushes=(), declines=(), open_on_token=0):
    return PushHistory(
        pushes=[NOW - ago for ago in pushes], declines=[NOW - ago for ago in declines], open_on_token=open_on_token
    )


def test_a_quiet_user_may_get_a_push():
    assert check_push(LIMITS, history(), NOW) is None
    assert check_push(LIMITS, history(pushes=[timedelta(minutes=5)]), NOW) is None


def test_an_open_request_blocks_the_next():
    refusal = check_push(LIMITS, history(open_on_token=1), NOW)
    assert refusal.limit == "open requests"
    assert check_push(PushLimits(max_open=2), history(open_on_token=1), NOW) is None


def test_minimum_interval():
    refusal = check_push(LIMITS, history(pushes=[timedelta(seconds=2)]), NOW)
    assert refusal.limit == "minimum interval"
    assert refusal.retry_at == NOW + timedelta(seconds=3)
    assert "3 seconds" in refusal.message


def test_no_minimum_interval_even_for_a_push_recorded_concurrently():
    """A concurrent login may record its push a moment after this one read the clock."""
    no_interval = PushLimits(max_open=10, min_interval=timedelta(0))
    assert check_push(no_interval, history(pushes=[-timedelta(milliseconds=5)]), NOW) is None


def test_hourly_cap_counts_only_the_last_hour():
    full = [timedelta(minutes=50), timedelta(minutes=30), timedelta(minutes=10)]
    refusal = check_push(LIMITS, history(pushes=full), NOW)
    assert refusal.limit == "hourly cap"
    assert refusal.retry_at == NOW + timedelta(minutes=10)
    assert check_push(LIMITS, history(pushes=[timedelta(minutes=70)] + full[1:]), NOW) is None


def test_declines_start_a_cool_down():
    burst = [timedelta(minutes=9), timedelta(minutes=5), timedelta(minutes=1)]
    refusal = check_push(LIMITS, history(declines=burst), NOW)
    assert refusal.limit == "decline cool-down"
    assert refusal.retry_at == NOW - timedelta(minutes=1) + timedelta(minutes=15)


def test_declines_spread_over_more_than_the_window_do_not():
    spread = [timedelta(minutes=25), timedelta(minutes=12), timedelta(minutes=1)]
    assert check_push(LIMITS, history(declines=spread), NOW) is None


def test_the_cool_down_ends():
    old_burst = [timedelta(minutes=30), timedelta(minutes=29), timedelta(minutes=28)]
    assert check_push(LIMITS, history(declines=old_burst), NOW) is None


@pytest.mark.parametrize("limit", [0, -1])
def test_a_decline_limit_below_one_disables_the_cool_down(limit):
    assert cooldown_end(PushLimits(decline_limit=limit), [NOW] * 5) is None


def test_the_cool_down_wins_over_other_limits():
    burst = [timedelta(minutes=3), timedelta(minutes=2), timedelta(minutes=1)]
    refusal = check_push(LIMITS, history(declines=burst, open_on_token=1), NOW)
    assert refusal.limit == "decline cool-down"
