"""What an authentic answer of the privacyIDEA app does, as a table (matching.judge)."""

import pytest

from edupush_token.matching import STANDARD, AnswerCheck, PushMode, Verdict, judge, new_code, same

PRESENCE = AnswerCheck(PushMode.PRESENCE, "K")
CODE = AnswerCheck(PushMode.CODE_TO_PHONE)


@pytest.mark.parametrize(
    "check, confirmed, decline, reason, pressed, verdict",
    [
        (STANDARD, False, False, "", "", Verdict.ACCEPT),
        (STANDARD, False, True, "", "", Verdict.DECLINE),
        (STANDARD, False, True, "unknown_trigger", "", Verdict.DECLINE),
        (STANDARD, False, True, "cancelled", "", Verdict.CANCEL),
        (STANDARD, False, True, "a_newer_reason", "", Verdict.DECLINE),
        (PRESENCE, False, False, "", "K", Verdict.ACCEPT),
        (PRESENCE, False, False, "", "Q", Verdict.WRONG_PRESENCE),
        (PRESENCE, False, False, "", "", Verdict.WRONG_PRESENCE),
        (PRESENCE, False, True, "cancelled", "", Verdict.CANCEL),
        (CODE, False, False, "", "", Verdict.CONFIRM),
        (CODE, True, True, "", "", Verdict.DONE),
        (CODE, True, True, "unknown_trigger", "", Verdict.DECLINE),
        (CODE, False, True, "", "", Verdict.DECLINE),
    ],
)
def test_the_verdicts(check, confirmed, decline, reason, pressed, verdict):
    assert judge(check, confirmed, decline, reason, pressed) is verdict


def test_an_empty_expectation_matches_nothing():
    assert not same("", "") and same("07", "07") and not same("7", "07")


def test_codes_are_two_digits():
    assert all(len(code) == 2 and code.isdigit() for code in (new_code() for _ in range(50)))
