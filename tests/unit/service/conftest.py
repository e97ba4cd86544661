import pytest

from edupush_token import runtime
from edupush_token.crypto import generate_server_key

from .fakes import Phone, make_fakes, with_token

SERIAL = "EDPP0001"


@pytest.fixture(scope="session")
def server_key():
    return generate_server_key(2048)


@pytest.fixture
def fakes(monkeypatch):
    monkeypatch.setattr(runtime, "_last_housekeeping", float("-inf"))
    monkeypatch.setattr(runtime, "keep_outbox_swept", lambda sweep, hand_back: None)  # tests sweep themselves
    return make_fakes()


@pytest.fixture
def phone(fakes, server_key):
    """An enrolled token in the fake store and the phone that holds its key."""
    held = Phone()
    with_token(fakes.store, SERIAL, held, server_key)
    return held
