"""The login's context on the phone: one line of visible text, of bounded size, whatever a client sends."""

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edupush_token.wire.context_values import (
    BIDI_CONTROLS,
    CUT_MARK,
    MAX_VALUE_BYTES,
    REPLACEMENT,
    UNSAFE_CATEGORIES,
    context_value,
    from_http_header,
    safe_text,
)
from edupush_token.wire.templates import VARIABLES, render_template

# Every code point, surrogates included, with the troublesome ones drawn often.
TROUBLE = "\r\n\t\x00\x1b\x7f\x85\x9b\u2028\u2029\u200e\u200f\u061c\u202a\u202e\u2066\u2069\ud800"
TEXTS = st.text(alphabet=st.characters(codec=None) | st.sampled_from(TROUBLE), max_size=300)


def unsafe(character: str) -> bool:
    return character in BIDI_CONTROLS or unicodedata.category(character) in UNSAFE_CATEGORIES


@given(TEXTS)
def test_no_unsafe_character_survives(value):
    assert not any(unsafe(character) for character in context_value(value))


@given(TEXTS)
def test_values_fit_their_budget_and_encode(value):
    assert len(context_value(value).encode("utf-8")) <= MAX_VALUE_BYTES


@given(TEXTS)
def test_replacement_is_one_for_one_and_keeps_safe_characters(value):
    safe = safe_text(value)
    assert len(safe) == len(value)
    assert all(kept == original or kept == REPLACEMENT for kept, original in zip(safe, value))


@given(TEXTS)
def test_a_cut_value_is_a_prefix_marked_as_cut(value):
    shown = context_value(value)
    if shown == safe_text(value):
        return
    assert shown.endswith(CUT_MARK) and safe_text(value).startswith(shown[: -len(CUT_MARK)])


@given(TEXTS)
def test_making_safe_twice_changes_nothing(value):
    assert context_value(context_value(value)) == context_value(value)


@given(st.fixed_dictionaries({name: TEXTS for name in VARIABLES}))
def test_a_one_line_template_stays_one_line(context):
    template = " ".join("{" + name + "}" for name in VARIABLES)
    assert len(render_template(template, context).splitlines()) <= 1


@pytest.mark.parametrize("character", sorted(BIDI_CONTROLS) + ["\r", "\n", "\x85", "\u2028", "\u2029", "\x7f"])
def test_each_listed_character_is_replaced(character):
    assert context_value(f"a{character}b") == f"a{REPLACEMENT}b"


def test_ordinary_values_are_kept():
    agent = "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/133.0"
    assert context_value(agent) == agent
    assert context_value("Jürgen Weiß 山田") == "Jürgen Weiß 山田"


def test_a_long_value_is_cut_at_a_character_boundary():
    shown = context_value("山" * 100)
    assert shown == "山" * 32 + CUT_MARK and len(shown.encode()) == MAX_VALUE_BYTES - 1


@pytest.mark.parametrize(
    "as_wsgi, text",
    [
        ("Mozilla/5.0 (Macintosh)", "Mozilla/5.0 (Macintosh)"),
        ("Safari f\u00c3\u00bcr iPhone", "Safari f\u00fcr iPhone"),  # UTF-8 bytes of "für", read as latin-1
        ("bad \xff byte", "bad \ufffd byte"),
        ("already \u20ac decoded", "already \u20ac decoded"),
    ],
)
def test_a_header_is_read_as_utf8(as_wsgi, text):
    assert from_http_header(as_wsgi) == text
