"""Enrollment through /validate/check (eduMFA's enroll_via_multichallenge policy)."""

import pytest

from edupush_token import catalogue
from edupush_token.catalogue import TOKEN_TYPE

pytestmark = pytest.mark.both_hosts

ENROLL_AT_LOGIN = f"enroll_via_multichallenge={TOKEN_TYPE.upper()}"


@pytest.fixture
def enroll_at_login(admin, push_policies):
    admin.set_policy("passthru", "authentication", "passthru=userstore")
    admin.set_policy("edupushplus-enroll-at-login", "authentication", ENROLL_AT_LOGIN)


def test_a_user_without_a_token_enrolls_at_login(enroll_at_login, validate, phone, client, tokeninfo):
    _status, body = validate(**{"pass": "alice-password"})
    assert body["result"]["authentication"] == "CHALLENGE"
    [challenge] = body["detail"]["multi_challenge"]
    assert challenge["type"] == TOKEN_TYPE
    assert challenge["client_mode"] == "poll"
    assert challenge["image"].startswith("data:image/png;base64,")
    transaction_id = challenge["transaction_id"]

    assert (
        client.get(f"/validate/polltransaction?transaction_id={transaction_id}").get_json()["result"]["value"] is False
    )
    token = phone.enroll(phone.scan(challenge["enrollment_url"]))
    assert tokeninfo(token.serial)["rollout_state"] == "enrolled"
    assert (
        client.get(f"/validate/polltransaction?transaction_id={transaction_id}").get_json()["result"]["value"] is True
    )
    _status, done = validate(**{"pass": "", "transaction_id": transaction_id})
    assert done["result"]["authentication"] == "ACCEPT"


def test_the_enrolled_token_then_serves_push_logins(enroll_at_login, validate, phone, admin):
    _status, body = validate(**{"pass": "alice-password"})
    token = phone.enroll(phone.scan(body["detail"]["multi_challenge"][0]["enrollment_url"]))
    admin.post("/token/setpin", {"serial": token.serial, "otppin": "4321"})
    admin.set_policy("passthru", "authentication", "otppin=tokenpin")
    _status, login = validate(**{"pass": "4321"})
    assert login["result"]["authentication"] == "CHALLENGE"
    assert len(phone.poll(token)) == 1


def test_enroll_at_login_needs_the_registration_url_policy(admin, validate):
    admin.set_policy("passthru", "authentication", "passthru=userstore")
    admin.set_policy("edupushplus-enroll-at-login", "authentication", ENROLL_AT_LOGIN)
    status, body = validate(**{"pass": "alice-password"})
    assert status == 403
    assert catalogue.REGISTRATION_URL.name in body["result"]["error"]["message"]
