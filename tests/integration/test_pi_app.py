"""The privacyIDEA Authenticator's dialect (PROTOCOL-PIAPP.md) in real eduMFA, driven by the emulated app."""

import json

import pytest

from edupush_token import catalogue
from edupush_token.catalogue import TOKEN_TYPE, AppProfile, Info
from edupush_token.devtools.local_instance import installed_host
from edupush_token.devtools.phone import FlaskClientTransport, PiAuthenticator
from edupush_token.devtools.phone.pi_app import CANCELLED, NO_FIREBASE_TOKEN, UNKNOWN_TRIGGER
from edupush_token.wire.pi_app import presence
from support import PERMISSIVE_LIMITS, PIN, REGISTRATION_URL, actions, fast_enrollment, qr_query

pytestmark = [pytest.mark.both_engines, pytest.mark.both_hosts]

PI_PROFILE = {catalogue.APP_PROFILE: AppProfile.PRIVACYIDEA.value}


@pytest.fixture
def pi_phone(client) -> PiAuthenticator:
    return PiAuthenticator(FlaskClientTransport(client), key_size=2048)


@pytest.fixture
def pi_policies(admin):
    admin.set_policy("edupushplus-enrollment", "enrollment", fast_enrollment(REGISTRATION_URL, PI_PROFILE))
    admin.set_policy("edupushplus-limits", "authentication", actions(PERMISSIVE_LIMITS))


@pytest.fixture
def pi_enrolled(admin, pi_policies, pi_phone):
    detail = admin.post("/token/init", {"type": TOKEN_TYPE, "genkey": 1, "user": "alice", "realm": "demo", "pin": PIN})[
        "detail"
    ]
    return pi_phone.enroll(pi_phone.scan(detail["pushurl"]["value"]))


@pytest.fixture
def auth_policy(admin):
    def set_actions(settings):
        admin.set_policy("edupushplus-pi-auth", "authentication", actions(settings))

    return set_actions


def audit_count(admin, action: str, **where) -> int:
    params = {"action": f"{TOKEN_TYPE} {action}", **where, "page_size": 1}
    return admin.get("/audit/", params=params)["result"]["value"]["count"]


def polled(client, transaction_id) -> bool:
    return client.get(f"/validate/polltransaction?transaction_id={transaction_id}").get_json()["result"]["value"]


def test_a_privacyidea_profile_token_gets_a_pipush_qr_code_and_remembers_its_profile(
    admin, pi_policies, pi_phone, tokeninfo
):
    detail = admin.post("/token/init", {"type": TOKEN_TYPE, "genkey": 1, "user": "alice", "realm": "demo"})["detail"]
    url = detail["pushurl"]["value"]
    assert url.startswith("otpauth://pipush/")
    query = qr_query(url)
    assert (query["v"], query["poll_only"], query["url"]) == ("1", "True", REGISTRATION_URL)
    assert "privacyIDEA Authenticator" in detail["pushurl"]["description"]
    token = pi_phone.enroll(pi_phone.scan(url))
    info = tokeninfo(token.serial)["info"]
    assert info[Info.APP_PROFILE] == AppProfile.PRIVACYIDEA.value
    assert info[Info.FIREBASE_TOKEN] == NO_FIREBASE_TOKEN  # poll_only=True: the app has no Firebase token
    assert json.loads(info[Info.APP_CAPABILITIES]) == ["decline_reason"]


def test_the_pia_scheme_policy_writes_pia_urls(admin, pi_policies, pi_phone):
    more = {**PI_PROFILE, catalogue.USE_PIA_SCHEME: True}
    admin.set_policy("edupushplus-enrollment", "enrollment", fast_enrollment(REGISTRATION_URL, more))
    detail = admin.post("/token/init", {"type": TOKEN_TYPE, "genkey": 1, "user": "alice", "realm": "demo"})["detail"]
    assert detail["pushurl"]["value"].startswith("pia://pipush/")
    assert pi_phone.enroll(pi_phone.scan(detail["pushurl"]["value"])).serial == detail["serial"]


def test_an_edumfa_profile_push_carries_nothing_of_the_privacyidea_dialect(enrolled, trigger, auth_policy, client):
    auth_policy({catalogue.REQUIRE_PRESENCE: True, catalogue.CODE_TO_PHONE: True})
    detail = trigger()
    assert "presence_answer" not in detail["multi_challenge"][0]
    assert detail["multi_challenge"][0]["client_mode"] == "poll"
    assert len(enrolled.phone.poll(enrolled.token)) == 1  # the eduMFA app verifies six fields, drops anything more


def test_a_push_is_signed_with_its_capabilities_and_an_accept_logs_in(pi_enrolled, pi_phone, trigger, validate):
    transaction_id = trigger()["transaction_id"]
    [request] = pi_phone.poll(pi_enrolled)
    assert request.decline_reasons and request.options == ()
    assert pi_phone.answer(request).response.json["result"]["value"] is True
    assert validate(**{"pass": "", "transaction_id": transaction_id})[1]["result"]["authentication"] == "ACCEPT"


def test_number_matching_the_right_button_logs_in(pi_enrolled, pi_phone, trigger, validate, auth_policy):
    auth_policy({catalogue.REQUIRE_PRESENCE: True, catalogue.PRESENCE_NUM_OPTIONS: 5})
    detail = trigger()
    [challenge] = detail["multi_challenge"]
    right = challenge["presence_answer"]
    assert challenge["message"].endswith(f"Please press: {right}")
    [request] = pi_phone.poll(pi_enrolled)
    assert len(request.options) == 5 and right in request.options
    assert set(request.options) <= set(presence.ALPHABETIC)
    assert pi_phone.press(request, right).response.json["result"]["value"] is True
    check = validate(**{"pass": "", "transaction_id": detail["transaction_id"]})
    assert check[1]["result"]["authentication"] == "ACCEPT"


def test_a_wrong_button_is_final_audited_and_counted(
    admin, pi_enrolled, pi_phone, trigger, validate, client, auth_policy
):
    auth_policy({catalogue.REQUIRE_PRESENCE: True, catalogue.PRESENCE_OPTIONS: "NUMERIC", catalogue.DECLINE_LIMIT: 1})
    detail = trigger()
    right = detail["multi_challenge"][0]["presence_answer"]
    [request] = pi_phone.poll(pi_enrolled)
    wrong = next(option for option in request.options if option != right)
    answered = pi_phone.press(request, wrong)
    assert answered.final and answered.response.json["result"]["value"] is False
    assert polled(client, detail["transaction_id"]) is False
    assert (
        validate(**{"pass": "", "transaction_id": detail["transaction_id"]})[1]["result"]["authentication"] == "REJECT"
    )
    assert audit_count(admin, "push wrong option", serial=pi_enrolled.serial) == 1
    trigger()
    assert pi_phone.poll(pi_enrolled) == []  # counted: the decline limit of 1 pauses the pushes


def test_the_challenge_text_may_place_the_option(pi_enrolled, admin, trigger, auth_policy):
    auth_policy({catalogue.REQUIRE_PRESENCE: True})
    admin.set_policy("challenge-text", "authentication", "challenge_text=Press {presence_answer} on your phone")
    [challenge] = trigger()["multi_challenge"]
    assert challenge["message"] == f"Press {challenge['presence_answer']} on your phone"


@pytest.mark.parametrize("reason, counted", [(UNKNOWN_TRIGGER, True), (CANCELLED, False)])
def test_decline_reasons_decline_the_login_and_only_not_me_counts(
    admin, pi_enrolled, pi_phone, trigger, validate, client, auth_policy, reason, counted
):
    auth_policy({catalogue.DECLINE_LIMIT: 1})
    transaction_id = trigger()["transaction_id"]
    [request] = pi_phone.poll(pi_enrolled)
    assert pi_phone.answer(request, decline=True, reason=reason).response.json["result"]["value"] is True
    assert polled(client, transaction_id) is False
    assert validate(**{"pass": "", "transaction_id": transaction_id})[1]["result"]["authentication"] == "REJECT"
    event = "push declined" if counted else "push cancelled"
    assert audit_count(admin, event, serial=pi_enrolled.serial, action_detail=reason) == 1
    trigger()
    assert (pi_phone.poll(pi_enrolled) == []) is counted  # "not me" starts the cool-down; "cancelled" does not


def test_code_to_phone_completes_with_the_code_and_the_done_button_undoes_nothing(
    pi_enrolled, pi_phone, trigger, validate, client, auth_policy
):
    auth_policy({catalogue.CODE_TO_PHONE: True, catalogue.CODE_TO_PHONE_MESSAGE: "Type it in"})
    detail = trigger()
    [challenge] = detail["multi_challenge"]
    assert challenge["client_mode"] == "interactive"
    assert challenge["attributes"]["hideResponseInput"] is False
    assert challenge["message"] == catalogue.DEFAULT_CODE_TO_PHONE_TEXT
    [request] = pi_phone.poll(pi_enrolled)
    confirmed = pi_phone.answer(request)
    assert confirmed.display_code and confirmed.message == "Type it in"
    assert pi_phone.done(request).response.json["result"]["value"] is True
    assert polled(client, detail["transaction_id"]) is False  # the phone alone does not complete the login
    assert pi_phone.poll(pi_enrolled) == [] and pi_phone.last_drop_reason is None  # not served again
    check = validate(**{"pass": confirmed.display_code, "transaction_id": detail["transaction_id"]})
    assert check[1]["result"]["authentication"] == "ACCEPT"


def test_a_wrong_code_fails_for_good(admin, pi_enrolled, pi_phone, trigger, validate, auth_policy):
    auth_policy({catalogue.CODE_TO_PHONE: True})
    transaction_id = trigger()["transaction_id"]
    [request] = pi_phone.poll(pi_enrolled)
    code = pi_phone.answer(request).display_code
    wrong = f"{(int(code) + 1) % 100:02}"
    assert validate(**{"pass": wrong, "transaction_id": transaction_id})[1]["result"]["authentication"] == "REJECT"
    assert validate(**{"pass": code, "transaction_id": transaction_id})[1]["result"]["authentication"] == "REJECT"
    assert audit_count(admin, "push wrong code", serial=pi_enrolled.serial) == 1


@pytest.mark.parametrize("with_nonce, as_json", [(False, False), (True, True), (False, True)])
def test_both_answer_shapes_are_understood(pi_enrolled, pi_phone, trigger, client, with_nonce, as_json):
    transaction_id = trigger()["transaction_id"]
    [request] = pi_phone.poll(pi_enrolled)
    answered = pi_phone.answer(request, decline=True, reason=CANCELLED, with_nonce=with_nonce, as_json=as_json)
    assert answered.response.status == 200 and answered.response.json["result"]["value"] is True
    status = client.get(f"/validate/polltransaction?transaction_id={transaction_id}").get_json()
    assert status["result"]["value"] is False
    assert pi_phone.poll(pi_enrolled) == [] and pi_phone.last_drop_reason is None  # declined: not served again


def test_push_wait_sends_no_number_matching(pi_enrolled, pi_phone, auth_policy, validate, admin):
    auth_policy({catalogue.REQUIRE_PRESENCE: True, catalogue.WAIT: 1})
    status, body = validate(**{"pass": PIN})
    assert body["result"]["authentication"] == "REJECT"  # nobody answered within the second
    assert "presence_answer" not in json.dumps(body)


def test_the_enrolling_user_picks_the_app_unless_a_policy_decides(admin, push_policies):
    body = {"type": TOKEN_TYPE, "genkey": 1, "user": "alice", "realm": "demo"}
    picked = {**body, catalogue.APP_PROFILE_PARAMETER: AppProfile.PRIVACYIDEA.value}
    assert admin.post("/token/init", body)["detail"]["pushurl"]["value"].startswith("edumfa-push://")
    assert admin.post("/token/init", picked)["detail"]["pushurl"]["value"].startswith("otpauth://pipush/")
    decided = {catalogue.APP_PROFILE: AppProfile.EDUMFA.value}
    admin.set_policy("edupushplus-enrollment", "enrollment", fast_enrollment(REGISTRATION_URL, decided))
    assert admin.post("/token/init", picked)["detail"]["pushurl"]["value"].startswith("edumfa-push://")


def test_a_firebase_token_update_with_capabilities_is_applied(pi_enrolled, pi_phone, tokeninfo):
    assert pi_phone.update_firebase_token(pi_enrolled, "fbtoken-new").status == 200
    assert tokeninfo(pi_enrolled.serial)["info"][Info.FIREBASE_TOKEN] == "fbtoken-new"


@pytest.mark.parametrize("reason", [UNKNOWN_TRIGGER, CANCELLED])
def test_polltransaction_tells_a_cancel_where_the_host_can(pi_enrolled, pi_phone, trigger, client, reason):
    """privacyIDEA keeps a cancel apart (challenge_cancelled); eduMFA knows declines only."""
    transaction_id = trigger()["transaction_id"]
    [request] = pi_phone.poll(pi_enrolled)
    pi_phone.answer(request, decline=True, reason=reason)
    status = client.get(f"/validate/polltransaction?transaction_id={transaction_id}").get_json()["detail"]
    tells_cancels = installed_host() == "privacyidea"
    assert status["challenge_status"] == ("cancelled" if reason == CANCELLED and tells_cancels else "declined")
