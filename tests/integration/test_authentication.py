"""Challenges, polls and answers (PROTOCOL.md sections 3 to 6) in a real host (eduMFA or privacyIDEA)."""

import base64
from datetime import datetime, timedelta, timezone

import pytest

from edupush_token import catalogue
from edupush_token.catalogue import ENDPOINT_PATH, MOBILE_TEXT, MOBILE_TITLE, TOKEN_TYPE, Config, Info
from edupush_token.devtools.phone import PhoneError, dart_iso_timestamp
from support import PIN, REGISTRATION_URL, action, actions

pytestmark = [pytest.mark.both_engines, pytest.mark.both_hosts]


def test_triggerchallenge_creates_a_poll_challenge(enrolled, trigger):
    detail = trigger()
    assert detail["transaction_id"]
    [challenge] = detail["multi_challenge"]
    assert challenge["client_mode"] == "poll"
    assert challenge["type"] == TOKEN_TYPE
    assert challenge["serial"] == enrolled.serial
    assert challenge["transaction_id"] == detail["transaction_id"]


def test_no_two_challenges_share_the_reply_the_host_writes_their_transaction_id_into(
    app, host_library, enroll, make_phone
):
    """The hosts store each transaction id in the dict create_challenge returns: a shared one
    handed concurrent logins each other's transaction ids (found by the 200-login e2e test)."""
    serials = [enroll(user=user, on_phone=make_phone()).serial for user in ("alice", "bob")]
    with app.test_request_context():
        replies = [host_library.get_one_token(serial=serial).create_challenge()[3] for serial in serials]
    assert replies[0] == replies[1] and replies[0] is not replies[1]


def test_validate_check_with_the_pin_creates_a_challenge(enrolled, validate):
    status, body = validate(**{"pass": PIN})
    assert status == 200
    assert body["result"]["authentication"] == "CHALLENGE"
    assert body["detail"]["multi_challenge"][0]["client_mode"] == "poll"


def test_a_wrong_pin_creates_no_challenge(enrolled, validate):
    _, body = validate(**{"pass": "0000"})
    assert body["result"]["authentication"] == "REJECT"
    assert enrolled.phone.poll(enrolled.token) == []


def test_the_phone_polls_a_correctly_signed_push(enrolled, trigger):
    trigger()
    [request] = enrolled.phone.poll(enrolled.token)
    assert request.serial == enrolled.serial
    assert request.url == REGISTRATION_URL
    assert request.sslverify == catalogue.AUTH_SSL_VERIFY.default
    assert request.question == MOBILE_TEXT.default
    assert request.title == MOBILE_TITLE.default
    assert len(base64.b32decode(request.nonce + "=" * (-len(request.nonce) % 8))) * 8 >= 160


def test_texts_on_the_phone_come_from_policies_and_are_signed(admin, enrolled, trigger):
    admin.set_policy(
        "edupushplus-texts",
        "authentication",
        actions({MOBILE_TEXT: "Log in to the library?", MOBILE_TITLE: "Uni", catalogue.AUTH_SSL_VERIFY: 0}),
    )
    trigger()
    [request] = enrolled.phone.poll(enrolled.token)
    assert (request.question, request.title, request.sslverify) == ("Log in to the library?", "Uni", "0")


def test_accept_lets_the_relying_application_log_in_once(enrolled, trigger, validate, client):
    transaction_id = trigger()["transaction_id"]
    [request] = enrolled.phone.poll(enrolled.token)
    answer = enrolled.phone.accept(request)
    assert answer.status == 200 and answer.json["result"]["value"] is True
    poll = client.get(f"/validate/polltransaction?transaction_id={transaction_id}").get_json()
    assert poll["result"]["value"] is True
    assert validate(**{"pass": "", "transaction_id": transaction_id})[1]["result"]["authentication"] == "ACCEPT"
    assert validate(**{"pass": "", "transaction_id": transaction_id})[1]["result"]["authentication"] == "REJECT"


def test_an_unanswered_challenge_does_not_log_in(enrolled, trigger, validate):
    transaction_id = trigger()["transaction_id"]
    assert validate(**{"pass": "", "transaction_id": transaction_id})[1]["result"]["value"] is False


def test_decline_rejects_the_login_and_polltransaction_says_so(enrolled, trigger, validate, client):
    transaction_id = trigger()["transaction_id"]
    [request] = enrolled.phone.poll(enrolled.token)
    assert enrolled.phone.decline(request).status == 200
    poll = client.get(f"/validate/polltransaction?transaction_id={transaction_id}").get_json()
    assert poll["result"]["value"] is False
    assert poll["detail"]["challenge_status"] == "declined"
    assert validate(**{"pass": "", "transaction_id": transaction_id})[1]["result"]["value"] is False


def test_answered_and_declined_challenges_are_no_longer_served(enrolled, make_phone, trigger):
    trigger()
    trigger()
    first, second = enrolled.phone.poll(enrolled.token)
    enrolled.phone.accept(first)
    enrolled.phone.decline(second)
    assert _raw_poll(enrolled) == []


@pytest.mark.parametrize("first, second", [("accept", "decline"), ("decline", "accept")])
def test_an_answer_is_final(enrolled, trigger, client, first, second):
    transaction_id = trigger()["transaction_id"]
    [request] = enrolled.phone.poll(enrolled.token)
    getattr(enrolled.phone, first)(request)
    changed = getattr(enrolled.phone, second)(request)
    assert changed.status == 200  # a retry cannot help, so the app must not re-queue it
    assert changed.json["result"]["value"] is False
    status = client.get(f"/validate/polltransaction?transaction_id={transaction_id}").get_json()
    assert status["result"]["value"] is (first == "accept")


def test_a_repeated_answer_is_acknowledged_without_effect(enrolled, trigger):
    trigger()
    [request] = enrolled.phone.poll(enrolled.token)
    assert enrolled.phone.accept(request).json["result"]["value"] is True
    assert enrolled.phone.accept(request).json["result"]["value"] is True


def test_a_wrong_signature_is_refused_and_changes_nothing(enrolled, trigger, client):
    transaction_id = trigger()["transaction_id"]
    [request] = enrolled.phone.poll(enrolled.token)
    forged = base64.b32encode(b"\x00" * 256).decode()
    response = client.post(ENDPOINT_PATH, data={"nonce": request.nonce, "serial": request.serial, "signature": forged})
    assert response.status_code == 400
    assert (
        client.get(f"/validate/polltransaction?transaction_id={transaction_id}").get_json()["result"]["value"] is False
    )
    assert len(_raw_poll(enrolled)) == 1


def test_a_signature_from_another_tokens_phone_is_refused(enroll, make_phone, trigger, client):
    alice = enroll("alice")
    bob = enroll("bob", on_phone=make_phone())
    trigger("alice")
    [request] = alice.phone.poll(alice.token)
    bob.phone.tokens[alice.serial] = bob.phone.tokens[bob.serial].__class__(
        **{**bob.token.__dict__, "serial": alice.serial}
    )
    response = bob.phone.accept(request)
    assert response.status == 400
    assert len(_raw_poll(alice)) == 1


@pytest.mark.parametrize("signature", ["not-base32!", "A", "=" * 8, "MFRGG==="])
def test_undecodable_or_short_signatures_are_a_4xx(enrolled, trigger, client, signature):
    trigger()
    [request] = enrolled.phone.poll(enrolled.token)
    response = client.post(
        ENDPOINT_PATH, data={"nonce": request.nonce, "serial": request.serial, "signature": signature}
    )
    assert response.status_code == 400


def test_an_answer_for_an_unknown_nonce_is_refused(enrolled, client):
    signature = base64.b32encode(b"\x01" * 256).decode()
    response = client.post(ENDPOINT_PATH, data={"nonce": "UNKNOWN", "serial": enrolled.serial, "signature": signature})
    assert response.status_code == 400  # the signature cannot match


def test_expired_challenges_are_not_served_nor_accepted(admin, enrolled, trigger, client, monkeypatch):
    admin.post("/system/setConfig", {Config.CHALLENGE_VALIDITY: "1"})
    transaction_id = trigger()["transaction_id"]
    [request] = enrolled.phone.poll(enrolled.token)
    later = datetime.now(timezone.utc) + timedelta(seconds=2)
    _wait_until(later)
    assert _raw_poll(enrolled) == []
    answer = enrolled.phone.accept(request)
    assert answer.status == 200 and answer.json["result"]["value"] is False
    assert (
        client.get(f"/validate/polltransaction?transaction_id={transaction_id}").get_json()["result"]["value"] is False
    )
    expired = admin.get("/audit/", params={"action": "edupushplus push expired"})["result"]["value"]["auditdata"]
    assert [entry["serial"] for entry in expired] == [enrolled.serial]


def test_poll_outside_the_clock_window_tells_the_user_to_check_the_clock(enrolled, make_phone, trigger):
    trigger()
    enrolled.phone.clock = lambda: datetime.now(timezone.utc) + timedelta(minutes=5)
    with pytest.raises(PhoneError) as skewed:
        enrolled.phone.poll(enrolled.token)
    assert skewed.value.status == 400
    assert "clock" in skewed.value.message and "ahead" in skewed.value.message


def test_poll_within_the_clock_window_works(enrolled, trigger):
    trigger()
    enrolled.phone.clock = lambda: datetime.now(timezone.utc) - timedelta(seconds=50)
    assert len(enrolled.phone.poll(enrolled.token)) == 1


def test_poll_with_a_wrong_signature_is_refused(enrolled, client):
    timestamp = dart_iso_timestamp(datetime.now(timezone.utc))
    signature = base64.b32encode(b"\x02" * 256).decode()
    response = client.get(f"{ENDPOINT_PATH}?serial={enrolled.serial}&timestamp={timestamp}&signature={signature}")
    assert response.status_code == 400


@pytest.mark.parametrize(
    "setting, tokeninfo_value, allowed",
    [
        ("allow", None, True),
        ("deny", None, False),
        ("token", None, True),
        ("token", "False", False),
        ("token", "True", True),
    ],
)
def test_the_polling_policy_works_as_in_edumfa(admin, enrolled, setting, tokeninfo_value, allowed):
    admin.set_policy("edupushplus-polling", "authentication", action(catalogue.ALLOW_POLLING, setting))
    if tokeninfo_value is not None:
        admin.post(f"/token/info/{enrolled.serial}/{Info.POLLING_ALLOWED}", {"value": tokeninfo_value})
    if allowed:
        assert enrolled.phone.poll(enrolled.token) == []
    else:
        with pytest.raises(PhoneError) as denied:
            enrolled.phone.poll(enrolled.token)
        assert denied.value.status == 403


def test_a_polling_policy_for_one_user_applies_to_that_users_tokens_only(admin, enroll, make_phone):
    alice, bob = enroll("alice", on_phone=make_phone()), enroll("bob", on_phone=make_phone())
    admin.set_policy("edupushplus-polling", "authentication", action(catalogue.ALLOW_POLLING, "deny"), user="alice")
    with pytest.raises(PhoneError):
        alice.phone.poll(alice.token)
    assert bob.phone.poll(bob.token) == []


def test_the_phone_updates_its_firebase_token(enrolled, tokeninfo):
    response = enrolled.phone.update_firebase_token(enrolled.token, "new-registration")
    assert response.status == 200
    assert tokeninfo(enrolled.serial)["info"][Info.FIREBASE_TOKEN] == "new-registration"


@pytest.mark.parametrize(
    "skew, accepted", [(timedelta(minutes=4), True), (timedelta(minutes=6), False), (-timedelta(minutes=6), False)]
)
def test_firebase_token_updates_have_a_five_minute_window(enrolled, tokeninfo, skew, accepted):
    enrolled.phone.clock = lambda: datetime.now(timezone.utc) + skew
    response = enrolled.phone.update_firebase_token(enrolled.token, "new-registration")
    assert (response.status == 200) is accepted
    assert (tokeninfo(enrolled.serial)["info"][Info.FIREBASE_TOKEN] == "new-registration") is accepted


def test_a_forged_firebase_token_update_is_refused(enrolled, client, tokeninfo):
    timestamp = dart_iso_timestamp(datetime.now(timezone.utc))
    signature = base64.b32encode(b"\x03" * 256).decode()
    response = client.post(
        ENDPOINT_PATH,
        data={"new_fb_token": "attacker", "serial": enrolled.serial, "timestamp": timestamp, "signature": signature},
    )
    assert response.status_code == 400
    assert tokeninfo(enrolled.serial)["info"][Info.FIREBASE_TOKEN] != "attacker"


def test_a_token_waiting_for_enrollment_gets_no_challenge(start_enrollment, trigger):
    start_enrollment()
    assert trigger()["multi_challenge"] == []


def _raw_poll(enrolled):
    """A poll by a fresh phone with the same key, which has not seen any nonce yet."""
    from edupush_token.devtools.phone import EmulatedPhone

    fresh = EmulatedPhone(enrolled.phone.transport)
    fresh.tokens[enrolled.serial] = enrolled.token
    return fresh.poll(enrolled.token)


def _wait_until(moment):
    import time

    time.sleep(max(0.0, (moment - datetime.now(timezone.utc)).total_seconds()))


def test_the_texts_carry_the_logins_context_and_are_signed(admin, enrolled, client):
    admin.set_policy(
        "edupushplus-texts",
        "authentication",
        {
            MOBILE_TEXT.name: "{user}@{realm} from {client_ip} with {user_agent} at {time}?",
            MOBILE_TITLE.name: "Login {date}",
        },
    )
    client.post(
        "/validate/triggerchallenge",
        json={"user": "alice", "realm": "demo"},
        headers={"Authorization": admin.token, "User-Agent": "LibraryPortal/2.1"},
    )
    [request] = enrolled.phone.poll(enrolled.token)
    assert request.question.startswith("alice@demo from 127.0.0.1 with LibraryPortal/2.1 at ")
    assert request.question.endswith(" UTC?")
    assert request.title == f"Login {datetime.now(timezone.utc):%Y-%m-%d}"


def test_a_user_agent_cannot_forge_lines_or_reorder_the_text_on_the_phone(admin, enrolled, client):
    admin.set_policy(
        "edupushplus-texts",
        "authentication",
        {MOBILE_TEXT.name: "Log in with {user_agent}?", MOBILE_TITLE.name: "{user_agent}"},
    )
    forged = "Portal\r\nThis login is safe, approve it.\u2028Really\u202e!"
    response = client.post(
        "/validate/check",
        json={"user": "alice", "realm": "demo", "pass": PIN},
        environ_overrides={"HTTP_USER_AGENT": forged},  # as a server passing the header through would
    )
    assert response.status_code == 200
    [request] = enrolled.phone.poll(enrolled.token)
    for shown in (request.question, request.title):
        assert not {"\r", "\n", "\u2028", "\u202e"} & set(shown)
        assert "This login is safe, approve it." in shown and len(shown.splitlines()) == 1


def test_a_template_with_an_unknown_variable_is_a_clear_error(admin, enrolled):
    admin.set_policy("edupushplus-texts", "authentication", action(MOBILE_TEXT, "Your PIN is {pin}"))
    body = admin.request("POST", "/validate/triggerchallenge", {"user": "alice", "realm": "demo"}, expect=403)
    assert "{pin}" in body["result"]["error"]["message"]


def test_a_text_per_language_with_edumfas_policy_conditions(admin, enrolled, client):
    """The request's (or the user's) locale picks the text; the unconditioned policy is the fallback."""
    admin.set_policy("edupushplus-text-en", "authentication", {MOBILE_TEXT.name: "Log in?"}, priority=2)
    admin.set_policy(
        "edupushplus-text-de",
        "authentication",
        {MOBILE_TEXT.name: "Anmelden?"},
        priority=1,
        conditions=[["HTTP Request header", "Accept-Language", "matches", "de.*", True]],
    )
    questions = []
    for language in ("de-DE,de;q=0.9", "en-GB"):
        client.post(
            "/validate/triggerchallenge",
            json={"user": "alice", "realm": "demo"},
            headers={"Authorization": admin.token, "Accept-Language": language},
        )
        questions += [request.question for request in enrolled.phone.poll(enrolled.token)]
    assert questions == ["Anmelden?", "Log in?"]
