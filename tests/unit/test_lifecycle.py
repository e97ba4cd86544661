from datetime import datetime, timedelta, timezone

import pytest

from edupush_token import lifecycle
from edupush_token.lifecycle import AnswerOutcome, ChallengeState, ChallengeStatus

NOW = datetime(2026, 11, 23, 12, 0)


@pytest.mark.parametrize(
    "status, state",
    [
        (ChallengeStatus(False, False, NOW + timedelta(seconds=1)), ChallengeState.OPEN),
        (ChallengeStatus(False, False, NOW), ChallengeState.EXPIRED),
        (ChallengeStatus(True, False, NOW + timedelta(seconds=1)), ChallengeState.ACCEPTED),
        (ChallengeStatus(True, False, NOW - timedelta(seconds=1)), ChallengeState.ACCEPTED),
        (ChallengeStatus(False, True, NOW + timedelta(seconds=1)), ChallengeState.DECLINED),
    ],
)
def test_state(status, state):
    assert status.state(NOW) is state


@pytest.mark.parametrize(
    "state, decline, outcome",
    [
        (ChallengeState.OPEN, False, AnswerOutcome.APPLY),
        (ChallengeState.OPEN, True, AnswerOutcome.APPLY),
        (ChallengeState.ACCEPTED, False, AnswerOutcome.REPEAT),
        (ChallengeState.DECLINED, True, AnswerOutcome.REPEAT),
        (ChallengeState.DECLINED, False, AnswerOutcome.CONFLICT),
        (ChallengeState.ACCEPTED, True, AnswerOutcome.CONFLICT),
        (ChallengeState.EXPIRED, False, AnswerOutcome.TOO_LATE),
        (ChallengeState.EXPIRED, True, AnswerOutcome.TOO_LATE),
    ],
)
def test_answers_are_final(state, decline, outcome):
    assert lifecycle.judge_answer(state, decline) is outcome


def test_nonces_and_credentials_carry_160_bits():
    nonces = {lifecycle.new_nonce() for _ in range(100)}
    assert len(nonces) == 100
    assert all(len(nonce) == 32 and "=" not in nonce for nonce in nonces)
    assert len(lifecycle.new_enrollment_credential()) == 40


def test_credential_comparison():
    assert lifecycle.credential_matches("abc", "abc")
    assert not lifecycle.credential_matches("abc", "abd")
    assert not lifecycle.credential_matches("abc", "")


WINDOW = timedelta(seconds=300)


@pytest.mark.parametrize(
    "status, now, completes",
    [
        (ChallengeStatus(True, False, NOW), NOW - timedelta(seconds=1), True),
        (ChallengeStatus(True, False, NOW), NOW + WINDOW - timedelta(seconds=1), True),
        (ChallengeStatus(True, False, NOW), NOW + WINDOW, False),
        (ChallengeStatus(True, False, NOW), NOW + timedelta(days=1), False),
        (ChallengeStatus(False, False, NOW), NOW - timedelta(seconds=1), False),
        (ChallengeStatus(False, True, NOW), NOW - timedelta(seconds=1), False),
    ],
)
def test_an_accept_completes_a_login_only_within_the_finalize_window(status, now, completes):
    assert status.completes_login(now, WINDOW) is completes


def test_a_zero_finalize_window_ends_with_the_challenge():
    accepted = ChallengeStatus(True, False, NOW)
    assert accepted.completes_login(NOW - timedelta(seconds=1), timedelta(0))
    assert not accepted.completes_login(NOW, timedelta(0))


@pytest.mark.parametrize(
    "standing, refusal, enrollment_refusal",
    [
        (lifecycle.TokenStanding(), None, None),
        (lifecycle.TokenStanding(active=False), "disabled", None),
        (lifecycle.TokenStanding(active=False, revoked=True, locked=True), "revoked", "revoked"),
        (lifecycle.TokenStanding(locked=True), "locked", "locked"),
    ],
)
def test_a_token_standing_names_why_its_phone_is_refused(standing, refusal, enrollment_refusal):
    assert standing.refusal() == refusal
    assert standing.enrollment_refusal() == enrollment_refusal


def test_update_stamps_sort_as_text_in_time_order():
    moments = [
        datetime(2026, 12, 5, 9, 0, tzinfo=timezone(timedelta(hours=2))),  # 07:00 UTC, written in local time
        datetime(2026, 12, 5, 8, 0, 0, 1, tzinfo=timezone.utc),
        datetime(2026, 12, 5, 10, 0, tzinfo=timezone.utc),
    ]
    stamps = [lifecycle.update_stamp(moment) for moment in moments]
    assert sorted(stamps) == stamps and len({len(stamp) for stamp in stamps}) == 1
