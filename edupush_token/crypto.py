"""Keys and signatures of the eduPUSH protocol.

The server signs push data with a per-token RSA key (PKCS#1 v1.5, SHA-256,
the only padding every Android version of the app verifies). The phone signs
its answers with its own key: RSA as the app generates it, or ECDSA P-256,
which eduMFA accepts since eduMFA#340.

Anyone may send an answer or a poll, and each costs one verification with the
phone's key; so only keys that are cheap to verify are accepted, at enrollment
and again whenever a stored key is loaded. The app makes RSA-4096 keys with
e = 65537; a huge exponent would make every verification a private-key
operation's worth of work, and e = 3 is cheap but invites the forgeries of
lax PKCS#1 v1.5 verifiers (Bleichenbacher 2006) that no app needs.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Union

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from .catalogue import DEFAULT_SERVER_KEY_SIZE, SERVER_KEY_SIZES
from .wire.errors import WireError
from .wire.push_data import PushData

PhonePublicKey = Union[rsa.RSAPublicKey, ec.EllipticCurvePublicKey]

MIN_PHONE_RSA_BITS = 2048
MAX_PHONE_RSA_BITS = 4096
PHONE_RSA_EXPONENT = 65537


@dataclass(frozen=True)
class ServerKeyPair:
    """A server key pair as eduMFA stores it: PEM strings (PKCS#1 public key)."""

    private_pem: str
    public_pem: str


def generate_server_key(bits: int = DEFAULT_SERVER_KEY_SIZE) -> ServerKeyPair:
    if bits not in SERVER_KEY_SIZES:
        raise ValueError(f"Server key size must be one of {SERVER_KEY_SIZES}, not {bits}.")
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private_pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        private_key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1).decode()
    )
    return ServerKeyPair(private_pem=private_pem, public_pem=public_pem)


def public_key_for_app(public_pem: str) -> str:
    """Base64 of the PKCS#1 RSAPublicKey on one line: the only form the app accepts."""
    public_key = serialization.load_pem_public_key(public_pem.encode())
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    return base64.b64encode(der).decode()


def signature_length(key_bits: int) -> int:
    """Length of :func:`sign_for_phone`'s result for a key of this size, known before signing."""
    return len(base64.b32encode(bytes(key_bits // 8)))


def sign_push(private_pem: str, push: PushData) -> PushData:
    """The push with its signature, and the capabilities' own where it carries capabilities."""
    private_key = _server_key(private_pem)
    capabilities = push.capabilities_input()
    return push.with_signature(
        _sign(private_key, push.signed_text().encode("utf-8")),
        _sign(private_key, capabilities) if capabilities is not None else "",
    )


def sign_for_phone(private_pem: str, text: str) -> str:
    """Sign ``text`` with the server key; the app expects upper-case base32."""
    return _sign(_server_key(private_pem), text.encode("utf-8"))


def _server_key(private_pem: str) -> rsa.RSAPrivateKey:
    private_key = serialization.load_pem_private_key(
        private_pem.encode(), password=None, unsafe_skip_rsa_key_validation=True
    )
    if not isinstance(private_key, rsa.RSAPrivateKey):
        raise TypeError("server keys are RSA keys")
    return private_key


def _sign(private_key: rsa.RSAPrivateKey, data: bytes) -> str:
    return base64.b32encode(private_key.sign(data, padding.PKCS1v15(), hashes.SHA256())).decode()


def load_phone_key(encoded: str) -> PhonePublicKey:
    """Load the phone's SubjectPublicKeyInfo, standard or URL-safe base64, and vet it (see the module's doc)."""
    text = "".join(encoded.split()) if "-----BEGIN" not in encoded else _strip_pem(encoded)
    text = text.replace("-", "+").replace("_", "/")
    try:
        der = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
        key = serialization.load_der_public_key(der)
    except (binascii.Error, ValueError):
        raise WireError("The public key is not base64 of a SubjectPublicKeyInfo.") from None
    except UnsupportedAlgorithm:
        raise WireError("Only RSA and ECDSA P-256 public keys are accepted.") from None
    if isinstance(key, rsa.RSAPublicKey):
        _vet_rsa_key(key)
        return key
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        return key
    raise WireError("Only RSA and ECDSA P-256 public keys are accepted.")


def _vet_rsa_key(key: rsa.RSAPublicKey) -> None:
    if not MIN_PHONE_RSA_BITS <= key.key_size <= MAX_PHONE_RSA_BITS:
        raise WireError(
            f"RSA public keys must have {MIN_PHONE_RSA_BITS} to {MAX_PHONE_RSA_BITS} bits, not {key.key_size}."
        )
    if key.public_numbers().e != PHONE_RSA_EXPONENT:
        raise WireError(f"RSA public keys must have the public exponent {PHONE_RSA_EXPONENT}.")


def phone_key_text(key: PhonePublicKey) -> str:
    """The form we store in tokeninfo: standard base64 of the SubjectPublicKeyInfo."""
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()


def phone_signature_valid(key: PhonePublicKey, text: str, signature: bytes) -> bool:
    data = text.encode("utf-8")
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
        else:
            key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def _strip_pem(pem: str) -> str:
    return "".join(line for line in pem.strip().splitlines() if not line.startswith("-----"))


def signed_size(push: PushData, server_key_size: int) -> int:
    """The push's size in Firebase's count once signed by a key of this size (twice, with capabilities)."""
    placeholder = "A" * signature_length(server_key_size)
    second = placeholder if push.capabilities else ""
    return push.with_signature(placeholder, second).payload_size()
