"""URLs in the form the eduMFA Authenticator app signs them.

The app parses the push data's ``url`` with Dart's ``Uri.parse`` and checks the
server signature against ``Uri.toString()``. Dart normalises while parsing, so
a server that signs a non-canonical URL produces signatures the phone rejects
silently. We therefore canonicalise every URL we sign or put in a QR code.
"""

from __future__ import annotations

import string
from urllib.parse import urlsplit, urlunsplit

from .errors import WireError

DEFAULT_PORTS = {"http": 80, "https": 443}
UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
SUB_DELIMS = frozenset("!$&'()*+,;=")
PATH_SAFE = UNRESERVED | SUB_DELIMS | frozenset(":@/")
HEX_DIGITS = frozenset(string.hexdigits)


def canonical_url(url: str) -> str:
    """Return ``url`` as Dart's ``Uri.parse(url).toString()`` would print it."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise WireError(f"URL must start with http:// or https://, got {url!r}")
    if not parts.hostname:
        raise WireError(f"URL has no host: {url!r}")
    try:
        port = parts.port
    except ValueError:
        raise WireError(f"URL has an invalid port: {url!r}") from None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    if parts.username is not None:
        userinfo = parts.username + (f":{parts.password}" if parts.password is not None else "")
        netloc = f"{userinfo}@{netloc}"
    path = _remove_dot_segments(_normalise_escapes(parts.path or ""))
    query = _normalise_escapes(parts.query, extra_safe="?") if parts.query else ""
    fragment = _normalise_escapes(parts.fragment, extra_safe="?") if parts.fragment else ""
    return urlunsplit((scheme, netloc, path, query, fragment))


def _normalise_escapes(text: str, extra_safe: str = "") -> str:
    """Upper-case escapes, decode escaped unreserved characters, escape the rest."""
    safe = PATH_SAFE | frozenset(extra_safe)
    out = []
    i = 0
    while i < len(text):
        char = text[i]
        hex_pair = text[i + 1 : i + 3]
        if char == "%" and len(hex_pair) == 2 and set(hex_pair) <= HEX_DIGITS:
            decoded = chr(int(hex_pair, 16))
            out.append(decoded if decoded in UNRESERVED else "%" + hex_pair.upper())
            i += 3
            continue
        if char in safe:
            out.append(char)
        else:
            out.extend(f"%{byte:02X}" for byte in char.encode("utf-8"))
        i += 1
    return "".join(out)


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4, as Dart applies it to absolute URIs."""
    if not path:
        return ""
    output: list[str] = []
    segments = path.split("/")
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == ".":
            if last:
                output.append("")
        elif segment == "..":
            if len(output) > 1:
                output.pop()
            if last:
                output.append("")
        else:
            output.append(segment)
    result = "/".join(output)
    return result if result.startswith("/") else "/" + result
