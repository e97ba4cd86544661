"""The ``otpauth://pipush/`` URL the privacyIDEA Authenticator scans in enrollment step 1.

Written as privacyIDEA 3.14 writes it (``create_push_token_url``): label,
issuer and values percent-encoded once with ``/`` left as it is, the extra
parameters in its order, booleans as Python prints them.
"""

from __future__ import annotations

from urllib.parse import quote

from ..errors import WireError

SCHEME = "otpauth"
PIA_SCHEME = "pia"  # privacyIDEA's push_use_pia_scheme: the app reads both
PROTOCOL_VERSION = "1"  # the app rejects any other


def pipush_url(
    *,
    label: str,
    serial: str,
    registration_url: str,
    enrollment_credential: str,
    ttl_minutes: int,
    sslverify: bool,
    issuer: str,
    poll_only: bool,
    pia_scheme: bool = False,
    force_app_pin: bool = False,
    image_url: str | None = None,
) -> str:
    """Build the QR code URL of PROTOCOL-PIAPP.md section 1."""
    if not label:
        raise WireError("The token label is empty: the app refuses a QR code without one.")
    extra = [("enrollment_credential", enrollment_credential)]
    if image_url:
        extra.append(("image", image_url))
    extra += [
        ("v", PROTOCOL_VERSION),
        ("serial", serial),
        ("sslverify", "1" if sslverify else "0"),
        ("poll_only", str(poll_only)),
    ]
    if force_app_pin:
        extra.append(("pin", "True"))
    scheme = PIA_SCHEME if pia_scheme else SCHEME
    head = f"{scheme}://pipush/{quote(label)}?url={quote(registration_url)}&ttl={ttl_minutes}&issuer={quote(issuer)}"
    return head + "".join(f"&{quote(key)}={quote(value)}" for key, value in extra)
