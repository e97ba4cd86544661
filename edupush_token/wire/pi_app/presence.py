"""Number matching's options: which the phone offers and which one the login shows.

privacyIDEA draws the offered set with ``random``; here both the set and the
right option come from ``secrets``, so neither can be predicted from earlier logins.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from typing import Sequence, Tuple

from ...catalogue import PresenceOptions
from ..errors import WireError

ALPHABETIC = tuple(string.ascii_uppercase)
NUMERIC = tuple(f"{number:02}" for number in range(100))
CUSTOM_SEPARATOR = ":"
JOINER = ","  # the wire joins the options with it, so none may contain it
MAX_OPTION = 32  # characters per custom option: each is a button on the phone and part of the signed push
VERSION = "2"  # the push data's version with number matching (unsigned)


@dataclass(frozen=True)
class Presence:
    """The options the phone shows, in order, and the one the user must press."""

    options: Tuple[str, ...]
    answer: str

    @property
    def wire(self) -> str:
        return JOINER.join(self.options)


def available(kind: PresenceOptions, custom: str = "") -> Tuple[str, ...]:
    """The options to draw from; custom ones must be distinct, non-empty and free of ',' and '|'."""
    if kind is PresenceOptions.NUMERIC:
        return NUMERIC
    if kind is PresenceOptions.ALPHABETIC:
        return ALPHABETIC
    options = tuple(option.strip() for option in custom.split(CUSTOM_SEPARATOR))
    if len(options) < 2 or len(set(options)) != len(options):
        raise WireError("needs at least two distinct options separated by ':'")
    for option in options:
        if not option or JOINER in option or "|" in option or len(option) > MAX_OPTION:
            raise WireError(f"option {option!r} must be 1 to {MAX_OPTION} characters without ',' or '|'")
    return options


def draw(pool: Sequence[str], count: int) -> Presence:
    """``count`` distinct options (fewer if the pool is smaller), and the right one among them."""
    options = tuple(secrets.SystemRandom().sample(list(pool), min(count, len(pool))))
    return Presence(options, secrets.choice(options))
