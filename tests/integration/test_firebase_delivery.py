"""Delivery through the real firebase-admin SDK to the local FCM stand-in, off the request path."""

import subprocess
import sys
import threading
import time

import pytest

from edupush_token import catalogue, runtime
from edupush_token.catalogue import Config, Info
from edupush_token.devtools.fake_fcm import FakeFCM
from support import PIN, action, host_library, host_store

pytestmark = pytest.mark.both_hosts

GATEWAY = "fcm-test"


def create_gateway(admin, service_account):
    """The host's Firebase gateway ``GATEWAY`` with this service-account key file (created or replaced)."""
    admin.post(
        "/smsgateway",
        {
            "name": GATEWAY,
            "module": host_library().firebase_provider,
            f"option.{catalogue.FIREBASE_SERVICE_ACCOUNT_OPTION}": str(service_account),
        },
    )


@pytest.fixture
def fake_fcm():
    with FakeFCM() as fcm:
        yield fcm


@pytest.fixture
def firebase(app, admin, push_policies, fake_fcm, tmp_path):
    """A Firebase gateway of the host pointing at the stand-in, and the policy that uses it."""
    account = tmp_path / "service-account.json"
    fake_fcm.create_service_account(account)
    app.config[Config.FCM_URL] = fake_fcm.base_url
    app.config[Config.FCM_TIMEOUT] = 1.0
    create_gateway(admin, account)
    admin.set_policy("edupushplus-firebase", "enrollment", action(catalogue.FIREBASE_CONFIG, GATEWAY))
    yield fake_fcm
    runtime.deliveries.wait_idle(15)


@pytest.fixture
def pushed(firebase, start_enrollment, phone):
    """An enrolled token whose phone registered with Firebase."""
    return phone.enroll(phone.scan(start_enrollment()["pushurl"]["value"]))


def delivery_of(app, serial, wait=15.0, until=("sent", "failed", "expired", "skipped")):
    """The latest delivery record of a token once it reached one of ``until``, and the attempt ended."""
    deadline = time.monotonic() + wait
    while True:
        runtime.deliveries.wait_idle(0.2)
        with app.app_context():
            [record, *_] = host_store().recent_deliveries(serial, limit=1)
            if record.delivery_state in until or time.monotonic() > deadline:
                break
    runtime.deliveries.wait_idle(max(0.0, deadline - time.monotonic()))  # its log and audit too
    return record


def test_the_push_reaches_the_phone_with_the_message_the_host_sends(app, pushed, phone, firebase, trigger):
    trigger()
    message = firebase.wait_for_message(pushed.firebase_token, timeout=15)
    assert phone.receive_push(message["data"]) is not None, phone.last_drop_reason
    assert message["notification"] == {"title": catalogue.MOBILE_TITLE.default, "body": catalogue.MOBILE_TEXT.default}
    assert message["android"]["priority"] == "high"
    assert message["android"]["ttl"] == f"{catalogue.DEFAULT_CHALLENGE_VALIDITY}s"
    apns = message["apns"]
    assert apns["headers"]["apns-priority"] == "10"
    assert apns["headers"]["apns-push-type"] == "alert"
    lifetime = int(apns["headers"]["apns-expiration"]) - time.time()
    assert lifetime == pytest.approx(catalogue.DEFAULT_CHALLENGE_VALIDITY, abs=10)
    assert apns["payload"]["aps"]["category"] == "PUSH_AUTHENTICATION"
    record = delivery_of(app, pushed.serial)
    assert (record.delivery_state, record.delivery_attempts) == ("sent", 1)
    assert record.fcm_message_id.startswith("projects/edupush-demo/messages/")
    assert message["data"]["nonce"] == phone.requests[-1].nonce


def test_polls_serve_the_push_exactly_as_it_was_sent(app, pushed, phone, firebase, trigger):
    trigger()
    message = firebase.wait_for_message(pushed.firebase_token, timeout=15)
    assert delivery_of(app, pushed.serial).delivery_state == "sent"
    with app.app_context():
        [stored] = host_store().open_pushes(pushed.serial)
    assert stored.as_dict() == message["data"]  # signed once, by the delivery thread


def test_a_slow_firebase_does_not_delay_the_login_request(app, pushed, firebase, trigger):
    app.config[Config.FCM_TIMEOUT] = 5.0
    firebase.set_latency(send=2.0)
    started = time.monotonic()
    trigger()
    assert time.monotonic() - started < 2.0
    assert delivery_of(app, pushed.serial).delivery_state == "sent"


def test_the_push_is_queued_once_the_logins_request_has_written_its_audit_entry(
    app, pushed, firebase, trigger, monkeypatch
):
    triggers_audited_at_queueing = []
    submit = runtime.deliveries.submit

    def submit_and_look(task, delay=0.0):
        audit = host_library().get_audit(app.config)
        triggers_audited_at_queueing.append(audit.get_count({"action": "POST /validate/triggerchallenge"}))
        return submit(task, delay)

    monkeypatch.setattr(runtime.deliveries, "submit", submit_and_look)
    trigger()
    trigger()
    assert triggers_audited_at_queueing == [1, 2]
    assert runtime.deliveries.wait_idle(15)
    assert [message["status"] for message in firebase.messages] == [200, 200]


def test_a_push_wait_login_sends_its_push_while_it_waits(app, admin, pushed, phone, firebase):
    admin.set_policy("edupushplus-push-wait", "authentication", action(catalogue.WAIT, 20))
    outcome = {}

    def log_in():
        response = app.test_client().post("/validate/check", json={"user": "alice", "realm": "demo", "pass": PIN})
        outcome.update(response.get_json()["result"])

    login = threading.Thread(target=log_in)
    login.start()
    message = firebase.wait_for_message(pushed.firebase_token, timeout=15)
    assert login.is_alive(), "the login returned before its push was answered"
    request = phone.receive_push(message["data"])
    assert request is not None, phone.last_drop_reason
    assert phone.accept(request).status == 200
    login.join(15)
    assert outcome["authentication"] == "ACCEPT"


def test_the_phone_can_poll_even_while_firebase_is_down(app, pushed, phone, firebase, trigger):
    firebase.add_fault("send", error_code="UNAVAILABLE", times=None)
    trigger()
    assert len(phone.poll(pushed)) == 1


@pytest.mark.parametrize(
    "fault",
    [
        {"error_code": "UNAVAILABLE"},
        {"error_code": "INTERNAL"},
        {"error_code": "QUOTA_EXCEEDED"},
        {"hang": 2.0},
    ],
)
def test_transient_failures_are_retried(app, pushed, firebase, trigger, fault):
    firebase.add_fault("send", times=2, **fault)
    trigger()
    record = delivery_of(app, pushed.serial)
    assert (record.delivery_state, record.delivery_attempts) == ("sent", 3)


def test_oauth_token_endpoint_failures_are_retried(app, pushed, firebase, trigger):
    firebase.add_fault("token", status=503, times=3)  # google-auth tries its token request 3 times
    trigger()
    record = delivery_of(app, pushed.serial)
    assert (record.delivery_state, record.delivery_attempts) == ("sent", 2)
    assert len(firebase.token_requests) == 4


def test_retry_after_is_honoured(app, pushed, firebase, trigger):
    firebase.add_fault("send", error_code="QUOTA_EXCEEDED", retry_after="2", times=1)
    trigger()
    record = delivery_of(app, pushed.serial)
    sends = [m for m in firebase.messages if m["token"] == pushed.firebase_token]
    assert record.delivery_state == "sent"
    assert sends[1]["time"] - sends[0]["time"] >= 2.0


def test_the_sdk_does_not_retry_behind_our_back(app, pushed, firebase, trigger):
    firebase.add_fault("send", error_code="UNAVAILABLE", times=1)
    trigger()
    delivery_of(app, pushed.serial)
    statuses = [m["status"] for m in firebase.messages if m["token"] == pushed.firebase_token]
    assert statuses == [503, 200]


def test_no_retry_outlives_the_challenge(app, admin, pushed, firebase, trigger):
    admin.post("/system/setConfig", {Config.CHALLENGE_VALIDITY: "2"})
    firebase.add_fault("send", error_code="UNAVAILABLE", retry_after="5", times=None)
    trigger()
    record = delivery_of(app, pushed.serial)
    time.sleep(2.5)
    assert record.delivery_state == "failed" and "gave up" in record.delivery_detail
    assert len([m for m in firebase.messages if m["token"] == pushed.firebase_token]) == 1


@pytest.mark.parametrize(
    "error_code, cause",
    [
        ("INVALID_ARGUMENT", "InvalidArgumentError"),
        ("SENDER_ID_MISMATCH", "SenderIdMismatchError"),
        ("THIRD_PARTY_AUTH_ERROR", "ThirdPartyAuthError"),
    ],
)
def test_permanent_failures_are_reported_with_their_cause(app, pushed, firebase, trigger, caplog, error_code, cause):
    firebase.add_fault("send", error_code=error_code, times=None)
    trigger()
    record = delivery_of(app, pushed.serial)
    assert record.delivery_state == "failed" and record.delivery_attempts == 1
    assert cause in record.delivery_detail
    assert any(GATEWAY in entry.getMessage() and cause in entry.getMessage() for entry in caplog.records)


def test_bad_credentials_are_reported(app, admin, pushed, firebase, trigger, tmp_path):
    from edupush_token.devtools.fake_fcm import generate_service_account, write_service_account

    stranger = tmp_path / "unknown-account.json"
    write_service_account(stranger, generate_service_account("edupush-demo", firebase.token_uri))
    create_gateway(admin, stranger)
    trigger()
    record = delivery_of(app, pushed.serial)
    assert record.delivery_state == "failed"
    assert "credentials" in record.delivery_detail


def test_unregistered_marks_the_registration_dead_and_a_token_update_revives_it(
    app, admin, pushed, phone, firebase, trigger, tokeninfo
):
    firebase.unregister(pushed.firebase_token)
    trigger()
    assert delivery_of(app, pushed.serial).delivery_state == "failed"
    info = tokeninfo(pushed.serial)["info"]
    assert info[Info.REGISTRATION_STATE] == "unregistered"
    audit = admin.get("/audit/", params={"serial": pushed.serial, "action": "*delivery*"})["result"]["value"][
        "auditdata"
    ]
    assert any("UnregisteredError" in entry["info"] for entry in audit)

    trigger()
    assert delivery_of(app, pushed.serial).delivery_state == "skipped"
    assert len(phone.poll(pushed)) == 2

    assert phone.update_firebase_token(pushed, "fresh-registration").status == 200
    assert Info.REGISTRATION_STATE not in tokeninfo(pushed.serial)["info"]
    trigger()
    assert delivery_of(app, pushed.serial).delivery_state == "sent"
    assert firebase.wait_for_message("fresh-registration", timeout=15)


def test_texts_too_large_for_firebase_are_refused_when_the_challenge_is_built(app, admin, pushed, firebase):
    admin.set_policy("edupushplus-texts", "authentication", action(catalogue.MOBILE_TEXT, "x" * 3900))
    body = admin.request("POST", "/validate/triggerchallenge", {"user": "alice", "realm": "demo"}, expect=400)
    assert "4096" in body["result"]["error"]["message"]
    assert catalogue.MOBILE_TEXT.name in body["result"]["error"]["message"]
    assert firebase.messages == []


def test_synchronous_delivery_puts_the_error_in_the_response(app, admin, pushed, firebase, validate):
    admin.set_policy("edupushplus-sync", "authentication", action(catalogue.SYNCHRONOUS_DELIVERY))
    firebase.add_fault("send", error_code="INVALID_ARGUMENT", times=None)
    _status, body = validate(**{"pass": PIN})
    assert "could not be sent" in body["detail"]["message"]
    status, body = validate(**{"pass": PIN, "exception": "1"})
    assert status == 400
    assert "InvalidArgumentError" in body["result"]["error"]["message"]


def test_synchronous_delivery_sends_before_answering(app, admin, pushed, firebase, validate):
    admin.set_policy("edupushplus-sync", "authentication", action(catalogue.SYNCHRONOUS_DELIVERY))
    _status, body = validate(**{"pass": PIN})
    assert body["result"]["authentication"] == "CHALLENGE"
    assert len([m for m in firebase.messages if m["status"] == 200]) == 1


def sends_to(firebase, pushed):
    return [message for message in firebase.messages if message["token"] == pushed.firebase_token]


def test_retries_stop_once_the_phone_answered_by_polling(app, instance, pushed, phone, firebase, trigger):
    firebase.add_fault("send", error_code="UNAVAILABLE", retry_after="1", times=None)
    trigger()
    deadline = time.monotonic() + 15
    while not sends_to(firebase, pushed) and time.monotonic() < deadline:  # delivery_of would wait the retries out
        time.sleep(0.05)
    [request] = phone.poll(pushed)
    assert phone.accept(request).status == 200
    record = delivery_of(app, pushed.serial, until=("answered",))
    assert record.delivery_state == "answered" and "approved on the phone" in record.delivery_detail
    attempts = len(sends_to(firebase, pushed))
    time.sleep(3)  # several retry delays: the stand-in sees no further attempt
    assert len(sends_to(firebase, pushed)) == attempts == record.delivery_attempts
    shown = subprocess.run(
        [sys.executable, "-m", "edupush_token.cli", "deliveries", "--config", str(instance.config_file)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "answered before delivery" in shown.stdout and "failed" not in shown.stdout
