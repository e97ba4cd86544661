"""The main flows over real HTTP: the host (eduMFA or privacyIDEA) served by a separate process on 127.0.0.1."""

import dataclasses
import threading
import time

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from edupush_token import catalogue
from edupush_token.catalogue import ENDPOINT_PATH, TOKEN_TYPE
from edupush_token.devtools.phone import EmulatedPhone, HttpTransport, PhoneError
from support import PIN, action, fast_enrollment

pytestmark = [pytest.mark.e2e, pytest.mark.both_hosts]


@pytest.fixture
def registration_url(served):
    return served + ENDPOINT_PATH


@pytest.fixture
def policies(served_admin, registration_url):
    served_admin.set_policy(
        "edupushplus-enrollment",
        "enrollment",
        fast_enrollment(registration_url, {catalogue.ENROLL_SSL_VERIFY: 0}),
    )
    served_admin.set_policy("edupushplus-authentication", "authentication", action(catalogue.AUTH_SSL_VERIFY, 0))


@pytest.fixture
def phone():
    return EmulatedPhone(HttpTransport(verify_tls=False), key_size=2048)


@pytest.fixture
def enrolled(served_admin, policies, phone):
    detail = served_admin.post(
        "/token/init", {"type": TOKEN_TYPE, "genkey": 1, "user": "alice", "realm": "demo", "pin": PIN}
    )["detail"]
    pending = phone.scan(detail["pushurl"]["value"])
    assert 400 <= phone.ios_probe(pending).status < 500
    return phone.enroll(pending)


def validate(served, **params):
    response = requests.post(f"{served}/validate/check", data={"user": "alice", "realm": "demo", **params}, timeout=30)
    return response.json()


def test_enroll_challenge_poll_accept_login(served, enrolled, phone, registration_url):
    challenge = validate(served, **{"pass": PIN})
    assert challenge["result"]["authentication"] == "CHALLENGE"
    [request] = phone.poll(enrolled)
    assert request.url == registration_url
    assert phone.accept(request).status == 200
    login = validate(served, **{"pass": "", "transaction_id": challenge["detail"]["transaction_id"]})
    assert login["result"]["authentication"] == "ACCEPT"


def test_decline_over_http(served, enrolled, phone):
    challenge = validate(served, **{"pass": PIN})
    [request] = phone.poll(enrolled)
    assert phone.decline(request).status == 200
    transaction_id = challenge["detail"]["transaction_id"]
    status = requests.get(
        f"{served}/validate/polltransaction", params={"transaction_id": transaction_id}, timeout=30
    ).json()
    assert status["detail"]["challenge_status"] == "declined"


def test_the_unencoded_poll_of_the_app_is_understood(served, enrolled):
    """http.client sends the app's raw query (with '=' padding and ':' unescaped) as is."""
    assert EmulatedPhone(HttpTransport(verify_tls=False)).poll(enrolled) == []


def test_push_wait_over_http(served, served_admin, enrolled, phone):
    served_admin.set_policy("edupushplus-push-wait", "authentication", action(catalogue.WAIT, 20))

    def answer():
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            pushes = phone.poll(enrolled)
            if pushes:
                phone.accept(pushes[0])
                return
            time.sleep(0.1)

    thread = threading.Thread(target=answer)
    thread.start()
    login = validate(served, **{"pass": PIN})
    thread.join()
    assert login["result"]["authentication"] == "ACCEPT"


def test_refusals_over_http_are_json_4xx(served, enrolled, phone):
    response = requests.post(
        served + ENDPOINT_PATH, data={"nonce": "N", "serial": enrolled.serial, "signature": "!!"}, timeout=30
    )
    assert response.status_code == 400
    assert response.json()["result"]["status"] is False
    impostor = dataclasses.replace(enrolled, private_key=rsa.generate_private_key(public_exponent=65537, key_size=2048))
    with pytest.raises(PhoneError) as refused:
        EmulatedPhone(HttpTransport()).poll(impostor)
    assert refused.value.status == 400


def test_the_user_agent_reaches_the_phone_as_one_line_of_utf8(served, served_admin, enrolled, phone):
    """A User-Agent in UTF-8 with a next-line, an escape, a line separator and a bidi override, over a socket.

    (CR and LF cannot travel inside a header; the unit tests cover them.)
    """
    served_admin.set_policy(
        "edupushplus-authentication",
        "authentication",
        f"{action(catalogue.AUTH_SSL_VERIFY, 0)}, {action(catalogue.MOBILE_TEXT, 'Log in from {user_agent}?')}",
    )
    user_agent = "Browser f\u00fcr Alice\u0085Approve: yes \x1b[2J\u202eon\u2028".encode()
    response = requests.post(
        f"{served}/validate/check",
        data={"user": "alice", "realm": "demo", "pass": PIN},
        headers={"User-Agent": user_agent},
        timeout=30,
    )
    assert response.json()["result"]["authentication"] == "CHALLENGE"
    [request] = phone.poll(enrolled)
    assert request.question.startswith("Log in from Browser f\u00fcr Alice")
    assert not {"\u0085", "\x1b", "\u202e", "\u2028"} & set(request.question)
