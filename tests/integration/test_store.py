"""The database guards that keep concurrent requests from deciding twice."""

import threading
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import update

from edupush_token import runtime
from edupush_token.hosts.edumfa.ports import Store
from edupush_token.storage.challenges import HISTORY
from edupush_token.storage.schema import push_record

pytestmark = pytest.mark.both_engines

LOCK_WAIT_SECONDS = 3


@pytest.fixture
def challenge(enrolled, trigger, app):
    trigger()
    with app.app_context():
        [push] = Store().open_pushes(enrolled.serial)
        return Store().phone_side(enrolled.serial, push.nonce)[1]


@pytest.mark.parametrize("first, second", [(False, True), (True, False), (False, False), (True, True)])
def test_only_the_first_answer_is_recorded(app, enrolled, challenge, first, second):
    with app.app_context():
        assert Store().apply_answer(challenge, decline=first) is True
        assert Store().apply_answer(challenge, decline=second) is False
        status = Store().transaction_status(enrolled.serial, challenge.transaction_id)
        assert (status.accepted, status.declined) == (not first, first)


def test_racing_answers_record_exactly_one(app, enrolled, trigger):
    for _round in range(5):
        trigger()
    with app.app_context():
        pushes = Store().open_pushes(enrolled.serial)
        challenges = [Store().phone_side(enrolled.serial, push.nonce)[1] for push in pushes]
    for challenge in challenges:
        wins = []

        def answer(decline, challenge=challenge, wins=wins):
            with app.app_context():
                wins.append(Store().apply_answer(challenge, decline))

        threads = [threading.Thread(target=answer, args=(decline,)) for decline in (False, True, False, True)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(wins) == [False, False, False, True]


def test_an_enrollment_is_claimed_once(app, start_enrollment):
    serial = start_enrollment()["serial"]
    with app.app_context():
        from edumfa.models import Token

        token_id = Token.query.filter_by(serial=serial).one().id
        assert Store().claim_enrollment(token_id) is True
        assert Store().claim_enrollment(token_id) is False


def test_a_day_of_delivery_history_is_kept(app, enrolled, trigger, monkeypatch):
    trigger()
    with app.app_context():
        [row] = Store().recent_deliveries(enrolled.serial)
        long_ago = datetime.utcnow() - HISTORY - timedelta(seconds=1)
        store = Store()
        store.session.execute(update(push_record).where(push_record.c.nonce == row.nonce).values(created=long_ago))
        store.commit()
        old_nonce = row.nonce
    trigger()
    monkeypatch.setattr(runtime, "_last_housekeeping", float("-inf"))  # at most once a minute per process
    trigger()
    with app.app_context():
        rows = Store().recent_deliveries(enrolled.serial)
        assert len(rows) == 2
        assert old_nonce not in {row.nonce for row in rows}
        assert {row.delivery_state for row in rows} == {"poll-only"}


def token_id_of(app, serial) -> int:
    with app.app_context():
        from edumfa.models import Token

        return Token.query.filter_by(serial=serial).one().id


def held_in_turn(app, first_token_id, second_token_id) -> list:
    """Two logins' push locks, the second asked for while the first is held; the order they ran in."""
    steps = []
    first_holds, first_may_end = threading.Event(), threading.Event()

    def first():
        with app.app_context(), Store().push_lock(first_token_id):
            steps.append("first holds")
            first_holds.set()
            first_may_end.wait(LOCK_WAIT_SECONDS)
            steps.append("first ends")

    def second():
        first_holds.wait(LOCK_WAIT_SECONDS)
        with app.app_context(), Store().push_lock(second_token_id):
            steps.append("second holds")
            first_may_end.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    first_holds.wait(LOCK_WAIT_SECONDS)
    time.sleep(LOCK_WAIT_SECONDS / 10)  # time enough for the second to get the lock, were it free
    first_may_end.set()
    for thread in threads:
        thread.join(LOCK_WAIT_SECONDS)
    return steps


def test_the_push_lock_keeps_the_owners_next_login_waiting(app, enrolled):
    token_id = token_id_of(app, enrolled.serial)
    assert held_in_turn(app, token_id, token_id) == ["first holds", "first ends", "second holds"]


@pytest.mark.postgresql_only  # SQLite has one write lock for the whole database
def test_other_owners_logins_do_not_wait_for_the_push_lock_on_postgresql(app, enroll, make_phone):
    alices = token_id_of(app, enroll("alice").serial)
    bobs = token_id_of(app, enroll("bob", on_phone=make_phone()).serial)
    assert held_in_turn(app, alices, bobs) == ["first holds", "second holds", "first ends"]
