"""An emulated eduMFA Authenticator app, and an emulated privacyIDEA Authenticator (:mod:`.pi_app`), for tests and demos.

It is written from the wire contract (``PROTOCOL.md``) alone and imports
nothing from the server side of this package nor from eduMFA: being a second,
independent implementation is what lets it catch server bugs instead of
repeating them.  Where the real app (Flutter/Dart) has a quirk, the emulator
has it too: Dart's URL canonicalisation, its query parsing, its timestamp
format, an unencoded poll URL, and silent dropping of pushes it cannot verify.

Typical use::

    phone = EmulatedPhone(FlaskClientTransport(app.test_client()), key_size=2048)
    token = phone.enroll(phone.scan(qr_url))
    for request in phone.poll(token):
        phone.accept(request)
"""

from .app import EmulatedPhone, PendingEnrollment, PhoneError, PhoneToken, PushRequest
from .dart import dart_canonical_url, dart_iso_timestamp, encode_form, parse_query_dart_style
from .keys import b32_signature, decode_b32_signature, load_server_public_key, pubkey_b64, push_signed_text
from .pi_app import Answered, PiAuthenticator, PiPushRequest
from .transports import FlaskClientTransport, HttpResponse, HttpTransport, Transport

__all__ = [
    "Answered",
    "EmulatedPhone",
    "FlaskClientTransport",
    "HttpResponse",
    "HttpTransport",
    "PendingEnrollment",
    "PhoneError",
    "PhoneToken",
    "PiAuthenticator",
    "PiPushRequest",
    "PushRequest",
    "Transport",
    "b32_signature",
    "dart_canonical_url",
    "dart_iso_timestamp",
    "decode_b32_signature",
    "encode_form",
    "load_server_public_key",
    "parse_query_dart_style",
    "pubkey_b64",
    "push_signed_text",
]
