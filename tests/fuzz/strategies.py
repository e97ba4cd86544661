"""Hypothesis strategies for parameter names and values, and the encodings that put them on the wire."""

from __future__ import annotations

import base64
import json
import string
import urllib.parse
from datetime import datetime, timedelta, timezone
from typing import Any, List, Optional, Tuple

from hypothesis import strategies as st

from edupush_token.catalogue import WAIT
from edupush_token.devtools.phone import dart_iso_timestamp, encode_form

from .harness import Req

PROTOCOL_NAMES = [
    "serial",
    "nonce",
    "signature",
    "decline",
    "timestamp",
    "new_fb_token",
    "fbtoken",
    "pubkey",
    "enrollment_credential",
    "user",
    "realm",
    "pass",
    "transaction_id",
    "state",
    "type",
    "question",
    "title",
    "url",
    "sslverify",
    "v",
    "ttl",
    WAIT.name,
    "presence_answer",
    "require_presence",
    "decline_reason",
    "capabilities",
    "capabilities_signature",
    "version",
    "otponly",
    "resolver",
]

SPECIAL_TEXT = [
    "",
    " ",
    "\x00",
    "\x00\x00",
    "%",
    "%0",
    "%00",
    "%zz",
    "%%",
    "%25",
    "%2541",
    "%u0041",
    "&",
    "#",
    "+",
    "=",
    "==",
    "?",
    "/",
    "\\",
    ";",
    ",",
    "|",
    "\r\n",
    "\n",
    "\r",
    "\t",
    "\x0b",
    "\x7f",
    "\x1b[31m",
    "\u0085",
    "\u2028",
    "\u202e",
    "\ufeff",
    "\ufffd",
    "\uffff",
    "é",
    "ß",
    "İ",
    "ﬃ",
    "𝔸",
    "😀",
    "١٢٣",
    "null",
    "None",
    "undefined",
    "true",
    "True",
    "false",
    "1",
    "0",
    "-1",
    "01",
    "1.0",
    "1e309",
    "NaN",
    "Infinity",
    "[]",
    "{}",
    '{"a":1}',
    "..",
    "../../etc/passwd",
    "'",
    '"',
    "' OR '1'='1",
    "%s%s%n",
    "{0}",
    "${jndi:x}",
    "<script>",
    "*",
    "%2F",
    "%2f",
    "\\u0000",
    "SELECT 1",
    "AAAA====",
    "====",
    "a=b&c=d",
    "serial=X",
    "[object Object]",
]
LENGTHS = [39, 40, 41, 127, 128, 129, 255, 256, 1023, 1024, 2047, 2048, 2049, 4095, 4096, 4097, 8193, 65537, 300000]

long_text = st.builds(
    lambda piece, n: (piece * n)[:n],
    st.sampled_from(["A", "x", "7", "=", "%", "%41", "é", "😀", "\x00", " "]),
    st.sampled_from(LENGTHS),
)
base32_text = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", max_size=900).map(lambda s: s + "=" * (-len(s) % 8))
base32_ish = st.one_of(
    base32_text,
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ234567abcdefxyz0189=", max_size=900),
    st.binary(min_size=0, max_size=600).map(lambda b: base64.b32encode(b).decode()),
    st.sampled_from([256, 512, 64, 70, 72, 71]).map(lambda n: base64.b32encode(b"\x00" * n).decode()),
)
base64_ish = st.one_of(
    st.binary(max_size=700).map(lambda b: base64.b64encode(b).decode()),
    st.binary(max_size=700).map(lambda b: base64.urlsafe_b64encode(b).decode()),
    st.text(alphabet=string.ascii_letters + string.digits + "+/=-_ \n\r", max_size=800),
)
random_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=60),
    st.text(alphabet=st.characters(categories=["Cc", "Zs", "Zl", "Zp", "Cf", "Nd", "Mn"]), max_size=20),
    st.sampled_from(SPECIAL_TEXT),
    long_text,
)

TIMESTAMP_PATTERN = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})?"
EDGE_TIMESTAMPS = [
    "9999-12-31T23:59:59-23:59",
    "9999-12-31T23:59:59.999999-01:00",
    "0001-01-01T00:00:00+23:59",
    "0001-01-01T00:00:00+00:01",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "0000-01-01T00:00:00Z",
    "2026-02-30T00:00:00Z",
    "2026-13-01T00:00:00Z",
    "2026-01-01T24:00:00Z",
    "2026-12-31T23:59:60Z",
    "2026-01-01T00:00:00+24:00",
    "2026-01-01T00:00:00+99:99",
    "2026-01-01T00:00:00-00:00",
    "2026-01-01T00:00:00.0000000000Z",
    "2026-01-01 00:00:00Z",
    "2026-01-01t00:00:00z",
    "2026-01-01T00:00:00",
    "١٢٣٤-٠١-٠١T٠٠:٠٠:٠٠Z",
    "２０２６-01-01T00:00:00Z",
    "",
    "now",
    "0",
    "1700000000",
    "2026-W01-1",
]


def timestamp_near(seconds: float, style: str = "dart") -> str:
    moment = datetime.now(timezone.utc) + timedelta(seconds=seconds)
    if style == "dart":
        return dart_iso_timestamp(moment)
    if style == "iso":
        return moment.isoformat()
    if style == "naive":
        return moment.replace(tzinfo=None).isoformat()
    if style == "offset":
        return moment.astimezone(timezone(timedelta(hours=5, minutes=30))).isoformat()
    if style == "seconds":
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style == "nanos":
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "123Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%S%z")


SKEWS = st.one_of(
    st.sampled_from(
        [
            0,
            0,
            1,
            -1,
            59,
            -59,
            60,
            -60,
            61,
            -61,
            299,
            -299,
            300,
            -300,
            301,
            -301,
            3600,
            -86400,
            86400 * 365 * 50,
            -86400 * 365 * 50,
        ]
    ),
    st.integers(-(10**9), 10**9),
)
timestamp_text = st.one_of(
    st.builds(timestamp_near, SKEWS, st.sampled_from(["dart", "iso", "naive", "offset", "seconds", "nanos", "z"])),
    st.from_regex(TIMESTAMP_PATTERN, fullmatch=True),
    st.sampled_from(EDGE_TIMESTAMPS),
    st.datetimes(timezones=st.timezones() | st.none()).map(lambda d: d.isoformat()),
)


json_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    random_text,
)
json_value = st.recursive(
    json_scalar,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)
key_text = st.one_of(
    st.sampled_from(PROTOCOL_NAMES),
    st.sampled_from(PROTOCOL_NAMES).map(lambda k: k.upper()),
    st.sampled_from(PROTOCOL_NAMES).map(lambda k: k + "[]"),
    st.sampled_from(PROTOCOL_NAMES).map(lambda k: " " + k),
    st.text(max_size=12),
    st.sampled_from(["", "%", "&", "=", "#", "\x00", "a%00", "serial%00", "ser%69al", "__proto__", "constructor"]),
)
USER_AGENTS = st.sampled_from(
    [
        None,
        "",
        "eduMFA-App/6.0.1",
        "eduMFA-App",
        "Werkzeug/3.1",
        "eduMFA-LDAP-Proxy/1.0",
        "simpleSAMLphp",
        "eduMFA-cp/2.0",
        "curl/8.0",
        "Mozilla/5.0 (iPhone)",
        "\x00",
        "ü/1",
    ]
) | st.text(max_size=20)
CONTENT_TYPES = [
    None,
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=utf-8",
    "application/x-www-form-urlencoded; charset=iso-8859-1",
    "application/x-www-form-urlencoded; charset=bogus",
    "multipart/form-data",
    "multipart/form-data; boundary=x",
    "application/json",
    "application/json; charset=utf-16",
    "application/vnd.api+json",
    "text/plain",
    "text/plain; charset=utf-8",
    "application/octet-stream",
    "text/html",
    "application/xml",
    "*/*",
    "",
    "garbage",
    "application/x-www-form-urlencoded; boundary=;;;",
]


def text_value(value) -> str:
    """What a non-string value becomes in a form or query string."""
    if isinstance(value, str):
        return value
    return json.dumps(value) if not isinstance(value, bool) else ("true" if value else "false")


# Encodings: (key, value) pairs into a request

ENCODINGS = [
    "form",
    "dart_form",
    "raw_form",
    "multipart",
    "json",
    "json_as_text",
    "query",
    "query_raw",
    "query_and_form",
    "bytes",
]


def encode(
    method: str,
    path: str,
    pairs: List[Tuple[str, Any]],
    encoding: str,
    user_agent=None,
    content_type_override: Any = "keep",
    extra_query: Optional[str] = None,
) -> Req:
    """Put (key, value) pairs into a request; values may be non-strings for JSON."""
    text_pairs = [(k, text_value(v)) for k, v in pairs]
    req = Req(method, path, user_agent=user_agent)
    if encoding == "form":
        req.body = urllib.parse.urlencode(text_pairs).encode()
        req.content_type = "application/x-www-form-urlencoded"
    elif encoding == "dart_form":
        req.body = encode_form(text_pairs).encode("ascii")
        req.content_type = "application/x-www-form-urlencoded; charset=utf-8"
    elif encoding == "raw_form":
        req.body = "&".join(f"{k}={v}" for k, v in text_pairs).encode("utf-8", "surrogatepass")
        req.content_type = "application/x-www-form-urlencoded"
    elif encoding == "multipart":
        boundary = "----edupushfuzz7d3a"
        parts = []
        for k, v in text_pairs:
            name = k.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{v}\r\n')
        req.body = ("".join(parts) + f"--{boundary}--\r\n").encode("utf-8", "surrogatepass")
        req.content_type = f"multipart/form-data; boundary={boundary}"
    elif encoding in ("json", "json_as_text"):
        req.body = json.dumps(dict(pairs)).encode()
        req.content_type = "application/json" if encoding == "json" else "text/plain"
    elif encoding == "query":
        req.query = urllib.parse.urlencode(text_pairs)
    elif encoding == "query_raw":
        req.query = "&".join(f"{k}={v}" for k, v in text_pairs)
    elif encoding == "query_and_form":
        half = len(text_pairs) // 2
        req.query = urllib.parse.urlencode(text_pairs[:half])
        req.body = urllib.parse.urlencode(text_pairs[half:]).encode()
        req.content_type = "application/x-www-form-urlencoded"
    elif encoding == "bytes":
        req.body = "&".join(f"{k}={v}" for k, v in text_pairs).encode("utf-8", "surrogatepass")
        req.content_type = None
    else:
        raise ValueError(encoding)
    if content_type_override != "keep":
        req.content_type = content_type_override
    if extra_query is not None:
        req.query = extra_query if req.query is None else req.query + "&" + extra_query
    return req


@st.composite
def random_pairs(draw, known_values: List[str]):
    """Random parameters: mostly protocol names, values from everywhere incl. the setup's real ones."""
    value = st.one_of(
        random_text,
        base32_ish,
        base64_ish,
        timestamp_text,
        st.sampled_from(known_values),
        st.sampled_from(known_values).map(lambda v: v + " "),
        st.sampled_from(known_values).map(str.lower),
    )
    keys = draw(st.lists(key_text, max_size=8))
    pairs = [(k, draw(value)) for k in keys]
    if draw(st.booleans()):  # something that looks like one of the phone's requests
        shape = draw(
            st.sampled_from(
                [
                    ["nonce", "serial", "signature"],
                    ["nonce", "serial", "signature", "decline"],
                    ["new_fb_token", "serial", "timestamp", "signature"],
                    ["serial", "timestamp", "signature"],
                    ["enrollment_credential", "serial", "fbtoken", "pubkey"],
                ]
            )
        )
        pairs += [(k, draw(value)) for k in shape]
        pairs = draw(st.permutations(pairs))
    return pairs


@st.composite
def random_json_pairs(draw, known_values: List[str]):
    pairs = draw(random_pairs(known_values))
    return [(k, draw(json_value) if draw(st.integers(0, 3)) == 0 else v) for k, v in pairs]


@st.composite
def raw_query(draw, known_values: List[str]):
    """A query string as a client might put it on the wire, not re-encoded."""
    pieces = []
    for key, value in draw(random_pairs(known_values)):
        style = draw(st.sampled_from(["raw", "quoted", "quote_plus", "bare", "double_eq"]))
        if style == "raw":
            pieces.append(f"{key}={value}")
        elif style == "quoted":
            pieces.append(f"{urllib.parse.quote(key, safe='')}={urllib.parse.quote(value, safe='')}")
        elif style == "quote_plus":
            pieces.append(f"{urllib.parse.quote_plus(key)}={urllib.parse.quote_plus(value)}")
        elif style == "bare":
            pieces.append(key)
        else:
            pieces.append(f"{key}=={value}")
    separator = draw(st.sampled_from(["&", "&", "&", ";", "&&", "&amp;"]))
    query = separator.join(pieces)
    if draw(st.integers(0, 5)) == 0:
        query = draw(random_text) + query + draw(st.sampled_from(["", "#", "#frag", "&", "%", "%0", "\x00", "+"]))
    return query
