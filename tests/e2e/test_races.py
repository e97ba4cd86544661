"""Races over real HTTP, on gunicorn's threads and processes, on SQLite and PostgreSQL.

Concurrent logins of one user must not get past the open-requests limit
together, and two phones that scan one enrollment QR code must not both
enroll, nor break the enrollment, nor spend two pooled server keys.
Every request is released at once by a barrier; nothing is timed except a
guard against hanging.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import sqlalchemy

from edupush_token import catalogue
from edupush_token.catalogue import ENDPOINT_PATH, TOKEN_TYPE, Config, RolloutState
from edupush_token.devtools.local_instance import DATABASE_FILE, DEMO_REALM
from edupush_token.devtools.phone import EmulatedPhone, HttpTransport, PhoneError
from edupush_token.storage.schema import server_key
from support import FAST_SERVER_KEY_SIZE, PIN, actions, fast_enrollment

pytestmark = [pytest.mark.e2e, pytest.mark.both_engines]

CONCURRENT_LOGINS = 20
HANDLERS_PER_WORKER = CONCURRENT_LOGINS // 2  # two workers: the logins race across processes and threads
LOGIN_BURSTS = 3  # the window is short: each burst is one more chance to hit it
TIMEOUT = 60  # per request, and for the pool to fill
ENROLLMENT_ROUNDS = 3  # the window is short: each round is one more chance to hit it
POOLED_KEYS = 2 * ENROLLMENT_ROUNDS + 1
ONE_OPEN_REQUEST = {
    catalogue.MAX_OPEN: 1,
    catalogue.MIN_INTERVAL: catalogue.MIN_INTERVAL.low,
    catalogue.MAX_PER_HOUR: catalogue.MAX_PER_HOUR.high,
}


@pytest.fixture
def served_by_gunicorn(instance, gunicorn):
    instance.update_setting(Config.KEY_POOL_SIZE, POOLED_KEYS)
    with gunicorn(instance.directory, workers=2, threads=HANDLERS_PER_WORKER) as url:
        yield url


@pytest.fixture
def admin(served_by_gunicorn, instance, admin_over_http):
    admin = admin_over_http(served_by_gunicorn, instance)
    admin.set_policy("edupushplus-enrollment", "enrollment", fast_enrollment(served_by_gunicorn + ENDPOINT_PATH))
    admin.set_policy("edupushplus-limits", "authentication", actions(ONE_OPEN_REQUEST))
    return admin


def start_enrollment(admin, user: str) -> str:
    body = {"type": TOKEN_TYPE, "genkey": 1, "user": user, "realm": DEMO_REALM, "pin": PIN}
    return admin.post("/token/init", body)["detail"]["pushurl"]["value"]


def all_at_once(calls):
    """Run the calls on threads of their own, released together; their results in order."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait(TIMEOUT)
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def audit_count(admin, **search) -> int:
    return admin.get("/audit/", params={**search, "page_size": 1})["result"]["value"]["count"]


@pytest.mark.parametrize("login", ["triggerchallenge", "check with the PIN"])
def test_concurrent_logins_of_one_user_open_one_request(served_by_gunicorn, admin, login):
    phone = EmulatedPhone(HttpTransport(timeout=TIMEOUT), key_type="ec")
    token = phone.enroll(phone.scan(start_enrollment(admin, "alice")))
    if login == "triggerchallenge":
        url, body, headers = (
            "/validate/triggerchallenge",
            {"user": "alice", "realm": DEMO_REALM},
            {"Authorization": admin.token},
        )
    else:
        url, body, headers = "/validate/check", {"user": "alice", "realm": DEMO_REALM, "pass": PIN}, {}

    def log_in():
        return requests.post(served_by_gunicorn + url, json=body, headers=headers, timeout=TIMEOUT)

    for burst in range(1, LOGIN_BURSTS + 1):
        responses = all_at_once([log_in] * CONCURRENT_LOGINS)

        assert [response.status_code for response in responses] == [200] * CONCURRENT_LOGINS
        challenged = [response for response in responses if response.json()["detail"].get("transaction_id")]
        open_requests = phone.poll(token)
        print(f"\n{CONCURRENT_LOGINS} concurrent logins ({login}), limit 1: {len(open_requests)} open")
        assert len(open_requests) == 1
        assert len(challenged) == 1
        refused = audit_count(admin, action=f"{TOKEN_TYPE} push refused", serial=token.serial)
        assert refused == burst * (CONCURRENT_LOGINS - 1), "every refusal is in the audit log"
        assert phone.accept(open_requests[0]).status == 200  # the next burst may open one again


def test_two_phones_racing_one_qr_code_enroll_one(served_by_gunicorn, admin, instance):
    pool = sqlalchemy.create_engine(instance.database_url or f"sqlite:///{instance.directory / DATABASE_FILE}")
    for round_number in range(ENROLLMENT_ROUNDS):
        qr_code = start_enrollment(admin, "bob")
        phones = [EmulatedPhone(HttpTransport(timeout=TIMEOUT), key_type="ec") for _ in range(2)]
        scanned = [phone.scan(qr_code) for phone in phones]
        serial = scanned[0].serial
        pooled_before = pooled_keys(pool)
        outcomes = all_at_once(
            [lambda phone=phone, pending=pending: enroll(phone, pending) for phone, pending in zip(phones, scanned)]
        )

        winners = [outcome for outcome in outcomes if not isinstance(outcome, PhoneError)]
        losers = [outcome for outcome in outcomes if isinstance(outcome, PhoneError)]
        assert len(winners) == 1, f"round {round_number}: {outcomes}"
        assert [loser.status for loser in losers] == [400], f"round {round_number}: {outcomes}"
        [token] = admin.get("/token/", params={"serial": serial})["result"]["value"]["tokens"]
        assert token["rollout_state"] == RolloutState.ENROLLED.value
        assert len(pooled_before - pooled_keys(pool)) == 1, "the winner took one pooled key, the loser none"
        rounds = round_number + 1
        assert audited_step_two(admin) == {"failed": rounds, "succeeded": rounds}, "each phone's request is audited"
    pool.dispose()


def audited_step_two(admin) -> dict:
    """How many of the phones' requests (in this test: enrollment step 2 only) the audit log has, by outcome."""
    entries = admin.get("/audit/", params={"action": "*/ttype/*", "page_size": 100})["result"]["value"]["auditdata"]
    outcomes = [entry["success"] for entry in entries]
    return {"failed": outcomes.count(0), "succeeded": outcomes.count(1)}


def pooled_keys(pool) -> set:
    """The public keys in the pool, once it holds a key for each of two racing phones."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        with pool.connect() as connection:
            keys = set(
                connection.execute(
                    sqlalchemy.select(server_key.c.public_pem).where(server_key.c.key_size == FAST_SERVER_KEY_SIZE)
                ).scalars()
            )
        if len(keys) >= 2 or time.monotonic() > deadline:
            return keys
        time.sleep(0.2)


def enroll(phone, pending):
    try:
        return phone.enroll(pending)
    except PhoneError as refusal:
        return refusal
