"""push_wait: a legacy application's single /validate/check sends the push and waits."""

import threading
import time

import pytest

from edupush_token import catalogue
from edupush_token.catalogue import MAX_OPEN, MIN_INTERVAL, Config
from edupush_token.devtools.phone import FlaskClientTransport
from edupush_token.errors import DatabaseUnavailable
from edupush_token.service import push_wait as push_wait_service
from edupush_token.storage.challenges import ChallengeTables
from support import PIN, action, actions

pytestmark = [pytest.mark.both_engines, pytest.mark.both_hosts(postgresql=True)]


@pytest.fixture
def answering_phone(app, enrolled):
    """Runs the phone in a thread on its own client: poll until a push arrives, then answer."""

    def start(answer):
        enrolled.phone.transport = FlaskClientTransport(app.test_client())

        def run():
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                requests = enrolled.phone.poll(enrolled.token)
                if requests:
                    getattr(enrolled.phone, answer)(requests[0])
                    return
                time.sleep(0.05)

        thread = threading.Thread(target=run)
        thread.start()
        return thread

    return start


@pytest.fixture
def push_wait(admin):
    def set_wait(seconds):
        admin.set_policy("edupushplus-push-wait", "authentication", action(catalogue.WAIT, seconds))

    return set_wait


def timed_check(validate, **params):
    started = time.monotonic()
    _status, body = validate(**params)
    return body, time.monotonic() - started


@pytest.mark.parametrize("answer, authentication", [("accept", "ACCEPT"), ("decline", "REJECT")])
def test_the_phones_answer_ends_the_wait_at_once(push_wait, answering_phone, validate, answer, authentication):
    push_wait(20)
    phone = answering_phone(answer)
    body, elapsed = timed_check(validate, **{"pass": PIN})
    phone.join()
    assert body["result"]["authentication"] == authentication
    assert elapsed < 10  # well before the 20 s timeout: the answer ended the wait


def test_no_answer_rejects_at_the_timeout(push_wait, enrolled, validate):
    push_wait(1)
    body, elapsed = timed_check(validate, **{"pass": PIN})
    assert body["result"]["authentication"] == "REJECT"
    assert elapsed >= 1


def test_a_wrong_pin_rejects_without_a_push(push_wait, enrolled, validate):
    push_wait(5)
    body, elapsed = timed_check(validate, **{"pass": "0000"})
    assert body["result"]["authentication"] == "REJECT"
    assert elapsed < 5
    assert enrolled.phone.poll(enrolled.token) == []


def test_the_client_cannot_switch_push_wait_on(enrolled, validate):
    body, elapsed = timed_check(validate, **{"pass": PIN, catalogue.WAIT.name: "30"})
    assert body["result"]["authentication"] == "CHALLENGE"
    assert elapsed < 5


def test_an_accepted_push_wait_challenge_is_used_up(push_wait, answering_phone, validate, admin, enrolled):
    push_wait(20)
    phone = answering_phone("accept")
    validate(**{"pass": PIN})
    phone.join()
    challenges = admin.get(f"/token/challenges/{enrolled.serial}")["result"]["value"]["challenges"]
    assert challenges == []


def test_without_a_handler_to_spare_push_wait_falls_back_to_challenge_response(app, push_wait, enrolled, validate):
    app.config[Config.PUSH_WAIT_SLOTS] = 0  # as under gunicorn's sync worker
    push_wait(20)
    body, elapsed = timed_check(validate, **{"pass": PIN})
    assert elapsed < 5
    assert body["result"]["authentication"] == "CHALLENGE"
    assert push_wait_service.REFUSED.strip() in body["detail"]["message"]
    transaction_id = body["detail"]["transaction_id"]
    enrolled.phone.accept(enrolled.phone.poll(enrolled.token)[0])
    _status, body = validate(**{"pass": "", "transaction_id": transaction_id})
    assert body["result"]["authentication"] == "ACCEPT"


def test_waits_beyond_the_slots_are_refused_at_once(app, admin, push_wait, answering_phone, enrolled, validate):
    app.config[Config.PUSH_WAIT_SLOTS] = 1
    push_wait(20)
    started = threading.Event()
    results = {}

    def first_login():
        started.set()
        results["first"], _elapsed = timed_check(validate, **{"pass": PIN})

    waiting = threading.Thread(target=first_login)
    waiting.start()
    started.wait()
    wait_until_a_challenge_is_open(admin, enrolled.serial)
    second, elapsed = timed_check(validate, **{"pass": PIN})
    assert second["result"]["authentication"] == "CHALLENGE"
    assert elapsed < 5
    phone = answering_phone("accept")
    phone.join()
    waiting.join()
    assert results["first"]["result"]["authentication"] == "ACCEPT", results["first"]


def wait_until_a_challenge_is_open(admin, serial, timeout=10):
    """Asks eduMFA, not the phone: the emulated app, like the real one, shows a push only once."""
    deadline = time.monotonic() + timeout
    while not admin.get(f"/token/challenges/{serial}")["result"]["value"]["challenges"]:
        assert time.monotonic() < deadline, "the first login sent no push"
        time.sleep(0.05)


def test_a_wait_slot_is_given_back_when_the_request_ends(app, push_wait, answering_phone, validate):
    app.config[Config.PUSH_WAIT_SLOTS] = 1
    push_wait(20)
    for _login in range(3):
        phone = answering_phone("accept")
        body, _elapsed = timed_check(validate, **{"pass": PIN})
        phone.join()
        assert body["result"]["authentication"] == "ACCEPT"


def test_a_waiting_login_costs_the_database_about_one_query_a_second(
    app, host_library, admin, push_wait, enrolled, validate
):
    """Five more seconds of waiting for an answer that never comes: at most six more SQL statements."""
    from sqlalchemy import event

    admin.set_policy(
        "edupushplus-loose", "authentication", actions({MIN_INTERVAL: MIN_INTERVAL.low, MAX_OPEN: MAX_OPEN.high})
    )
    with app.app_context():
        engine = host_library.db.engine

    def statements_while_waiting(seconds: int) -> int:
        push_wait(seconds)
        statements = []

        def count(*_arguments):
            statements.append(1)

        event.listen(engine, "before_cursor_execute", count)
        try:
            body, _elapsed = timed_check(validate, **{"pass": PIN})
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert body["result"]["authentication"] == "REJECT", body
        return len(statements)

    statements_while_waiting(1)  # a first login pays for caches the others find filled
    short, long = statements_while_waiting(1), statements_while_waiting(6)
    assert 1 <= long - short <= 6, (short, long)  # at least one: the re-checks are what is counted


@pytest.fixture
def database_away(monkeypatch):
    """``database_away(checks)``: the wait's first ``checks`` re-checks find the database away (a restart)."""

    def make_away(checks):
        read_status = ChallengeTables.transaction_status
        failed = []

        def away_for_a_while(store, serial, transaction_id):
            if len(failed) < checks:
                failed.append(1)
                raise DatabaseUnavailable("the database cannot be reached")
            return read_status(store, serial, transaction_id)

        monkeypatch.setattr(ChallengeTables, "transaction_status", away_for_a_while)

    return make_away


def failcount(admin, serial) -> int:
    return int(admin.get("/token/", params={"serial": serial})["result"]["value"]["tokens"][0]["failcount"])


def test_a_database_away_until_the_deadline_rejects_without_a_failed_authentication(
    push_wait, database_away, admin, enrolled, validate
):
    push_wait(1)
    database_away(checks=1_000_000)
    status, body = validate(**{"pass": PIN})
    assert status == 200
    assert body["result"]["authentication"] == "REJECT"
    assert body["detail"]["message"] == push_wait_service.DATABASE_LOST
    assert failcount(admin, enrolled.serial) == 0
    challenges = admin.get(f"/token/challenges/{enrolled.serial}")["result"]["value"]["challenges"]
    assert challenges == [], "voided once the database was back, so the user's retry is not refused"


def test_a_wait_outlives_the_database_being_away_and_accepts_the_answer(
    push_wait, database_away, answering_phone, validate
):
    push_wait(20)
    database_away(checks=3)
    phone = answering_phone("accept")
    body, elapsed = timed_check(validate, **{"pass": PIN})
    phone.join()
    assert body["result"]["authentication"] == "ACCEPT", body
    assert elapsed < 10
