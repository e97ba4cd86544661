"""The database guards that keep concurrent requests from deciding twice."""

import threading
from datetime import timedelta

import pytest

from edupush_token.hosts.edumfa import store

pytestmark = pytest.mark.both_engines


@pytest.fixture
def challenge(enrolled, trigger, app):
    trigger()
    with app.app_context():
        [push] = store.open_pushes(enrolled.serial)
        return store.find_push_challenge(enrolled.serial, push.nonce)


@pytest.mark.parametrize("first, second", [(False, True), (True, False), (False, False), (True, True)])
def test_only_the_first_answer_is_recorded(app, enrolled, challenge, first, second):
    with app.app_context():
        assert store.apply_answer(challenge, decline=first) is True
        assert store.apply_answer(challenge, decline=second) is False
        status = store.transaction_status(enrolled.serial, challenge.transaction_id)
        assert (status.accepted, status.declined) == (not first, first)


def test_racing_answers_record_exactly_one(app, enrolled, trigger):
    for _round in range(5):
        trigger()
    with app.app_context():
        pushes = store.open_pushes(enrolled.serial)
        challenges = [store.find_push_challenge(enrolled.serial, push.nonce) for push in pushes]
    for challenge in challenges:
        wins = []

        def answer(decline):
            with app.app_context():
                wins.append(store.apply_answer(challenge, decline))

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
        assert store.claim_enrollment(token_id) is True
        assert store.claim_enrollment(token_id) is False


def test_a_day_of_delivery_history_is_kept(app, enrolled, trigger):
    trigger()
    with app.app_context():
        [row] = store.recent_deliveries(enrolled.serial)
        row.created = store.utcnow() - store.HISTORY - timedelta(seconds=1)
        store.db.session.commit()
        old_nonce = row.nonce
    trigger()
    store._last_housekeeping = float("-inf")  # housekeeping runs at most once a minute per process
    trigger()
    with app.app_context():
        rows = store.recent_deliveries(enrolled.serial)
        assert len(rows) == 2
        assert old_nonce not in {row.nonce for row in rows}
        assert {row.delivery_state for row in rows} == {"poll-only"}
