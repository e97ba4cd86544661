"""The phone's signed answer in this dialect: decline reasons and the pressed option."""

from __future__ import annotations

import enum


class DeclineReason(str, enum.Enum):
    """Why the user declined, signed into the decline by app 4.8.0 and later."""

    UNKNOWN_TRIGGER = "unknown_trigger"  # "this was not me": someone else has the password
    CANCELLED = "cancelled"  # "I changed my mind": the user's own login, abandoned


def answer_text(nonce: str, serial: str, decline: bool, decline_reason: str = "", presence_answer: str = "") -> str:
    """What the app signs (PROTOCOL-PIAPP.md section 4).

    The reason is signed only when present, so a decline without one is the
    eduMFA dialect's, and a man in the middle cannot turn "not me" into "cancelled".
    """
    text = f"{nonce}|{serial}"
    if decline:
        text += "|decline"
        if decline_reason:
            text += f"|{decline_reason}"
    if presence_answer:
        text += f"|{presence_answer}"
    return text


def presence_text(push_text: str, require_presence: str) -> str:
    """The push's signed string with number matching: the offered options as a 7th field."""
    return f"{push_text}|{require_presence}"
