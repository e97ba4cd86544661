"""Every bad input to the phone's endpoint gets eduMFA's JSON error and a 4xx, never a 500."""

import base64

import pytest

from edupush_token.catalogue import ENDPOINT_PATH

pytestmark = pytest.mark.both_hosts

SIGNATURE = base64.b32encode(b"\x01" * 512).decode()
TIMESTAMP = "2026-11-23T19:14:54.146982Z"

BAD_POSTS = [
    {},
    {"serial": "X"},
    {"nonce": "N"},
    {"nonce": "N", "serial": "X"},
    {"nonce": "N", "serial": "X", "signature": ""},
    {"nonce": "N", "serial": "X", "signature": "%%%"},
    {"nonce": "N", "serial": "X", "signature": "A" * 5000},
    {"nonce": "N" * 1000, "serial": "X", "signature": SIGNATURE},
    {"nonce": "N", "serial": "../../etc", "signature": SIGNATURE},
    {"nonce": "N", "serial": "X", "signature": SIGNATURE, "decline": "perhaps"},
    {"enrollment_credential": "c"},
    {"enrollment_credential": "c", "serial": "X", "fbtoken": "f", "pubkey": "!!!"},
    {"enrollment_credential": "", "serial": "X", "fbtoken": "f", "pubkey": "k"},
    {"new_fb_token": "t", "serial": "X"},
    {"new_fb_token": "t", "serial": "X", "timestamp": "soon", "signature": SIGNATURE},
    {"new_fb_token": "t", "serial": "X", "timestamp": TIMESTAMP, "signature": SIGNATURE},
    {"new_fb_token": "t" * 10000, "serial": "X", "timestamp": TIMESTAMP, "signature": SIGNATURE},
]

BAD_QUERIES = [
    "",
    "serial=X",
    "serial=X&timestamp=" + TIMESTAMP,
    "serial=X&timestamp=" + TIMESTAMP + "&signature=" + SIGNATURE,
    "serial=X&timestamp=yesterday&signature=" + SIGNATURE,
    "serial=X&timestamp=" + TIMESTAMP + "&signature=not%20base32",
    "serial=&timestamp=&signature=",
    "serial=X%00&timestamp=" + TIMESTAMP + "&signature=" + SIGNATURE,
]


def assert_clean_refusal(response):
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)
    body = response.get_json()
    assert body["result"]["status"] is False
    assert body["result"]["error"]["message"]


@pytest.mark.parametrize("form", BAD_POSTS)
def test_bad_form_posts(client, enrolled, form):
    assert_clean_refusal(client.post(ENDPOINT_PATH, data=form))


@pytest.mark.parametrize("form", BAD_POSTS[1:])
def test_bad_json_posts(client, enrolled, form):
    assert_clean_refusal(client.post(ENDPOINT_PATH, json=form))


@pytest.mark.parametrize("value", [["a"], {"a": 1}, 5, None, True])
def test_non_string_values(client, enrolled, value):
    form = {"nonce": value, "serial": enrolled.serial, "signature": SIGNATURE}
    assert_clean_refusal(client.post(ENDPOINT_PATH, json=form))


@pytest.mark.parametrize("query", BAD_QUERIES)
def test_bad_polls(client, enrolled, query):
    assert_clean_refusal(client.get(ENDPOINT_PATH + "?" + query.replace("X", enrolled.serial, 1)))


def test_text_plain_garbage(client, enrolled):
    assert_clean_refusal(client.post(ENDPOINT_PATH, data=b"\xff\xfe garbage", content_type="text/plain"))


def test_unknown_transaction_id_at_validate_check(enrolled, validate):
    status, body = validate(**{"pass": "", "transaction_id": "1" * 20})
    assert status == 200 and body["result"]["value"] is False


@pytest.mark.parametrize("password", [1234, True, ["1234"], {"pin": "1234"}])
def test_a_non_string_password_is_no_pin_and_no_500(enrolled, validate, password):
    status, body = validate(**{"pass": password})
    assert status < 500
    assert body["result"].get("authentication") != "CHALLENGE"
