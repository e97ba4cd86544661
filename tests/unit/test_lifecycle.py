from datetime import datetime, timedelta

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
