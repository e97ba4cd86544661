"""Genuine phone requests with one thing changed: the fields, the changes, and the requests built from them."""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple

from hypothesis import strategies as st

from .harness import ENDPOINT, Req
from .strategies import (
    ENCODINGS,
    SKEWS,
    USER_AGENTS,
    base32_ish,
    encode,
    json_value,
    key_text,
    random_text,
    text_value,
    timestamp_near,
    timestamp_text,
)

SIGNED_FIELDS = {
    "poll": ["serial", "timestamp"],
    "accept": ["nonce", "serial"],
    "decline": ["nonce", "serial"],
    "fb_update": ["new_fb_token", "serial", "timestamp"],
}
REQUEST_FIELDS = {
    "poll": ["serial", "timestamp", "signature"],
    "accept": ["nonce", "serial", "signature"],
    "decline": ["nonce", "serial", "signature", "decline"],
    "fb_update": ["new_fb_token", "serial", "timestamp", "signature"],
}

TRANSFORMS: Dict[str, Callable[[str, int], str]] = {
    "upper": lambda s, i: s.upper(),
    "lower": lambda s, i: s.lower(),
    "strip_padding": lambda s, i: s.rstrip("="),
    "add_padding": lambda s, i: s + "=" * (i % 9),
    "append": lambda s, i: s + [" ", "\n", "\x00", "=", "A", "%", "&", "\t", "é"][i % 9],
    "prepend": lambda s, i: [" ", "\n", "\x00", "=", "A", "%", "&", "\t", "é"][i % 9] + s,
    "truncate": lambda s, i: s[: i % (len(s) + 1)],
    "drop_char": lambda s, i: s[: i % (len(s) or 1)] + s[i % (len(s) or 1) + 1 :],
    "flip_char": lambda s, i: _flip(s, i),
    "swap_chars": lambda s, i: _swap(s, i),
    "double": lambda s, i: s + s,
    "percent_encode": lambda s, i: "".join(f"%{b:02X}" for b in s.encode()),
    "percent_encode_twice": lambda s, i: urllib.parse.quote(urllib.parse.quote(s, safe=""), safe=""),
    "fullwidth": lambda s, i: s.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)}),
    "insert_separator": lambda s, i: (
        s[: i % (len(s) + 1)] + ["|", "&", "#", "+", " ", "%00", ";"][i % 7] + s[i % (len(s) + 1) :]
    ),
    "empty": lambda s, i: "",
    "whitespace_inside": lambda s, i: " ".join(s[j : j + 8] for j in range(0, len(s), 8)),
    "unicode_digits": lambda s, i: s.translate({ord(d): chr(0x0660 + int(d)) for d in "0123456789"}),
}


def _flip(text: str, index: int) -> str:
    if not text:
        return "A"
    i = index % len(text)
    replacement = "B" if text[i] != "B" else "C"
    return text[:i] + replacement + text[i + 1 :]


def _swap(text: str, index: int) -> str:
    if len(text) < 2:
        return text + "A"
    i = index % (len(text) - 1)
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]


@dataclass(frozen=True)
class Mutation:
    op: str  # replace, transform, retype, delete, duplicate, add, timestamp, none (ios_probe for step 2)
    name: str = ""
    value: Any = None
    resign: bool = False

    def describe(self) -> str:
        shown = (
            self.value
            if not isinstance(self.value, str) or len(self.value) < 80
            else self.value[:80] + f"...({len(self.value)})"
        )
        return f"{self.op}({self.name}, {shown!r}{', re-signed' if self.resign else ''})"


def mutations(fields: List[str], extra_values: st.SearchStrategy) -> st.SearchStrategy:
    field_names = st.sampled_from(fields)
    value = st.one_of(random_text, base32_ish, timestamp_text, extra_values)
    return st.one_of(
        st.builds(Mutation, st.just("replace"), field_names, value, st.booleans()),
        st.builds(
            Mutation,
            st.just("transform"),
            field_names,
            st.tuples(st.sampled_from(sorted(TRANSFORMS)), st.integers(0, 10**6)),
            st.booleans(),
        ),
        st.builds(Mutation, st.just("retype"), field_names, json_value.filter(lambda v: not isinstance(v, str))),
        st.builds(Mutation, st.just("delete"), field_names),
        st.builds(Mutation, st.just("duplicate"), field_names, value),
        st.builds(Mutation, st.just("add"), key_text, value),
        st.builds(
            Mutation,
            st.just("add"),
            st.sampled_from(
                [
                    "decline",
                    "nonce",
                    "pubkey",
                    "fbtoken",
                    "new_fb_token",
                    "timestamp",
                    "serial ",
                    "enrollment_credential",
                ]
            ),
            st.sampled_from(["1", "true", "", "0", "x"]) | value,
        ),
        st.builds(
            Mutation,
            st.just("timestamp"),
            st.just("timestamp"),
            st.tuples(SKEWS, st.sampled_from(["dart", "iso", "naive", "offset", "seconds", "nanos", "z"])),
            st.booleans(),
        ),
        st.builds(Mutation, st.just("none")),
    )


def apply_mutation(fields: Dict[str, Any], mutation: Mutation) -> Tuple[List[Tuple[str, Any]], Dict[str, Any]]:
    """The request's (key, value) pairs after the mutation, and the values the phone signs if re-signed."""
    values = dict(fields)
    pairs: Optional[List[Tuple[str, Any]]] = None
    if mutation.op == "replace" and mutation.name in values:
        values[mutation.name] = mutation.value
    elif mutation.op == "transform" and isinstance(values.get(mutation.name), str):
        name, index = mutation.value
        values[mutation.name] = TRANSFORMS[name](values[mutation.name], index)
    elif mutation.op == "retype" and mutation.name in values:
        values[mutation.name] = mutation.value
    elif mutation.op == "timestamp" and "timestamp" in values:
        skew, style = mutation.value
        try:
            values["timestamp"] = timestamp_near(skew, style)
        except (OverflowError, ValueError):
            values["timestamp"] = "9999-12-31T23:59:59Z" if skew > 0 else "0001-01-01T00:00:00Z"
    if mutation.op == "delete":
        pairs = [(k, v) for k, v in values.items() if k != mutation.name]
    elif mutation.op == "duplicate" and mutation.name in values:
        pairs = list(values.items()) + [(mutation.name, mutation.value)]
    elif mutation.op == "add":
        pairs = [(k, v) for k, v in values.items() if k != mutation.name] + [(mutation.name, mutation.value)]
    return (pairs if pairs is not None else list(values.items())), values


@st.composite
def phone_requests(draw):
    kind = draw(st.sampled_from(["poll", "accept", "decline", "fb_update"]))
    target = draw(st.sampled_from(["open", "open", "open", "declined", "accepted", "expired"]))
    which = draw(st.integers(0, 1000))
    mutation = draw(mutations(REQUEST_FIELDS[kind], st.just(PLACEHOLDER)))
    if kind == "poll":
        encoding = draw(st.sampled_from(["get_raw"] * 6 + ["get_encoded", "form_on_get", "json_on_get"]))
    else:
        encoding = draw(st.sampled_from(["dart_form"] * 4 + ENCODINGS))
    user_agent = draw(st.sampled_from(["eduMFA-App/6.0.1"] * 3 + [None]) | USER_AGENTS)
    return kind, target, which, mutation, encoding, user_agent


PLACEHOLDER = "<a value of the setup>"


class _Signature:
    """Where the request's signature goes, once the mutation has decided what the phone signs."""

    def __repr__(self):
        return "<signature>"


SIGNATURE = _Signature()


def build_phone_request(kind, encoding, user_agent, pairs) -> Req:
    if kind != "poll":
        return encode("POST", ENDPOINT, pairs, encoding, user_agent)
    text_pairs = [(k, text_value(v)) for k, v in pairs]
    if encoding == "get_raw":
        return Req("GET", ENDPOINT, query="&".join(f"{k}={v}" for k, v in text_pairs), user_agent=user_agent)
    if encoding in ("get_encoded", "query"):
        return Req("GET", ENDPOINT, query=urllib.parse.urlencode(text_pairs), user_agent=user_agent)
    if encoding == "form_on_get":
        return encode("GET", ENDPOINT, pairs, "form", user_agent)
    return encode("GET", ENDPOINT, pairs, "json", user_agent)
