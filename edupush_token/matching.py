"""What a privacyIDEA-profile answer does to its login, decided without I/O.

Number matching, code to phone and decline reasons (PROTOCOL-PIAPP.md).
Better than privacyIDEA 3.14, which we read as the reference: a wrong button
is final (the login is declined and counted like a decline), not left open
for the next guess; a wrong code at the login prompt is final too.
"""

from __future__ import annotations

import enum
import hmac
import secrets
from dataclasses import dataclass

from .wire.pi_app.answers import DeclineReason

CODE_DIGITS = 2  # privacyIDEA's length: the code only proves the phone confirmed, and one wrong guess ends it


class PushMode(str, enum.Enum):
    """What the phone must do for a push; stored with it (never sent)."""

    STANDARD = "standard"
    PRESENCE = "presence"  # press the option the login shows
    CODE_TO_PHONE = "code_to_phone"  # accept, then the user types the code the phone shows


@dataclass(frozen=True)
class AnswerCheck:
    """What a push's answer is checked against: the right option, or the code once the phone confirmed."""

    mode: PushMode = PushMode.STANDARD
    expected: str = ""


STANDARD = AnswerCheck()


class Verdict(str, enum.Enum):
    """What an authentic answer of the privacyIDEA app does, named as the audit log names it."""

    ACCEPT = "accept"  # the login may complete (privacyIDEA 3.14 audits an accept so)
    CONFIRM = "confirmed"  # code to phone: the phone shows a code; the login completes when it is typed
    DECLINE = "declined"  # counted toward the decline limit
    CANCEL = "cancelled"  # the user's own login, abandoned: a decline for the login, not counted
    WRONG_PRESENCE = "wrong option"  # a wrong or missing button: final, counted like a decline
    DONE = "done"  # the app's "Done" after it showed the code: changes nothing


def judge(check: AnswerCheck, confirmed: bool, decline: bool, reason: str, presence_answer: str) -> Verdict:
    """The verdict on one authentic answer; ``confirmed``: the phone already confirmed (code to phone).

    A decline without a reason after the phone showed the code is the app's
    only button there, "Done": it must not undo the confirmation.  An unknown
    reason (a newer app) is a plain decline, counted.
    """
    if decline:
        if confirmed and not reason:
            return Verdict.DONE
        return Verdict.CANCEL if reason == DeclineReason.CANCELLED.value else Verdict.DECLINE
    if check.mode is PushMode.PRESENCE:
        return Verdict.ACCEPT if same(presence_answer, check.expected) else Verdict.WRONG_PRESENCE
    if check.mode is PushMode.CODE_TO_PHONE:
        return Verdict.CONFIRM
    return Verdict.ACCEPT


def same(given: str, expected: str) -> bool:
    """Constant-time comparison; an empty expectation matches nothing."""
    return bool(expected) and hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def new_code() -> str:
    return "".join(str(secrets.randbelow(10)) for _ in range(CODE_DIGITS))
