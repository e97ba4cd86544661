"""The emulated privacyIDEA Authenticator against a scripted server: its QR code, its checks, its answers."""

from __future__ import annotations

import base64
import json
from dataclasses import replace

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from edupush_token import crypto
from edupush_token.devtools.phone import HttpResponse, PhoneError, PiAuthenticator
from edupush_token.wire.pi_app import presence
from edupush_token.wire.push_data import PushData

URL = "https://mfa.example.org/ttype/edupushplus"
QR = f"otpauth://pipush/alice?url={URL}&ttl=10&issuer=Uni&enrollment_credential=c&v=1&serial=S1&sslverify=1"


class Server:
    """Answers every request with the scripted response and records what the phone sent."""

    def __init__(self, public_key: str) -> None:
        self.sent: list = []
        self.enrolled = HttpResponse(200, {"result": {"status": True}, "detail": {"public_key": public_key}})
        self.reply = HttpResponse(200, {"result": {"status": True, "value": True}})

    def post_form(self, url, fields):
        self.sent.append(("form", dict(fields)))
        return self.enrolled if "pubkey" in dict(fields) else self.reply

    def post_json(self, url, body):
        self.sent.append(("json", body))
        return self.reply

    def post_text(self, url, body):
        return self.reply

    def get_raw(self, url):
        self.sent.append(("get", url))
        return self.reply


@pytest.fixture(scope="module")
def server_key():
    return crypto.generate_server_key(2048)


@pytest.fixture
def server(server_key):
    der = serialization.load_pem_public_key(server_key.public_pem.encode()).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.PKCS1
    )
    return Server(base64.b64encode(der).decode())


@pytest.fixture
def phone(server):
    device = PiAuthenticator(server, key_size=2048)
    device.enroll(device.scan(QR + "&poll_only=True"))
    return device


def push(server_key, offered=None, nonce="N1") -> dict:
    unsigned = PushData.unsigned(nonce=nonce, url=URL, serial="S1", question="Q", title="T", sslverify=True)
    return crypto.sign_push(server_key.private_pem, unsigned.for_pi_app(offered)).as_dict()


def test_step_2_sends_capabilities_and_no_firebase_token_when_poll_only(phone, server):
    _kind, fields = server.sent[0]
    assert fields["fbtoken"] == "no_firebase_token" and json.loads(fields["capabilities"]) == ["decline_reason"]


@pytest.mark.parametrize("qr", [QR.replace("v=1", "v=2"), QR.replace("otpauth://pipush", "edumfa-push://edumfa")])
def test_only_pipush_codes_of_version_1_are_read(server, qr):
    with pytest.raises(PhoneError):
        PiAuthenticator(server).scan(qr)


def test_a_push_with_verified_capabilities_and_presence_shows_its_buttons(phone, server_key):
    request = phone.receive_push(push(server_key, presence.Presence(("A", "B", "C"), "B")))
    assert request.options == ("A", "B", "C") and request.decline_reasons


def test_a_push_whose_capabilities_do_not_verify_is_dropped_whole(phone, server_key):
    data = push(server_key)
    data["capabilities_signature"] = push(server_key, nonce="OTHER")["capabilities_signature"]
    assert phone.receive_push(data) is None and "capabilities" in phone.last_drop_reason


def test_malformed_capabilities_are_ignored(phone, server_key):
    data = {**push(server_key), "capabilities": "not json"}
    request = phone.receive_push(data)
    assert request is not None and not request.decline_reasons


def test_a_seventh_field_that_was_not_signed_drops_the_push(phone, server_key):
    data = {**push(server_key), "require_presence": "A,B", "version": "2"}
    assert phone.receive_push(data) is None


def test_answers_sign_what_they_send(phone, server, server_key):
    request = phone.receive_push(push(server_key, presence.Presence(("A", "B"), "A")))
    phone.press(request, "A")
    _kind, fields = server.sent[-1]
    assert fields["presence_answer"] == "A" and fields["nonce"] == "N1"
    token = phone.tokens["S1"]
    key = token.private_key.public_key()
    key.verify(base64.b32decode(fields["signature"]), b"N1|S1|A", padding.PKCS1v15(), hashes.SHA256())


def test_a_reason_goes_only_where_the_push_advertised_it(phone, server, server_key):
    request = phone.receive_push(push(server_key))
    phone.answer(replace(request, decline_reasons=False), decline=True, reason="unknown_trigger", as_json=True)
    kind, body = server.sent[-1]
    assert kind == "json" and body["decline"] == 1 and "decline_reason" not in body
