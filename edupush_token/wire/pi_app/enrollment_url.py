"""The ``otpauth://pipush/`` URL the privacyIDEA Authenticator scans in enrollment step 1.

Written as privacyIDEA 3.14 writes it (``create_push_token_url``): label,
issuer and values percent-encoded once with ``/`` left as it is, the extra
parameters in its order, booleans as Python prints them.
"""

from __future__ import annotations

from urllib.parse import quote

from ..errors import WireError
from ..qr_fields import QrFields

SCHEME = "otpauth"
PIA_SCHEME = "pia"  # privacyIDEA's push_use_pia_scheme: the app reads both
PROTOCOL_VERSION = "1"  # the app rejects any other


def pipush_url(fields: QrFields, *, poll_only: bool, pia_scheme: bool = False) -> str:
    """Build the QR code URL of PROTOCOL-PIAPP.md section 1."""
    if not fields.label:
        raise WireError("The token label is empty: the app refuses a QR code without one.")
    extra = [("enrollment_credential", fields.enrollment_credential)]
    if fields.image_url:
        extra.append(("image", fields.image_url))
    extra += [
        ("v", PROTOCOL_VERSION),
        ("serial", fields.serial),
        ("sslverify", "1" if fields.sslverify else "0"),
        ("poll_only", str(poll_only)),
    ]
    if fields.force_app_pin:
        extra.append(("pin", "True"))
    scheme = PIA_SCHEME if pia_scheme else SCHEME
    head = (
        f"{scheme}://pipush/{quote(fields.label)}?url={quote(fields.registration_url)}"
        f"&ttl={fields.ttl_minutes}&issuer={quote(fields.issuer)}"
    )
    return head + "".join(f"&{quote(key)}={quote(value)}" for key, value in extra)
