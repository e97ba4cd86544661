"""Fixtures for driving the edupushplus token through eduMFA's REST API (a plugin of tests/conftest.py).

The phone is the emulated eduMFA Authenticator app, talking to the same Flask
test client; 2048-bit phone and server keys keep the tests fast except where
a test is about the app's real 4096-bit keys.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from edupush_token.catalogue import TOKEN_TYPE
from edupush_token.devtools.phone import EmulatedPhone, FlaskClientTransport, PhoneToken
from support import PERMISSIVE_LIMITS, PIN, REGISTRATION_URL, actions, fast_enrollment


@pytest.fixture
def push_policies(admin):
    """The enrollment policy every edupushplus enrollment needs, with fast keys.

    The push-bombing limits are relaxed here so that tests can trigger in quick
    succession; the tests of the limits set their own (policy "edupushplus-limits").
    """
    admin.set_policy("edupushplus-enrollment", "enrollment", fast_enrollment(REGISTRATION_URL))
    admin.set_policy("edupushplus-limits", "authentication", actions(PERMISSIVE_LIMITS))


@pytest.fixture
def make_phone(client):
    """An emulated phone on the test client; 2048-bit RSA unless a test asks otherwise."""

    def make(**options) -> EmulatedPhone:
        return EmulatedPhone(FlaskClientTransport(client), **{"key_size": 2048, **options})

    return make


@pytest.fixture
def phone(make_phone) -> EmulatedPhone:
    return make_phone()


@pytest.fixture
def start_enrollment(admin, push_policies):
    """Enrollment step 1 for a user; returns eduMFA's /token/init detail."""

    def start(user="alice", pin=PIN, **params):
        body = {"type": TOKEN_TYPE, "genkey": 1, "user": user, "realm": "demo", "pin": pin, **params}
        return admin.post("/token/init", body)["detail"]

    return start


@dataclass
class Enrolled:
    phone: EmulatedPhone
    token: PhoneToken

    @property
    def serial(self) -> str:
        return self.token.serial


@pytest.fixture
def enroll(start_enrollment, phone):
    def enroll_user(user="alice", pin=PIN, on_phone=None) -> Enrolled:
        device = on_phone or phone
        detail = start_enrollment(user=user, pin=pin)
        return Enrolled(device, device.enroll(device.scan(detail["pushurl"]["value"])))

    return enroll_user


@pytest.fixture
def enrolled(enroll) -> Enrolled:
    return enroll()


@pytest.fixture
def trigger(admin):
    """/validate/triggerchallenge for a user; returns the response detail."""

    def trigger_for(user="alice"):
        return admin.post("/validate/triggerchallenge", {"user": user, "realm": "demo"})["detail"]

    return trigger_for


@pytest.fixture
def validate(client):
    """/validate/check as a legacy application calls it; returns (status, JSON)."""

    def check(**params):
        response = client.post("/validate/check", json={"user": "alice", "realm": "demo", **params})
        return response.status_code, response.get_json()

    return check


@pytest.fixture
def tokeninfo(admin):
    def info(serial):
        tokens = admin.get("/token/", params={"serial": serial})["result"]["value"]["tokens"]
        assert len(tokens) == 1
        return tokens[0]

    return info


@pytest.fixture
def set_tokeninfo(app, host_library):
    """Write a token info value as the server does; privacyIDEA's API refuses the keys the token class owns."""

    def write(serial, key, value):
        with app.app_context():
            token = host_library.get_one_token(serial=serial)
            host_library.write_tokeninfo(token, {key: value})
            token.token.save()

    return write
