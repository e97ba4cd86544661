"""The local FCM stand-in, driven by the real, unmodified firebase-admin SDK over real HTTP.

Observed SDK behaviour these tests pin down (firebase-admin 7.7, google-auth 2.47,
urllib3 2.6), which the fake's N-times faults have to take into account:

* 500 and 503: the SDK sends 5 requests per ``messaging.send`` (urllib3 ``status=4``),
  sleeping 0, 1, 2, 4 s between them, or the ``Retry-After`` seconds instead.
* 429 without ``Retry-After``: no retry.  429 *with* ``Retry-After``: retried after
  that many seconds (urllib3 honours it for 413/429/503 even outside its status list).
* 401: google-auth fetches a new access token and re-sends, twice (3 sends, 2 token requests).
* A read timeout is retried once (urllib3 ``read=1``), so a hung request may be
  delivered twice; two timeouts surface as ``UnavailableError`` ("Failed to
  establish a connection ... Read timed out"), not ``DeadlineExceededError``.
"""

from __future__ import annotations

import base64
import json
import signal
import subprocess
import sys
import threading
import time
import uuid

import firebase_admin
import google.auth.exceptions
import pytest
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from firebase_admin import credentials, exceptions, messaging

from edupush_token.commands.fake_fcm import prepare_service_account
from edupush_token.devtools.fake_fcm import (
    FakeFCM,
    FakeFCMControl,
    generate_private_key_pem,
    generate_service_account,
    write_service_account,
)
from edupush_token.devtools.fake_fcm.accounts import GOOGLE_TOKEN_URI

pytestmark = pytest.mark.filterwarnings("ignore:Message.token is deprecated:DeprecationWarning")

PROJECT = "edupush-demo"
REG_TOKEN = "reg-token-1"


@pytest.fixture(scope="module")
def key_pem():
    """One RSA key for the module's service accounts: generating one per test costs ~50 ms."""
    return generate_private_key_pem()


@pytest.fixture
def fcm():
    with FakeFCM() as fake:
        yield fake


@pytest.fixture
def service_account(fcm, tmp_path, key_pem):
    path = tmp_path / "service-account.json"
    fcm.create_service_account(path, project_id=PROJECT, private_key_pem=key_pem)
    return path


@pytest.fixture
def make_gateway(fcm):
    """A firebase_admin App on a service-account file, its FCM URL pointed at the fake."""
    apps = []

    def make(path, send_project=None, http_timeout=5):
        app = firebase_admin.initialize_app(
            credentials.Certificate(str(path)), name=f"gw-{uuid.uuid4().hex}", options={"httpTimeout": http_timeout}
        )
        apps.append(app)
        service = messaging._get_messaging_service(app)
        service._fcm_url = f"{fcm.base_url}/v1/projects/{send_project or app.project_id}/messages:send"
        return app

    yield make
    for app in apps:
        firebase_admin.delete_app(app)


@pytest.fixture
def gateway(make_gateway, service_account):
    return make_gateway(service_account)


def send(app, token=REG_TOKEN, **data):
    return messaging.send(messaging.Message(token=token, data=data or {"a": "b"}), app=app)


def gaps(records):
    times = [record["time"] for record in records]
    return [later - earlier for earlier, later in zip(times, times[1:])]


# --------------------------------------------------------------------------- delivery


def test_delivers_and_records_the_message_as_sent(fcm, gateway):
    data = {
        "nonce": "N",
        "url": "https://edumfa.example.org/ttype/edupushplus",
        "serial": "PIPU1",
        "title": "Log in?",
        "question": "Alice wants to log in",
        "sslverify": "1",
        "signature": "ABC",
    }
    message = messaging.Message(
        token=REG_TOKEN,
        data=data,
        notification=messaging.Notification(title=data["title"], body=data["question"]),
        android=messaging.AndroidConfig(priority="high", ttl=120),
        apns=messaging.APNSConfig(
            headers={"apns-priority": "10", "apns-push-type": "alert", "apns-expiration": "1700000120"},
            payload=messaging.APNSPayload(aps=messaging.Aps(category="PUSH_AUTHENTICATION")),
        ),
    )

    name = messaging.send(message, app=gateway)

    assert name.startswith(f"projects/{PROJECT}/messages/0:")
    assert fcm.wait_for_message(REG_TOKEN, timeout=2) == {
        "token": REG_TOKEN,
        "data": data,
        "notification": {"title": "Log in?", "body": "Alice wants to log in"},
        "android": {"priority": "high", "ttl": "120s"},
        "apns": {
            "headers": {"apns-priority": "10", "apns-push-type": "alert", "apns-expiration": "1700000120"},
            "payload": {"aps": {"category": "PUSH_AUTHENTICATION"}},
        },
    }
    [record] = fcm.messages
    assert (record["project"], record["status"], record["name"], record["delivered"]) == (PROJECT, 200, name, True)
    with pytest.raises(TimeoutError):  # each delivered message is handed out once
        fcm.wait_for_message(REG_TOKEN, timeout=0.1)


def test_wait_for_message_blocks_until_a_send_arrives(fcm, gateway):
    threading.Timer(0.2, send, args=(gateway,), kwargs={"late": "yes"}).start()
    assert fcm.wait_for_message(REG_TOKEN, timeout=5)["data"] == {"late": "yes"}


def test_dry_run_validates_without_delivering(fcm, gateway):
    name = messaging.send(messaging.Message(token=REG_TOKEN, data={"a": "b"}), dry_run=True, app=gateway)
    assert name == f"projects/{PROJECT}/messages/fake_message_id"
    assert fcm.delivered() == []


# --------------------------------------------------------------------------- OAuth


def test_a_forged_key_for_a_known_account_is_refused(fcm, make_gateway, service_account, tmp_path):
    forged = json.loads(service_account.read_text())
    forged["private_key"] = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        .decode()
    )
    write_service_account(tmp_path / "forged.json", forged)

    with pytest.raises(google.auth.exceptions.RefreshError, match="invalid_grant: Invalid JWT Signature"):
        send(make_gateway(tmp_path / "forged.json"))
    assert [(r["status"], r["error"]) for r in fcm.token_requests] == [(400, "invalid_grant: Invalid JWT Signature.")]
    assert fcm.messages == []


def test_an_account_the_fake_does_not_know_is_refused(fcm, make_gateway, tmp_path, key_pem):
    write_service_account(tmp_path / "stranger.json", generate_service_account(PROJECT, fcm.token_uri, key_pem))
    with pytest.raises(google.auth.exceptions.RefreshError, match="account not found"):
        send(make_gateway(tmp_path / "stranger.json"))


def test_a_trusted_existing_file_works(fcm, make_gateway, tmp_path, key_pem):
    write_service_account(tmp_path / "existing.json", generate_service_account("other-project", fcm.token_uri, key_pem))
    fcm.trust_service_account(tmp_path / "existing.json")
    send(make_gateway(tmp_path / "existing.json"))
    assert fcm.messages[0]["project"] == "other-project"


def test_an_access_token_of_project_a_is_refused_on_project_b(fcm, make_gateway, tmp_path, key_pem):
    fcm.create_service_account(tmp_path / "a.json", project_id="project-a", private_key_pem=key_pem)
    with pytest.raises(messaging.SenderIdMismatchError, match="SenderId mismatch"):
        send(make_gateway(tmp_path / "a.json", send_project="project-b"))
    assert fcm.messages[0]["project"] == "project-b"


def _jwt(info, **claims):
    key = serialization.load_pem_private_key(info["private_key"].encode(), password=None)
    now = int(time.time())
    payload = {
        "iss": info["client_email"],
        "aud": "https://oauth2.googleapis.com/token",
        "iat": now,
        "exp": now + 3600,
        "scope": "https://www.googleapis.com/auth/firebase.messaging",
        **claims,
    }
    encode = lambda part: base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()  # noqa: E731
    signing_input = f"{encode({'alg': 'RS256', 'typ': 'JWT', 'kid': info['private_key_id']})}.{encode(payload)}"
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


@pytest.mark.parametrize(
    "grant_type, claims, error, description",
    [
        (
            "urn:ietf:params:oauth:grant-type:jwt-bearer",
            {"aud": "https://evil.example/token"},
            "invalid_grant",
            "Failed audience check",
        ),
        (
            "urn:ietf:params:oauth:grant-type:jwt-bearer",
            {"exp": int(time.time()) + 7200},
            "invalid_grant",
            "short-lived token",
        ),
        (
            "urn:ietf:params:oauth:grant-type:jwt-bearer",
            {"iat": int(time.time()) - 7200, "exp": int(time.time()) - 3600},
            "invalid_grant",
            "short-lived token",
        ),
        (
            "urn:ietf:params:oauth:grant-type:jwt-bearer",
            {"iss": "someone@else.iam.gserviceaccount.com"},
            "invalid_grant",
            "account not found",
        ),
        ("client_credentials", {}, "unsupported_grant_type", "Invalid grant_type"),
    ],
)
def test_the_token_endpoint_checks_the_grant(fcm, tmp_path, key_pem, grant_type, claims, error, description):
    info = fcm.create_service_account(tmp_path / "sa.json", private_key_pem=key_pem)
    answer = requests.post(fcm.token_uri, data={"grant_type": grant_type, "assertion": _jwt(info, **claims)}, timeout=5)
    assert answer.status_code == 400
    assert answer.json()["error"] == error and description in answer.json()["error_description"]


def test_the_token_endpoint_grants_a_bearer_token_that_send_accepts(fcm, tmp_path, key_pem):
    info = fcm.create_service_account(tmp_path / "sa.json", private_key_pem=key_pem)
    grant = requests.post(
        fcm.token_uri,
        data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": _jwt(info, aud=fcm.token_uri)},
        timeout=5,
    )
    assert grant.status_code == 200
    assert set(grant.json()) == {"access_token", "expires_in", "token_type"}
    assert (grant.json()["expires_in"], grant.json()["token_type"]) == (3600, "Bearer")
    message = {"message": {"token": REG_TOKEN, "data": {"a": "b"}}}
    sent = requests.post(
        fcm.send_url(), json=message, timeout=5, headers={"Authorization": f"Bearer {grant.json()['access_token']}"}
    )
    assert sent.status_code == 200


@pytest.mark.parametrize(
    "authorization, reason",
    [
        (None, "CREDENTIALS_MISSING"),
        ("Bearer ya29.not-issued-here", "ACCESS_TOKEN_TYPE_UNSUPPORTED"),
    ],
)
def test_send_without_a_valid_bearer_is_unauthenticated(fcm, authorization, reason):
    headers = {"Authorization": authorization} if authorization else {}
    answer = requests.post(fcm.send_url(), json={"message": {"token": REG_TOKEN}}, headers=headers, timeout=5)
    assert answer.status_code == 401
    error = answer.json()["error"]
    assert (error["code"], error["status"], error["details"][0]["reason"]) == (401, "UNAUTHENTICATED", reason)
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")


# --------------------------------------------------------------------------- validation


def test_a_data_value_that_is_not_a_string_gets_fcms_exact_answer(fcm, gateway):
    # The SDK refuses non-string values itself, so this goes around it with the SDK's own access token.
    access_token = gateway.credential.get_access_token().access_token
    answer = requests.post(
        fcm.send_url(),
        json={"message": {"token": REG_TOKEN, "data": {"a": "b", "n": 12}}},
        headers={"Authorization": f"Bearer {access_token}"},
        timeout=5,
    )
    assert answer.status_code == 400
    assert answer.json() == {
        "error": {
            "code": 400,
            "message": "Invalid value at 'message.data[1].value' (TYPE_STRING), 12",
            "status": "INVALID_ARGUMENT",
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.BadRequest",
                    "fieldViolations": [
                        {
                            "field": "message.data[1].value",
                            "description": "Invalid value at 'message.data[1].value' (TYPE_STRING), 12",
                        }
                    ],
                }
            ],
        }
    }


def test_a_message_without_recipient_is_an_invalid_argument(fcm, gateway):
    access_token = gateway.credential.get_access_token().access_token
    answer = requests.post(
        fcm.send_url(),
        json={"message": {"data": {"a": "b"}}},
        headers={"Authorization": f"Bearer {access_token}"},
        timeout=5,
    )
    assert (answer.status_code, answer.json()["error"]["status"]) == (400, "INVALID_ARGUMENT")


def test_data_over_4096_utf8_bytes_is_too_big(fcm, gateway):
    filler = "é" * ((4096 - len("k")) // 2) + "x"  # keys and values count in UTF-8 bytes: exactly 4096
    send(gateway, k=filler)
    with pytest.raises(exceptions.InvalidArgumentError, match="message is too big") as raised:
        send(gateway, k=filler + "x")
    assert raised.value.http_response.json()["error"]["details"][-1]["errorCode"] == "INVALID_ARGUMENT"
    assert [record["status"] for record in fcm.messages] == [200, 400]


def test_an_unregistered_token_is_not_found(fcm, gateway):
    send(gateway)
    fcm.unregister(REG_TOKEN)
    with pytest.raises(messaging.UnregisteredError, match="Requested entity was not found"):
        send(gateway)
    send(gateway, token="another-token")


# --------------------------------------------------------------------------- faults


@pytest.mark.parametrize(
    "error_code, times, exception, sends, token_requests",
    [
        ("UNREGISTERED", 1, messaging.UnregisteredError, 1, 1),
        ("QUOTA_EXCEEDED", 1, messaging.QuotaExceededError, 1, 1),
        ("SENDER_ID_MISMATCH", 1, messaging.SenderIdMismatchError, 1, 1),
        ("INVALID_ARGUMENT", 1, exceptions.InvalidArgumentError, 1, 1),
        # google-auth answers a 401 by fetching a new access token and re-sending, twice.
        ("THIRD_PARTY_AUTH_ERROR", 3, messaging.ThirdPartyAuthError, 3, 3),
    ],
)
def test_a_fault_raises_the_sdks_exception(fcm, gateway, error_code, times, exception, sends, token_requests):
    fcm.add_fault("send", error_code=error_code, times=times)
    with pytest.raises(exception) as raised:
        send(gateway)
    assert raised.value.http_response.json()["error"]["details"] == [
        {"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": error_code}
    ]
    assert len(fcm.messages) == sends and len(fcm.token_requests) == token_requests
    send(gateway)  # the fault is used up


def test_a_single_401_is_absorbed_by_a_token_refresh(fcm, gateway):
    fcm.add_fault("send", status=401)
    send(gateway)
    assert [record["status"] for record in fcm.messages] == [401, 200]
    assert len(fcm.token_requests) == 2


@pytest.mark.parametrize("status, exception", [(503, exceptions.UnavailableError), (500, exceptions.InternalError)])
def test_the_sdk_sends_five_times_on_5xx_and_honours_retry_after(fcm, gateway, status, exception):
    fcm.add_fault("send", status=status)  # backoff 0 s after this one
    fcm.add_fault("send", status=status, times=4, retry_after="1")  # 1 s each instead of 1, 2, 4 s
    fcm.add_fault("send", status=status)  # never reached
    with pytest.raises(exception) as raised:
        send(gateway)
    assert raised.value.http_response.headers["Retry-After"] == "1"
    records = fcm.messages
    assert [record["status"] for record in records] == [status] * 5
    first, *with_retry_after = gaps(records)
    assert first < 0.5
    assert all(0.95 <= gap < 1.8 for gap in with_retry_after), with_retry_after
    assert len(fcm.pending_faults()["send"]) == 1


@pytest.mark.parametrize("status, retry_after, minimum_gap", [(503, None, 0.0), (429, "1", 0.95)])
def test_a_single_retryable_fault_is_absorbed_by_the_sdk(fcm, gateway, status, retry_after, minimum_gap):
    fcm.add_fault("send", status=status, retry_after=retry_after)
    send(gateway)
    records = fcm.messages
    assert [record["status"] for record in records] == [status, 200]
    assert minimum_gap <= gaps(records)[0] < minimum_gap + 0.5


def test_a_429_without_retry_after_is_not_retried(fcm, gateway):
    fcm.add_fault("send", status=429, times=2)
    with pytest.raises(messaging.QuotaExceededError):
        send(gateway)
    assert len(fcm.messages) == 1


def test_a_hang_longer_than_the_http_timeout_fails_after_one_retry(fcm, make_gateway, service_account):
    gateway = make_gateway(service_account, http_timeout=0.5)
    send(gateway)  # fetch the access token first
    fcm.add_fault("send", hang=3, times=2)
    started = time.monotonic()
    with pytest.raises(exceptions.UnavailableError, match="Read timed out") as raised:
        send(gateway)
    assert time.monotonic() - started < 2.5
    assert isinstance(raised.value.cause, requests.exceptions.ConnectionError)
    assert [record["status"] for record in fcm.messages] == [200, None, None]  # both still hanging


def test_a_timed_out_send_can_be_delivered_twice(fcm, make_gateway, service_account):
    gateway = make_gateway(service_account, http_timeout=0.5)
    fcm.add_fault("send", hang=1)
    send(gateway, n="1")  # the retry succeeds at once ...
    assert fcm.wait_for_message(REG_TOKEN, timeout=2)["data"] == {"n": "1"}
    assert fcm.wait_for_message(REG_TOKEN, timeout=2)["data"] == {"n": "1"}  # ... and the hung one lands later


def test_a_token_endpoint_fault_reaches_the_caller(fcm, gateway):
    fcm.add_fault("token", status=400)
    with pytest.raises(google.auth.exceptions.RefreshError, match="invalid_grant"):
        send(gateway)
    send(gateway)


def test_latency_is_added_to_send_and_token_requests(fcm, gateway):
    fcm.set_latency(send=0.3, token=0.2)
    started = time.monotonic()
    send(gateway)  # token request + send
    first = time.monotonic() - started
    started = time.monotonic()
    send(gateway)  # the access token is cached
    second = time.monotonic() - started
    assert first >= 0.5 and second >= 0.3
    assert second < first


# --------------------------------------------------------------------------- control API


def test_the_http_control_api_steers_and_reads_the_fake(fcm, gateway):
    control = FakeFCMControl(fcm.base_url)
    assert control.health()["token_uri"] == fcm.token_uri

    send(gateway, token="phone-a", n="1")
    send(gateway, token="phone-b", n="2")
    [mine] = control.messages("phone-a")
    assert (mine["message"]["data"], mine["status"]) == ({"n": "1"}, 200)
    assert control.messages("phone-a", after=mine["seq"]) == []

    threading.Timer(0.2, send, args=(gateway, "phone-a"), kwargs={"n": "3"}).start()
    [later] = control.messages("phone-a", after=mine["seq"], wait=5)
    assert later["message"]["data"] == {"n": "3"}

    control.add_fault("send", error_code="QUOTA_EXCEEDED")
    assert fcm.pending_faults()["send"][0]["error_code"] == "QUOTA_EXCEEDED"
    with pytest.raises(messaging.QuotaExceededError):
        send(gateway, token="phone-a")
    assert [m["status"] for m in control.messages("phone-a", after=later["seq"], include_failed=True)] == [429]

    control.unregister("phone-b")
    with pytest.raises(messaging.UnregisteredError):
        send(gateway, token="phone-b")
    assert control.stats()["send_by_status"] == {"200": 3, "429": 1, "404": 1}

    control.set_latency(send=0.25)
    assert fcm.latency["send"] == 0.25
    control.reset()
    assert fcm.messages == [] and fcm.latency["send"] == 0.0
    send(gateway, token="phone-b")


def test_the_control_api_trusts_a_service_account_of_another_process(fcm, make_gateway, tmp_path, key_pem):
    write_service_account(tmp_path / "sa.json", generate_service_account(PROJECT, fcm.token_uri, key_pem))
    FakeFCMControl(fcm.base_url).trust_service_account(tmp_path / "sa.json")
    send(make_gateway(tmp_path / "sa.json"))


# --------------------------------------------------------------------------- command line


def test_the_command_serves_until_sigterm(make_gateway, tmp_path):
    path = tmp_path / "cli" / "service-account.json"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "edupush_token.cli",
            "fake-fcm",
            "--port",
            "0",
            "--service-account",
            str(path),
            "--project",
            "cli-project",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = []
        reader = threading.Thread(target=lambda: lines.extend(iter(server.stdout.readline, "")), daemon=True)
        reader.start()
        deadline = time.monotonic() + 15
        while not any(line.startswith("Press Ctrl-C") for line in lines):
            assert time.monotonic() < deadline and server.poll() is None, "".join(lines)
            time.sleep(0.05)
        base_url = next(line for line in lines if line.startswith("Fake FCM serving at ")).split()[-1]

        info = json.loads(path.read_text())
        assert (info["type"], info["project_id"], info["token_uri"]) == (
            "service_account",
            "cli-project",
            f"{base_url}/token",
        )
        gateway = make_gateway(path)
        service = messaging._get_messaging_service(gateway)
        service._fcm_url = f"{base_url}/v1/projects/cli-project/messages:send"
        send(gateway, n="cli")
        [record] = FakeFCMControl(base_url).messages(REG_TOKEN)
        assert record["message"]["data"] == {"n": "cli"}

        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=5) == 0
        reader.join(timeout=2)
        assert "Fake FCM stopped." in "".join(lines)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def test_the_command_never_touches_a_real_service_account(fcm, tmp_path, key_pem):
    """A real key's token_uri pointed at loopback would break the production pushes that use it."""
    real = tmp_path / "production-key.json"
    write_service_account(real, generate_service_account(PROJECT, GOOGLE_TOKEN_URI, key_pem))
    before = real.read_bytes()
    with pytest.raises(ValueError, match="is a real service account .* left as it is"):
        prepare_service_account(fcm, real, None)
    assert real.read_bytes() == before


def test_the_command_reuses_a_file_a_stand_in_at_its_address_wrote(fcm, tmp_path, key_pem):
    earlier = tmp_path / "earlier.json"
    write_service_account(earlier, generate_service_account(PROJECT, fcm.token_uri, key_pem))
    before = earlier.read_bytes()
    info, how = prepare_service_account(fcm, earlier, None)
    assert how == "reused"
    assert info["token_uri"] == fcm.token_uri
    assert earlier.read_bytes() == before


def test_the_command_never_rewrites_a_file_written_for_another_port(fcm, tmp_path, key_pem):
    """Another stand-in (or a demo) may still read that file: the command refuses and names the port."""
    earlier = tmp_path / "earlier.json"
    write_service_account(earlier, generate_service_account(PROJECT, "http://127.0.0.1:9/token", key_pem))
    before = earlier.read_bytes()
    with pytest.raises(ValueError, match=r"written for a stand-in at 127\.0\.0\.1:9 .*--port 9"):
        prepare_service_account(fcm, earlier, None)
    assert earlier.read_bytes() == before
