"""The privacyIDEA dialect's wire shapes (PROTOCOL-PIAPP.md), against strings written out by hand."""

import base64
from dataclasses import replace

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from edupush_token import crypto
from edupush_token.catalogue import PresenceOptions
from edupush_token.errors import PushTooLarge, WireError
from edupush_token.service.push import check_size
from edupush_token.wire.pi_app import capabilities, presence
from edupush_token.wire.pi_app.answers import answer_text
from edupush_token.wire.pi_app.enrollment_url import pipush_url
from edupush_token.wire.push_data import FCM_DATA_LIMIT, PushData
from edupush_token.wire.qr_fields import QrFields
from edupush_token.wire.requests import ChallengeAnswer, EnrollmentFinish, parse_post

SIG = base64.b32encode(b"signature").decode()


def make(**overrides):
    fields = dict(nonce="N", url="HTTPS://Host:443/ttype/x", serial="S", question="Q?", title="T", sslverify=True)
    fields.update(overrides)
    return PushData.unsigned(**fields)


@pytest.fixture(scope="module")
def server_key_4096():
    return crypto.generate_server_key(4096)


def verifies(public_pem: str, signature: str, data: bytes) -> bool:
    key = serialization.load_pem_public_key(public_pem.encode())
    key.verify(base64.b32decode(signature), data, padding.PKCS1v15(), hashes.SHA256())  # raises if not
    return True


def test_the_qr_code_is_written_as_privacyidea_writes_it():
    fields = QrFields(
        "alice@uni", "EDPP0001", "https://mfa.example.org/ttype/edupushplus", "c0ffee", 10, True, "Uni Example"
    )
    url = pipush_url(replace(fields, force_app_pin=True), poll_only=True)
    assert url == (
        "otpauth://pipush/alice%40uni?url=https%3A//mfa.example.org/ttype/edupushplus&ttl=10&issuer=Uni%20Example"
        "&enrollment_credential=c0ffee&v=1&serial=EDPP0001&sslverify=1&poll_only=True&pin=True"
    )


def test_the_pia_scheme_and_a_firebase_token():
    fields = QrFields("L", "S", "https://h/t", "c", 3, False, "I", image_url="https://h/logo.png")
    url = pipush_url(fields, poll_only=False, pia_scheme=True)
    assert url == (
        "pia://pipush/L?url=https%3A//h/t&ttl=3&issuer=I&enrollment_credential=c"
        "&image=https%3A//h/logo.png&v=1&serial=S&sslverify=0&poll_only=False"
    )


def test_the_capabilities_are_signed_over_their_jcs_bytes():
    assert capabilities.SERVER_CAPABILITIES_JSON == '{"decline_reason": true}'
    assert capabilities.signed_input("N0NCE") == b'{"capabilities":{"decline_reason":true},"nonce":"N0NCE"}'


def test_a_privacyidea_push_without_presence_keeps_the_six_signed_fields():
    push = make().for_pi_app(None)
    assert push.signed_text() == "N|https://host/ttype/x|S|Q?|T|1"
    assert set(push.with_signature(SIG, SIG).as_dict()) == {
        *("nonce", "url", "serial", "question", "title", "sslverify", "signature"),
        *("capabilities", "capabilities_signature"),
    }


def test_number_matching_is_the_signed_seventh_field_with_version_2():
    push = make().for_pi_app(presence.Presence(("A", "K", "Q"), "K"))
    assert push.signed_text() == "N|https://host/ttype/x|S|Q?|T|1|A,K,Q"
    data = push.as_dict()
    assert (data["require_presence"], data["version"]) == ("A,K,Q", "2")
    assert "K" not in data.values()  # the right option is not on the wire


def test_an_edumfa_push_is_byte_for_byte_what_it_was():
    push = make().with_signature(SIG)
    assert push.to_json() == (
        '{"nonce":"N","question":"Q?","serial":"S","signature":"' + SIG + '","sslverify":"1","title":"T",'
        '"url":"https://host/ttype/x"}'
    )
    assert push.capabilities_input() is None


def test_signing_covers_both_texts(server_key_4096):
    signed = crypto.sign_push(server_key_4096.private_pem, make().for_pi_app(presence.Presence(("A", "B"), "A")))
    assert verifies(server_key_4096.public_pem, signed.signature, b"N|https://host/ttype/x|S|Q?|T|1|A,B")
    jcs = b'{"capabilities":{"decline_reason":true},"nonce":"N"}'
    assert verifies(server_key_4096.public_pem, signed.capabilities_signature, jcs)


def test_two_rsa_4096_signatures_fit_firebase_and_the_size_check_counts_both(server_key_4096):
    options = presence.Presence(tuple(presence.NUMERIC[:10]), "00")
    push = make(question="Q" * 1000, title="T" * 100).for_pi_app(options)
    signed = crypto.sign_push(server_key_4096.private_pem, push)
    assert signed.payload_size() == crypto.signed_size(push, 4096) <= FCM_DATA_LIMIT
    check_size(push, 4096)
    grown = make(question="Q" * 2500).for_pi_app(options)
    with pytest.raises(PushTooLarge):
        check_size(grown, 4096)
    check_size(make(question="Q" * 2500), 4096)  # the same text fits with one signature


@pytest.mark.parametrize(
    "decline, reason, option, text",
    [
        (False, "", "", "N|S"),
        (False, "", "K", "N|S|K"),
        (True, "", "", "N|S|decline"),
        (True, "unknown_trigger", "", "N|S|decline|unknown_trigger"),
        (True, "cancelled", "", "N|S|decline|cancelled"),
    ],
)
def test_the_answers_signed_strings(decline, reason, option, text):
    assert answer_text("N", "S", decline, reason, option) == text


@pytest.mark.parametrize("decline, expected", [("1", True), (1, True), (0, False), ("0", False), (True, True)])
def test_answers_in_form_or_json_bodies(decline, expected):
    parsed = parse_post({"serial": "S", "nonce": "N", "signature": SIG, "decline": decline})
    assert parsed == ChallengeAnswer("S", "N", b"signature", expected)


def test_an_answer_may_come_without_a_nonce_and_with_a_reason_and_an_option():
    parsed = parse_post(
        {"serial": "S", "signature": SIG, "decline": "1", "decline_reason": "cancelled", "presence_answer": "K"}
    )
    assert parsed == ChallengeAnswer("S", None, b"signature", True, "cancelled", "K")


def test_step_2_carries_the_apps_capabilities():
    fields = {"enrollment_credential": "c", "serial": "S", "fbtoken": "no_firebase_token", "pubkey": "K"}
    parsed = parse_post({**fields, "capabilities": '["decline_reason"]'})
    assert parsed == EnrollmentFinish("S", "c", "no_firebase_token", "K", ("decline_reason",))
    assert parse_post(fields) == EnrollmentFinish("S", "c", "no_firebase_token", "K")
    with pytest.raises(WireError):
        parse_post({**fields, "capabilities": '{"decline_reason": true}'})


def test_presence_options_are_drawn_from_their_pools():
    drawn = presence.draw(presence.available(PresenceOptions.NUMERIC), 10)
    assert len(set(drawn.options)) == 10 and drawn.answer in drawn.options
    assert all(len(option) == 2 and option.isdigit() for option in drawn.options)
    assert presence.draw(("x", "y"), 5).options in (("x", "y"), ("y", "x"))  # no more than there are
    assert presence.available(PresenceOptions.CUSTOM, "red: green :blue") == ("red", "green", "blue")
    for broken in ("red", "a,b:c", "a:a", "a::b", "a|b:c"):
        with pytest.raises(WireError):
            presence.available(PresenceOptions.CUSTOM, broken)


def test_a_phone_without_a_firebase_token_is_never_pushed_to():
    from edupush_token.catalogue import POLL_ONLY, Info
    from edupush_token.service.sending import recipient_from_info

    info = {Info.FIREBASE_CONFIG: "fcm", Info.FIREBASE_TOKEN: "no_firebase_token"}
    assert recipient_from_info("S", info).gateway_name == POLL_ONLY
    assert recipient_from_info("S", {**info, Info.FIREBASE_TOKEN: "a-real-token"}).gateway_name == "fcm"
