"""What either app's enrollment QR code says of a token, before each dialect writes it its own way."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class QrFields:
    label: str
    serial: str
    registration_url: str
    enrollment_credential: str
    ttl_minutes: int
    sslverify: bool
    issuer: str
    force_app_pin: bool = False
    image_url: Optional[str] = None
