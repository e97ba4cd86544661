import base64

import pytest

from edupush_token.wire import WireError
from edupush_token.wire.requests import (
    ChallengeAnswer,
    EnrollmentFinish,
    FirebaseTokenUpdate,
    decode_base32,
    parse_poll,
    parse_post,
)

SIGNATURE = base64.b32encode(b"\x01" * 256).decode()


def test_enrollment_step_two():
    parsed = parse_post({"enrollment_credential": "cred", "serial": "EDPP1", "fbtoken": "fb", "pubkey": "MII"})
    assert parsed == EnrollmentFinish(serial="EDPP1", enrollment_credential="cred", fbtoken="fb", pubkey="MII")


def test_answer_and_decline():
    accept = parse_post({"nonce": "N", "serial": "S", "signature": SIGNATURE})
    decline = parse_post({"nonce": "N", "serial": "S", "signature": SIGNATURE, "decline": "1"})
    assert accept == ChallengeAnswer(serial="S", nonce="N", signature=b"\x01" * 256, decline=False)
    assert decline.decline is True


def test_firebase_token_update():
    parsed = parse_post(
        {"new_fb_token": "new", "serial": "S", "timestamp": "2026-11-23T19:14:54Z", "signature": SIGNATURE}
    )
    assert isinstance(parsed, FirebaseTokenUpdate)
    assert parsed.new_fb_token == "new"


def test_poll():
    parsed = parse_poll({"serial": "S", "timestamp": "2026-11-23T19:14:54Z", "signature": SIGNATURE})
    assert parsed.signature == b"\x01" * 256


@pytest.mark.parametrize(
    "params, complaint",
    [
        ({}, "Missing parameters"),
        ({"serial": "S"}, "Missing parameters"),
        ({"nonce": "N", "serial": "S"}, "signature"),
        ({"nonce": "N", "signature": SIGNATURE}, "serial"),
        ({"nonce": "N", "serial": "S&x=1", "signature": SIGNATURE}, "serial"),
        ({"nonce": "N", "serial": "S" * 41, "signature": SIGNATURE}, "serial"),
        ({"nonce": "N" * 129, "serial": "S", "signature": SIGNATURE}, "nonce"),
        ({"nonce": "N", "serial": "S", "signature": "not base32!"}, "base32"),
        ({"nonce": "N", "serial": "S", "signature": "A" * 2049}, "signature"),
        ({"nonce": "N", "serial": "S", "signature": SIGNATURE, "decline": "maybe"}, "decline"),
        ({"nonce": ["N"], "serial": "S", "signature": SIGNATURE}, "string"),
        ({"nonce": "", "serial": "S", "signature": SIGNATURE}, "empty"),
        ({"enrollment_credential": "c", "serial": "S", "fbtoken": "f"}, "pubkey"),
        ({"enrollment_credential": "c", "serial": "S", "fbtoken": "f", "pubkey": "k" * 4097}, "pubkey"),
    ],
)
def test_malformed_requests_say_what_is_wrong(params, complaint):
    with pytest.raises(WireError, match=complaint):
        parse_post(params)


def test_empty_firebase_token_is_allowed_for_poll_only_phones():
    parsed = parse_post({"enrollment_credential": "c", "serial": "S", "fbtoken": "", "pubkey": "k"})
    assert parsed.fbtoken == ""


def test_base32_padding_is_optional():
    assert decode_base32("MFRGG===") == decode_base32("MFRGG") == b"abc"
