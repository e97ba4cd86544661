"""A login's context as it may appear on the phone: one line of visible text, of bounded size.

The user agent, the client IP, the user and realm names come from outside the
server's control and end up in the signed question and title of a push. A
control character, a line or paragraph separator or a bidirectional override
in them could forge extra lines or reorder what the phone shows ("Approve"
where the text said otherwise). Each such character becomes U+FFFD: visible,
so a user sees that something was there, and one for one, so nothing is
silently joined. Lone surrogates, which UTF-8 cannot carry, are replaced too.
"""

from __future__ import annotations

import unicodedata

MAX_VALUE_BYTES = 100  # UTF-8 bytes per value: a User-Agent may be kilobytes, a push must fit in 4 KiB
REPLACEMENT = "\ufffd"
CUT_MARK = "\u2026"  # a cut value ends in an ellipsis, so the user sees it goes on

# Categories: Cc are the C0 and C1 controls and DEL; Zl and Zp are U+2028 and U+2029; Cs lone surrogates.
UNSAFE_CATEGORIES = frozenset({"Cc", "Zl", "Zp", "Cs"})
# The bidirectional formatting characters (Unicode TR 9): marks, embeddings, overrides and isolates.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def safe_text(value: str) -> str:
    """``value`` with every character that could break or reorder the phone's lines replaced by U+FFFD."""
    return "".join(REPLACEMENT if _unsafe(character) else character for character in value)


def context_value(value: str) -> str:
    """``value`` made safe and cut to :data:`MAX_VALUE_BYTES` of UTF-8 at a character boundary."""
    safe = safe_text(value)
    if len(safe.encode("utf-8")) <= MAX_VALUE_BYTES:
        return safe
    budget = MAX_VALUE_BYTES - len(CUT_MARK.encode("utf-8"))
    return safe.encode("utf-8")[:budget].decode("utf-8", errors="ignore") + CUT_MARK


def from_http_header(value: str) -> str:
    """A header value as WSGI hands it over (PEP 3333: its bytes as latin-1), read as the UTF-8 it almost always is.

    Bytes that are not UTF-8 become U+FFFD, like the characters above.
    """
    try:
        raw = value.encode("latin-1")
    except UnicodeEncodeError:  # a server that already decoded it
        return value
    return raw.decode("utf-8", errors="replace")


def _unsafe(character: str) -> bool:
    return character in BIDI_CONTROLS or unicodedata.category(character) in UNSAFE_CATEGORIES
