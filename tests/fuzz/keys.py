"""Public keys of every kind, well-formed and not, for the ``pubkey`` field of enrollment step 2."""

from __future__ import annotations

import base64
from typing import Dict, List

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa, x448, x25519
from hypothesis import strategies as st


def _der_length(n: int) -> bytes:
    if n < 128:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _der(tag: int, body: bytes) -> bytes:
    return bytes([tag]) + _der_length(len(body)) + body


def _oid(arcs: List[int]) -> bytes:
    first = 40 * arcs[0] + arcs[1]
    out = bytearray()
    for arc in [first] + arcs[2:]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        out += bytes(reversed(chunk))
    return _der(0x06, bytes(out))


def spki(algorithm: bytes, key_bits: bytes) -> str:
    return base64.b64encode(_der(0x30, _der(0x30, algorithm) + _der(0x03, b"\x00" + key_bits))).decode()


class KeyZoo:
    """Public keys of every kind for the ``pubkey`` field, generated once per process."""

    _cache: Dict[str, str] = {}

    @classmethod
    def get(cls) -> Dict[str, str]:
        if not cls._cache:

            def b64(key):
                return base64.b64encode(
                    key.public_key().public_bytes(
                        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
                    )
                ).decode()

            rsa2048 = rsa.generate_private_key(65537, 2048)
            rsa1024 = rsa.generate_private_key(65537, 1024)
            p256 = ec.generate_private_key(ec.SECP256R1())
            pem = (
                rsa2048.public_key()
                .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
                .decode()
            )
            pkcs1 = rsa2048.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
            rsa_oid = _oid([1, 2, 840, 113549, 1, 1, 1]) + b"\x05\x00"
            ec_oid = _oid([1, 2, 840, 10045, 2, 1])
            point = p256.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
            cls._cache = {
                "rsa2048": b64(rsa2048),
                "rsa2048 urlsafe": base64.urlsafe_b64encode(base64.b64decode(b64(rsa2048))).decode(),
                "rsa2048 pem": pem,
                "rsa2048 wrapped": "\n".join(b64(rsa2048)[i : i + 64] for i in range(0, len(b64(rsa2048)), 64)),
                "rsa2048 pkcs1": base64.b64encode(pkcs1).decode(),
                "rsa2048 pss oid": spki(_oid([1, 2, 840, 113549, 1, 1, 10]), pkcs1),
                "rsa e=3": spki(rsa_oid, _rsa_public(rsa2048.public_key().public_numbers().n, 3)),
                "rsa e=65539": spki(rsa_oid, _rsa_public(rsa2048.public_key().public_numbers().n, 65539)),
                "rsa e=1": spki(rsa_oid, _rsa_public(rsa2048.public_key().public_numbers().n, 1)),
                "rsa even n": spki(rsa_oid, _rsa_public(2**2047 + 2, 65537)),
                "rsa1024": b64(rsa1024),
                "p256": b64(p256),
                "p256 compressed": spki(
                    ec_oid + _oid([1, 2, 840, 10045, 3, 1, 7]),
                    p256.public_key().public_bytes(
                        serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint
                    ),
                ),
                "p256 point not on curve": spki(ec_oid + _oid([1, 2, 840, 10045, 3, 1, 7]), b"\x04" + b"\x01" * 64),
                "p256 infinity": spki(ec_oid + _oid([1, 2, 840, 10045, 3, 1, 7]), b"\x00"),
                "p256 as rsa": spki(rsa_oid, point),
                "p384": b64(ec.generate_private_key(ec.SECP384R1())),
                "secp256k1": b64(ec.generate_private_key(ec.SECP256K1())),
                "brainpool": b64(ec.generate_private_key(ec.BrainpoolP256R1())),
                "ed25519": b64(ed25519.Ed25519PrivateKey.generate()),
                "ed448": b64(ed448.Ed448PrivateKey.generate()),
                "x25519": b64(x25519.X25519PrivateKey.generate()),
                "x448": b64(x448.X448PrivateKey.generate()),
                "dsa": b64(dsa.generate_private_key(1024)),
                "ec unknown curve": spki(ec_oid + _oid([1, 2, 3, 4]), point),
                "ec explicit curve": spki(ec_oid + _der(0x30, b"\x02\x01\x01"), point),
                "unknown algorithm": spki(_oid([1, 2, 3, 4]) + b"\x05\x00", b"\x01\x02"),
                "empty spki": base64.b64encode(_der(0x30, b"")).decode(),
                "private key der": base64.b64encode(
                    p256.private_bytes(
                        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
                    )
                ).decode(),
            }
        return cls._cache


def _rsa_public(n: int, e: int) -> bytes:
    def integer(value):
        body = value.to_bytes((value.bit_length() + 8) // 8, "big")
        return _der(0x02, body)

    return _der(0x30, integer(n) + integer(e))


@st.composite
def random_spki(draw):
    """Structurally valid SubjectPublicKeyInfo with random OIDs and parameters."""
    arcs = [draw(st.integers(0, 2)), draw(st.integers(0, 39))] + draw(st.lists(st.integers(0, 2**32), max_size=6))
    algorithm = _oid(arcs)
    parameters = draw(st.sampled_from([b"", b"\x05\x00", _oid([1, 2, 840, 10045, 3, 1, 7]), _oid([1, 3, 132, 0, 34])]))
    if draw(st.booleans()):
        algorithm = _oid([1, 2, 840, 10045, 2, 1])
        parameters = _oid(
            [draw(st.integers(0, 2)), draw(st.integers(0, 39))] + draw(st.lists(st.integers(0, 1000), max_size=5))
        )
    return spki(algorithm + parameters, draw(st.binary(max_size=80)))
