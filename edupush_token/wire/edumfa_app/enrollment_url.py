"""The ``edumfa-push://`` URL the phone scans in enrollment step 1."""

from __future__ import annotations

from urllib.parse import quote

from ..errors import WireError

SCHEME_AND_HOST = "edumfa-push://edumfa"
PROTOCOL_VERSION = "1"


def enrollment_url(
    *,
    label: str,
    serial: str,
    registration_url: str,
    enrollment_credential: str,
    ttl_minutes: int,
    sslverify: bool,
    issuer: str,
    force_app_pin: bool = False,
    image_url: str | None = None,
) -> str:
    """Build the QR code URL of PROTOCOL.md section 1.

    The app percent-decodes ``issuer`` twice, so it is encoded twice here; an
    issuer containing ``%`` would otherwise reach the phone mangled.
    """
    if not label:
        raise WireError("The token label is empty: the app refuses a QR code without one.")
    params = [
        ("url", registration_url),
        ("ttl", str(ttl_minutes)),
        ("issuer", quote(issuer, safe="")),
        ("enrollment_credential", enrollment_credential),
        ("v", PROTOCOL_VERSION),
        ("serial", serial),
        ("sslverify", "1" if sslverify else "0"),
    ]
    if force_app_pin:
        params.append(("pin", "True"))
    if image_url:
        params.append(("image", image_url))
    query = "&".join(f"{key}={quote(value, safe='')}" for key, value in params)
    return f"{SCHEME_AND_HOST}/{quote(label, safe='')}?{query}"
