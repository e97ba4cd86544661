"""push_wait logins waiting while PostgreSQL restarts: gunicorn gthread workers, an emulated phone, real HTTP.

The database is stopped ("fast": every connection is cut) for a few seconds
while five logins wait.  None of them may end in HTTP 500: the waits keep
re-checking until the database is back, then end as the phone decides.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from edupush_token import catalogue
from edupush_token.catalogue import ENDPOINT_PATH, ENGINE_OPTIONS, POOL_PRE_PING, TOKEN_TYPE, Config
from edupush_token.devtools.local_instance import DEMO_REALM
from edupush_token.devtools.phone import EmulatedPhone, HttpTransport
from edupush_token.service import push_wait
from support import PERMISSIVE_LIMITS, PIN, actions, fast_enrollment
from support.postgres import ThrowawayPostgres

pytestmark = pytest.mark.e2e

USER = "alice"
WAITING_LOGINS = 5  # on one token: catalogue.MAX_OPEN allows up to 10 open requests
OUTAGE_SECONDS = 3
LONG_WAIT_SECONDS = 25  # outlasts the outage, so the phone can answer afterwards
SHORT_WAIT_SECONDS = 8  # ends after the database is back, unanswered
THREADS = 8
HTTP_TIMEOUT = 60
SETTLE_SECONDS = 20  # for the phone's first login and for the waits to start


@pytest.fixture(scope="module")
def postgres_server(postgres_programs):
    """This module's own server: stopping the session's shared one would disturb other tests."""
    with ThrowawayPostgres() as server:
        yield server


@pytest.fixture
def engine_options(request) -> dict:
    """eduMFA's SQLAlchemy engine options: with ``pool_pre_ping`` as the docs recommend, unless parametrized."""
    return getattr(request, "param", {POOL_PRE_PING: True})


@pytest.fixture
def served(make_postgres_instance, gunicorn, engine_options):
    """Two gthread workers, each able to hold all five waits and still serve the phone."""
    instance = make_postgres_instance(**{Config.PUSH_WAIT_SLOTS: WAITING_LOGINS, ENGINE_OPTIONS: engine_options})
    with gunicorn(instance.directory, workers=2, threads=THREADS) as url:
        yield url, instance


@pytest.fixture
def admin(served, admin_over_http):
    url, instance = served
    admin = admin_over_http(url, instance)
    admin.set_policy("edupushplus-enrollment", "enrollment", fast_enrollment(url + ENDPOINT_PATH))
    admin.set_policy("edupushplus-limits", "authentication", actions(PERMISSIVE_LIMITS))
    return admin


@pytest.fixture
def phone():
    return EmulatedPhone(HttpTransport(timeout=HTTP_TIMEOUT), key_size=2048)


@pytest.fixture
def token(served, admin, phone):
    """Enrolled and used once: eduMFA's first successful login of a token must not run concurrently."""
    url, _instance = served
    detail = admin.post(
        "/token/init", {"type": TOKEN_TYPE, "genkey": 1, "user": USER, "realm": DEMO_REALM, "pin": PIN}
    )["detail"]
    token = phone.enroll(phone.scan(detail["pushurl"]["value"]))
    set_wait(admin, LONG_WAIT_SECONDS)
    with ThreadPoolExecutor(1) as pool:
        first_login = pool.submit(check, url)
        accept(phone, token, 1)
        assert first_login.result()[:2] == (200, "ACCEPT")
    return token


def set_wait(admin, seconds: int) -> None:
    admin.set_policy("edupushplus-push-wait", "authentication", actions({catalogue.WAIT: seconds}))


def check(url) -> tuple:
    """A push_wait login: (HTTP status, authentication, eduMFA's message)."""
    response = requests.post(
        f"{url}/validate/check", data={"user": USER, "realm": DEMO_REALM, "pass": PIN}, timeout=HTTP_TIMEOUT
    )
    body = response.json()
    return response.status_code, body["result"].get("authentication"), (body.get("detail") or {}).get("message")


def accept(phone, token, count: int) -> None:
    """The phone polls until it has accepted ``count`` pushes."""
    deadline = time.monotonic() + SETTLE_SECONDS
    accepted = 0
    while accepted < count:
        assert time.monotonic() < deadline, f"the phone saw {accepted} of {count} pushes"
        for request in phone.poll(token):
            assert phone.accept(request).status == 200
            accepted += 1
        time.sleep(0.1)


def wait_until_open(admin, serial: str, count: int) -> None:
    deadline = time.monotonic() + SETTLE_SECONDS
    while len(admin.get(f"/token/challenges/{serial}")["result"]["value"]["challenges"]) < count:
        assert time.monotonic() < deadline, "the logins sent no pushes"
        time.sleep(0.1)


def logins_through_an_outage(url, admin, postgres_server, serial: str, after_outage) -> list:
    """Five push_wait logins; once all wait, the database stops for a while; then ``after_outage()``."""
    with ThreadPoolExecutor(WAITING_LOGINS) as pool:
        logins = [pool.submit(check, url) for _login in range(WAITING_LOGINS)]
        wait_until_open(admin, serial, WAITING_LOGINS)
        with postgres_server.stopped():
            time.sleep(OUTAGE_SECONDS)
        after_outage()
        return [login.result() for login in logins]


@pytest.mark.parametrize(
    "engine_options",
    [{POOL_PRE_PING: True}, {}],
    ids=["pool_pre_ping", "stale pooled connections"],  # without it, a wait's re-check finds its connection cut
    indirect=True,
)
def test_waiting_logins_outlive_a_database_restart_and_accept_the_later_answer(
    served, admin, phone, token, postgres_server
):
    url, _instance = served
    outcomes = logins_through_an_outage(
        url, admin, postgres_server, token.serial, lambda: accept(phone, token, WAITING_LOGINS)
    )
    assert [outcome[:2] for outcome in outcomes] == [(200, "ACCEPT")] * WAITING_LOGINS, outcomes


def test_unanswered_logins_through_a_database_restart_end_in_reject_not_in_an_error(
    served, admin, token, postgres_server
):
    url, _instance = served
    set_wait(admin, SHORT_WAIT_SECONDS)
    outcomes = logins_through_an_outage(url, admin, postgres_server, token.serial, lambda: None)
    assert outcomes == [(200, "REJECT", push_wait.UNANSWERED)] * WAITING_LOGINS, outcomes
    failcount = admin.get("/token/", params={"serial": token.serial})["result"]["value"]["tokens"][0]["failcount"]
    assert failcount == 0
