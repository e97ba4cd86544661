"""The database guards that keep concurrent requests from deciding twice."""

import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import update

from edupush_token import runtime
from edupush_token.hosts.edumfa.ports import Store
from edupush_token.storage.challenges import HISTORY
from edupush_token.storage.schema import push_record

pytestmark = pytest.mark.both_engines


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
