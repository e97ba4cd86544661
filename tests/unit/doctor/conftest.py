"""``make_deployment(...)``: a sound deployment with changes; its key file; a fake web."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from edupush_token.doctor.deployment import Deployment

from .factory import FakeWeb, build, service_account


@pytest.fixture(scope="session")
def private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.fixture
def write_key_file(tmp_path, private_key_pem):
    """(Re)writes the gateway's key file: a sound one changed as ``service_account`` does, or ``text``."""

    def write(text=None, mode=0o600, **changes) -> Path:
        path = tmp_path / "service-account.json"
        path.write_text(json.dumps(service_account(private_key_pem, **changes)) if text is None else text)
        path.chmod(mode)
        return path

    return write


@pytest.fixture
def key_file(write_key_file) -> Path:
    return write_key_file()


@pytest.fixture
def make_deployment(key_file):
    """``make_deployment(**changes)``: see ``factory.build``."""

    def make(**changes) -> Deployment:
        return build(key_file, **changes)

    return make


@pytest.fixture
def web() -> FakeWeb:
    return FakeWeb()
