"""The app's keys and signatures: its own, and its check of the server's."""

from __future__ import annotations

import base64
import binascii
from typing import Any, Dict

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from .dart import dart_canonical_url


def b32_signature(signature: bytes) -> str:
    """Base32 with padding, as the app's ``base32`` package writes it."""
    return base64.b32encode(signature).decode("ascii")


def decode_b32_signature(text: str) -> bytes:
    """Decode an upper-case base32 signature whose padding is optional."""
    unpadded = text.rstrip("=")
    try:
        return base64.b32decode(unpadded + "=" * (-len(unpadded) % 8))
    except binascii.Error as exc:
        raise ValueError(f"signature is not valid base32: {exc}") from exc


def pubkey_b64(private_key: Any) -> str:
    """The ``pubkey`` enrollment field: base64 of the SubjectPublicKeyInfo DER."""
    der = private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode("ascii")


def load_server_public_key(value: Any) -> rsa.RSAPublicKey:
    """Read ``detail.public_key`` the way the app does, or raise ``ValueError``.

    The app strips ``\\n`` only, base64-decodes and reads a PKCS#1
    ``RSAPublicKey``; a ``\\r``, a SubjectPublicKeyInfo or any other key
    format makes the enrollment fail on a real phone.
    """
    if not isinstance(value, str):
        raise ValueError("public_key is not a string")
    text = value.replace("\n", "")
    try:
        der = base64.b64decode(text.replace("-", "+").replace("_", "/"), validate=True)
    except binascii.Error as exc:
        raise ValueError(f"public_key is not base64: {exc}") from exc
    try:
        key = serialization.load_der_public_key(der)
    except ValueError as exc:
        raise ValueError(f"public_key is not a DER public key: {exc}") from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("public_key is not an RSA key")
    if key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1) != der:
        raise ValueError("public_key is not a PKCS#1 RSAPublicKey (SubjectPublicKeyInfo?)")
    return key


def push_signed_text(data: Dict[str, str]) -> str:
    """The text the server signs for a push, as the app rebuilds it.

    ``nonce|url|serial|question|title|sslverify`` with the url in Dart's
    canonical form and sslverify ``1`` only for exactly ``"1"``.
    """
    sslverify = "1" if data["sslverify"] == "1" else "0"
    return "|".join(
        (
            data["nonce"],
            dart_canonical_url(data["url"]),
            data["serial"],
            data.get("question", ""),
            data["title"],
            sslverify,
        )
    )


def sign(private_key: Any, text: str) -> str:
    data = text.encode("utf-8")
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        signature = private_key.sign(data, ec.ECDSA(hashes.SHA256()))
    else:
        signature = private_key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    return b32_signature(signature)


def server_signature_is_valid(key: rsa.RSAPublicKey, signature: str, text: str) -> bool:
    try:
        raw_signature = decode_b32_signature(signature)
        key.verify(raw_signature, text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    except (ValueError, InvalidSignature):
        return False
    return True
