"""What admins read about a push whose login ended before it could be delivered."""

from datetime import datetime, timedelta, timezone

import pytest

from edupush_token.delivery import DeliveryState
from edupush_token.delivery.report import settled_before_delivery, shown_state
from edupush_token.lifecycle import ChallengeStatus

NOW = datetime(2026, 12, 5, 4, 0, tzinfo=timezone.utc)
LATER = NOW + timedelta(minutes=1)


@pytest.mark.parametrize(
    "status, state, detail",
    [
        (ChallengeStatus(accepted=True, declined=False, expires_at=LATER), DeliveryState.ANSWERED, "approved"),
        (ChallengeStatus(accepted=False, declined=True, expires_at=LATER), DeliveryState.ANSWERED, "declined"),
        (ChallengeStatus(accepted=False, declined=False, expires_at=NOW), DeliveryState.EXPIRED, "expired"),
        (None, DeliveryState.ANSWERED, "used or removed"),
    ],
)
def test_a_login_that_is_over_needs_no_push(status, state, detail):
    report = settled_before_delivery(status, NOW, attempts=2)
    assert report is not None and (report.state, report.attempts) == (state, 2) and detail in report.detail


def test_an_open_challenge_still_needs_its_push():
    assert settled_before_delivery(ChallengeStatus(False, False, LATER), NOW, attempts=1) is None


@pytest.mark.parametrize(
    "stored, shown",
    [
        ("answered", "answered before delivery"),
        ("expired", "expired before delivery"),
        ("failed", "failed"),
        ("a future state", "a future state"),
    ],
)
def test_states_as_admins_read_them(stored, shown):
    assert shown_state(stored) == shown
