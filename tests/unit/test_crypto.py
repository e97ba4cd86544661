import base64

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from edupush_token import crypto
from edupush_token.wire import WireError


@pytest.fixture(scope="module")
def server_key():
    return crypto.generate_server_key(2048)


@pytest.fixture(scope="module")
def phone_rsa():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def spki_b64(private_key, urlsafe=False):
    der = private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return (base64.urlsafe_b64encode if urlsafe else base64.b64encode)(der).decode()


def test_server_key_is_stored_as_pkcs1_pem(server_key):
    assert server_key.public_pem.startswith("-----BEGIN RSA PUBLIC KEY-----")
    assert "PRIVATE KEY" in server_key.private_pem


def test_public_key_for_app_is_one_line_pkcs1(server_key):
    encoded = crypto.public_key_for_app(server_key.public_pem)
    assert "\n" not in encoded and "\r" not in encoded
    key = serialization.load_der_public_key(
        serialization.load_pem_public_key(server_key.public_pem.encode()).public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    pkcs1 = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    assert base64.b64decode(encoded) == pkcs1


def test_server_signature_verifies_with_pkcs1v15(server_key):
    signature = crypto.sign_for_phone(server_key.private_pem, "a|b")
    assert signature == signature.upper()
    public_key = serialization.load_pem_public_key(server_key.public_pem.encode())
    public_key.verify(base64.b32decode(signature), b"a|b", padding.PKCS1v15(), hashes.SHA256())


def test_refuses_unsupported_server_key_sizes():
    with pytest.raises(ValueError):
        crypto.generate_server_key(1024)


@pytest.mark.parametrize("urlsafe", [False, True])
def test_phone_rsa_key_in_either_base64_alphabet(phone_rsa, urlsafe):
    key = crypto.load_phone_key(spki_b64(phone_rsa, urlsafe))
    assert crypto.phone_key_text(key) == spki_b64(phone_rsa)


def test_phone_signature_check_rsa(phone_rsa):
    key = crypto.load_phone_key(spki_b64(phone_rsa))
    signature = phone_rsa.sign(b"n|s", padding.PKCS1v15(), hashes.SHA256())
    assert crypto.phone_signature_valid(key, "n|s", signature)
    assert not crypto.phone_signature_valid(key, "n|s|decline", signature)
    assert not crypto.phone_signature_valid(key, "n|s", b"\x00" * 3)


def test_phone_signature_check_ecdsa_p256():
    phone = ec.generate_private_key(ec.SECP256R1())
    key = crypto.load_phone_key(spki_b64(phone))
    signature = phone.sign(b"n|s", ec.ECDSA(hashes.SHA256()))
    assert crypto.phone_signature_valid(key, "n|s", signature)
    assert not crypto.phone_signature_valid(key, "n|s", b"garbage")


@pytest.mark.parametrize(
    "make_key",
    [
        lambda: rsa.generate_private_key(public_exponent=65537, key_size=1024),
        lambda: ec.generate_private_key(ec.SECP384R1()),
    ],
)
def test_weak_or_unknown_phone_keys_are_refused(make_key):
    with pytest.raises(WireError):
        crypto.load_phone_key(spki_b64(make_key()))


@pytest.mark.parametrize("junk", ["", "not base64 at all!", base64.b64encode(b"not a key").decode()])
def test_junk_phone_keys_are_refused(junk):
    with pytest.raises(WireError):
        crypto.load_phone_key(junk)


def test_keys_of_algorithms_cryptography_cannot_load_are_refused():
    """An EC key on a curve cryptography does not support: UnsupportedAlgorithm inside."""
    # SubjectPublicKeyInfo of an EC key on brainpoolP160r1, which OpenSSL in cryptography does not load.
    der = bytes.fromhex("3042301406072a8648ce3d020106092b2403030208010101032a0004" + "11" * 40)
    with pytest.raises(WireError):
        crypto.load_phone_key(base64.b64encode(der).decode())


def rsa_spki_b64(modulus: int, exponent: int) -> str:
    """A phone key from its numbers: exponents and sizes no key generator would make."""
    key = rsa.RSAPublicNumbers(exponent, modulus).public_key()
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()


def odd_modulus(bits: int) -> int:
    return (1 << (bits - 1)) | 0xFFFF | 1


@pytest.mark.parametrize("bits", [crypto.MIN_PHONE_RSA_BITS, crypto.MAX_PHONE_RSA_BITS])
def test_phone_rsa_keys_of_the_accepted_sizes_load(bits):
    key = crypto.load_phone_key(rsa_spki_b64(odd_modulus(bits), crypto.PHONE_RSA_EXPONENT))
    assert key.key_size == bits


@pytest.mark.parametrize("bits", [crypto.MIN_PHONE_RSA_BITS - 8, crypto.MAX_PHONE_RSA_BITS + 8, 8192])
def test_phone_rsa_keys_of_other_sizes_are_refused(bits):
    with pytest.raises(WireError, match="bits"):
        crypto.load_phone_key(rsa_spki_b64(odd_modulus(bits), crypto.PHONE_RSA_EXPONENT))


@pytest.mark.parametrize("exponent", [3, 17, 65539, (1 << 3070) | 1])
def test_phone_rsa_keys_with_another_exponent_are_refused(exponent):
    """A 3071-bit exponent makes every verification ~100 times as expensive; e = 3 invites forgeries."""
    with pytest.raises(WireError, match="exponent"):
        crypto.load_phone_key(rsa_spki_b64(odd_modulus(3072), exponent))
