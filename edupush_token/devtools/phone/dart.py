"""What Dart does to strings: the app's URL canonicalisation, query parsing, timestamps and form encoding."""

from __future__ import annotations

import re
import string
from datetime import datetime, timezone
from typing import Dict, List, Tuple

_UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
_SUB_DELIMS = frozenset("!$&'()*+,;=")
_GEN_DELIMS = frozenset(":/?#[]@")
_USERINFO_CHARS = _UNRESERVED | _SUB_DELIMS | {":"}
_REG_NAME_CHARS = _UNRESERVED | _SUB_DELIMS
_PATH_CHARS = _UNRESERVED | _SUB_DELIMS | frozenset(":@/")
_QUERY_CHARS = _PATH_CHARS | {"?"}
_HEX = frozenset(string.hexdigits)

# Dart's Uri drops a port equal to its scheme's default, and the default of
# every scheme but http and https is 0.
_DART_DEFAULT_PORTS = {"http": 80, "https": 443}

URI_RE = re.compile(
    r"(?P<scheme>[^:/?#]+):"
    r"(?://(?P<authority>[^/?#]*))?"
    r"(?P<path>[^?#]*)"
    r"(?:\?(?P<query>[^#]*))?"
    r"(?:#(?P<fragment>.*))?\Z",
    re.DOTALL,
)
_SCHEME_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*\Z")


def parse_query_dart_style(query: str) -> Dict[str, str]:
    """Split a query string the way Dart's ``Uri.queryParameters`` does.

    The last duplicate wins, ``+`` is a space, a pair with an empty name is
    skipped and a bare name maps to ``""``.  Malformed escapes are kept
    literally (Dart's ``Uri.parse`` turns them into ``%25`` first); invalid
    UTF-8 raises ``ValueError``.
    """
    result: Dict[str, str] = {}
    for element in query.split("&"):
        name, equals, value = element.partition("=")
        if not equals:
            if element:
                result[_decode_query_component(element)] = ""
        elif name:
            result[_decode_query_component(name)] = _decode_query_component(value)
    return result


def dart_canonical_url(url: str) -> str:
    """Return ``Uri.parse(url).toString()`` as Dart computes it.

    The app checks the push signature over this form and sends its requests
    to it: lower-case scheme and host, default port dropped, percent-escapes
    normalised (hex upper-cased, escapes of unreserved characters decoded,
    disallowed characters escaped) and dot-segments removed.  Raises
    ``ValueError`` where Dart's ``Uri.parse`` would throw.
    """
    match = URI_RE.match(url)
    if match is None or not _SCHEME_RE.match(match["scheme"]):
        raise ValueError(f"not an absolute URI: {url!r}")
    scheme = match["scheme"].lower()
    canonical = scheme + ":"
    if match["authority"] is not None:
        canonical += "//" + _canonical_authority(match["authority"], scheme)
    canonical += _remove_dot_segments(_normalize_escapes(match["path"], _PATH_CHARS))
    if match["query"] is not None:
        canonical += "?" + _normalize_escapes(match["query"], _QUERY_CHARS)
    if match["fragment"] is not None:
        canonical += "#" + _normalize_escapes(match["fragment"], _QUERY_CHARS)
    return canonical


def dart_iso_timestamp(moment: datetime) -> str:
    """Format like Dart's ``DateTime.toUtc().toIso8601String()``.

    Dart always writes the milliseconds and appends the microseconds within
    the millisecond only when they are non-zero:
    ``2026-11-23T19:14:54.146982Z``, ``…54.146Z``, ``…54.000Z``.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("the phone's clock must give timezone-aware datetimes")
    utc = moment.astimezone(timezone.utc)
    millis, micros = divmod(utc.microsecond, 1000)
    fraction = f"{millis:03d}" + (f"{micros:03d}" if micros else "")
    return f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}.{fraction}Z"


def encode_form(fields: List[Tuple[str, str]]) -> str:
    """Encode form fields in order as Dart's ``http`` package does.

    Everything but the RFC 3986 unreserved characters is percent-encoded with
    upper-case hex, and a space becomes ``+``.
    """
    return "&".join(f"{_encode_query_component(k)}={_encode_query_component(v)}" for k, v in fields)


def _decode_query_component(text: str) -> str:
    return percent_decode(text.replace("+", " "), strict=False)


def percent_decode(text: str, strict: bool) -> str:
    """Percent-decode to UTF-8; ``strict`` rejects malformed escapes like Dart's
    ``Uri.decodeComponent``, otherwise they are kept literally."""
    out = bytearray()
    index = 0
    while index < len(text):
        char = text[index]
        pair = text[index + 1 : index + 3]
        if char == "%" and len(pair) == 2 and set(pair) <= _HEX:
            out.append(int(pair, 16))
            index += 3
            continue
        if char == "%" and strict:
            raise ValueError(f"malformed percent-escape in {text!r}")
        out += char.encode("utf-8")
        index += 1
    return out.decode("utf-8")


def _encode_query_component(text: str) -> str:
    return "".join("+" if char == " " else char if char in _UNRESERVED else _escape(char) for char in text)


def _escape(char: str) -> str:
    return "".join(f"%{byte:02X}" for byte in char.encode("utf-8"))


def _normalize_escapes(text: str, allowed: frozenset, lower: bool = False, escape_delimiters: bool = True) -> str:
    """Dart's ``_Uri._normalize``: fix escapes, escape what is not allowed."""
    out = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "%":
            pair = text[index + 1 : index + 3]
            if len(pair) == 2 and set(pair) <= _HEX:
                decoded = chr(int(pair, 16))
                if decoded in _UNRESERVED:
                    out.append(decoded.lower() if lower else decoded)
                else:
                    out.append("%" + pair.upper())
                index += 3
                continue
            out.append("%25")
        elif char in allowed:
            out.append(char.lower() if lower else char)
        elif char in _GEN_DELIMS and not escape_delimiters:
            raise ValueError(f"invalid character {char!r} in URI component {text!r}")
        else:
            out.append(_escape(char))
        index += 1
    return "".join(out)


def _canonical_authority(authority: str, scheme: str) -> str:
    userinfo, at, hostport = authority.rpartition("@")
    if hostport.startswith("["):
        host, bracket, rest = hostport.partition("]")
        if not bracket:
            raise ValueError(f"unterminated IPv6 address in {authority!r}")
        host = host.lower() + "]"
        port_text = rest[1:] if rest.startswith(":") else None
        if rest and port_text is None:
            raise ValueError(f"garbage after IPv6 address in {authority!r}")
    else:
        host, colon, port_text = hostport.partition(":")
        host = _normalize_escapes(host, _REG_NAME_CHARS, lower=True, escape_delimiters=False)
        if not colon:
            port_text = None
    canonical = ""
    if userinfo:
        canonical += _normalize_escapes(userinfo, _USERINFO_CHARS, escape_delimiters=False) + "@"
    canonical += host
    if port_text:
        if not (port_text.isascii() and port_text.isdigit()):
            raise ValueError(f"invalid port in {authority!r}")
        port = int(port_text)
        if port != _DART_DEFAULT_PORTS.get(scheme, 0):
            canonical += f":{port}"
    return canonical


def _remove_dot_segments(path: str) -> str:
    """Dart's ``_Uri._removeDotSegments`` (RFC 3986 section 5.2.4)."""
    if not (path.startswith(".") or "/." in path):
        return path
    output: List[str] = []
    append_slash = False
    for segment in path.split("/"):
        append_slash = False
        if segment == "..":
            if output:
                output.pop()
                if not output:
                    output.append("")
            append_slash = True
        elif segment == ".":
            append_slash = True
        else:
            output.append(segment)
    if append_slash:
        output.append("")
    return "/".join(output)
