"""push_wait as a legacy application meets it over HTTP: gunicorn gthread on SQLite, an emulated phone.

Every push_wait login ends in ACCEPT or in a REJECT that says why; none that
the user could not help (unanswered, declined, refused by a limit) counts as a
failed authentication, so no burst of them can lock the user out.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from edupush_token import catalogue
from edupush_token.catalogue import ENDPOINT_PATH, TOKEN_TYPE, Config
from edupush_token.devtools.local_instance import DEMO_REALM
from edupush_token.devtools.phone import EmulatedPhone, HttpTransport
from edupush_token.lifecycle import utc_now
from edupush_token.limits import PushHistory, PushLimits, check_push
from edupush_token.service import push_wait
from support import PIN, actions, fast_enrollment

pytestmark = pytest.mark.e2e

USER = "alice"
WAIT_SECONDS = 3
HTTP_TIMEOUT = 60
MAX_FAIL = 10  # eduMFA's default failcounter limit
THREADS = 4


@pytest.fixture
def server(instance, gunicorn):
    """One gthread worker, two of its four handlers for waits."""
    instance.update_setting(Config.PUSH_WAIT_SLOTS, 2)
    with gunicorn(instance.directory, workers=1, threads=THREADS) as url:
        yield url


@pytest.fixture
def admin(server, instance, admin_over_http):
    admin = admin_over_http(server, instance)
    admin.set_policy(
        "edupushplus-enrollment",
        "enrollment",
        fast_enrollment(server + ENDPOINT_PATH, {catalogue.ENROLL_SSL_VERIFY: 0}),
    )
    admin.set_policy(
        "edupushplus-authentication",
        "authentication",
        actions(
            {
                catalogue.WAIT: WAIT_SECONDS,
                catalogue.AUTH_SSL_VERIFY: 0,
                catalogue.MAX_OPEN: 1,
                catalogue.MIN_INTERVAL: catalogue.MIN_INTERVAL.low,
                catalogue.MAX_PER_HOUR: catalogue.MAX_PER_HOUR.high,
            }
        ),
    )
    return admin


@pytest.fixture
def phone():
    return EmulatedPhone(HttpTransport(timeout=HTTP_TIMEOUT), key_size=2048)


@pytest.fixture
def token(admin, phone):
    detail = admin.post(
        "/token/init", {"type": TOKEN_TYPE, "genkey": 1, "user": USER, "realm": DEMO_REALM, "pin": PIN}
    )["detail"]
    return phone.enroll(phone.scan(detail["pushurl"]["value"]))


def check(server, password=PIN) -> dict:
    response = requests.post(
        f"{server}/validate/check",
        data={"user": USER, "realm": DEMO_REALM, "pass": password},
        timeout=HTTP_TIMEOUT,
    )
    assert response.status_code == 200, response.text
    return response.json()


def failcount(admin, serial) -> int:
    return int(admin.get("/token/", params={"serial": serial})["result"]["value"]["tokens"][0]["failcount"])


def answer_next_push(phone, token, answer: str) -> threading.Thread:
    """The phone polls until a push arrives, then accepts or declines it."""

    def run():
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            pushes = phone.poll(token)
            if pushes:
                getattr(phone, answer)(pushes[0])
                return
            time.sleep(0.1)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def assert_rejected(body: dict, message: str) -> None:
    assert body["result"]["authentication"] == "REJECT", body
    assert body["detail"]["message"] == message


def open_request_refusal() -> str:
    """The open-request limit's own words, as the limits module writes them."""
    refusal = check_push(PushLimits(max_open=1), PushHistory(pushes=[], declines=[], open_on_token=1), utc_now())
    assert refusal is not None
    return refusal.message


def test_each_outcome_has_its_own_message_and_none_is_a_failed_authentication(server, admin, phone, token):
    assert_rejected(check(server), push_wait.UNANSWERED)

    decliner = answer_next_push(phone, token, "decline")
    assert_rejected(check(server), push_wait.DECLINED)
    decliner.join()

    admin.post("/validate/triggerchallenge", {"serial": token.serial})  # one request open: the limit refuses
    assert_rejected(check(server), open_request_refusal())

    assert failcount(admin, token.serial) == 0
    assert check(server, "wrong")["result"]["authentication"] == "REJECT"  # a wrong PIN still counts
    assert failcount(admin, token.serial) == 1


def test_a_burst_of_refused_logins_cannot_lock_the_user_out(server, admin, phone, token):
    with ThreadPoolExecutor(max_workers=1) as waiting:
        unanswered = waiting.submit(check, server)
        deadline = time.monotonic() + WAIT_SECONDS
        while not admin.get(f"/token/challenges/{token.serial}")["result"]["value"]["challenges"]:
            assert time.monotonic() < deadline, "the first login sent no push"
            time.sleep(0.05)
        refused = [check(server) for _retry in range(MAX_FAIL + 2)]
        assert_rejected(unanswered.result(), push_wait.UNANSWERED)
    for body in refused:
        assert_rejected(body, open_request_refusal())
    assert failcount(admin, token.serial) == 0

    accepter = answer_next_push(phone, token, "accept")
    body = check(server)
    accepter.join()
    assert body["result"]["authentication"] == "ACCEPT", body


def test_wrong_pins_never_take_a_wait_slot(server, admin, instance, phone, token):
    """A flood of wrong-PIN logins for the user leaves the genuine push_wait logins their slots."""
    admin.post("/system/setConfig", {"IncFailCountOnFalsePin": "False"})  # wrong PINs lock only when told to
    stop = threading.Event()

    def flood():
        while not stop.is_set():
            check(server, "wrong")

    flooders = [threading.Thread(target=flood) for _thread in range(THREADS - 2)]
    for flooder in flooders:
        flooder.start()
    try:
        outcomes = []
        for _login in range(3):
            accepter = answer_next_push(phone, token, "accept")
            outcomes.append(check(server)["result"]["authentication"])
            accepter.join()
    finally:
        stop.set()
        for flooder in flooders:
            flooder.join()
    assert outcomes == ["ACCEPT"] * 3
