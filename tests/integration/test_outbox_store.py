"""The outbox's queries on a real database: due pushes are taken over once, leases end, pushes are handed back."""

import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import update

from edupush_token.delivery import DeliveryReport, DeliveryState
from edupush_token.delivery.outbox import lease_from
from edupush_token.hosts.edumfa.ports import Store
from edupush_token.storage.schema import push_record

pytestmark = pytest.mark.both_engines


def now():
    return datetime.now(timezone.utc)


@pytest.fixture
def due(app, enrolled, trigger):
    """Three pushes due a minute ago and held by nobody, as a dead process's retries are."""

    def make(count=3):
        for _ in range(count):
            trigger()
        with app.app_context():
            store = Store()
            store.session.execute(
                update(push_record).values(
                    delivery_state=DeliveryState.RETRYING.value,
                    next_attempt_at=datetime.utcnow() - timedelta(minutes=1),
                )
            )
            store.commit()

    return make


def claim(app, owner, seconds=30.0, limit=20):
    with app.app_context():
        return Store().claim_overdue(lease_from(owner, now(), seconds), limit)


def test_a_due_push_is_taken_over_once_until_its_lease_ends(app, enrolled, due):
    due(3)
    taken = claim(app, "node-a:1", seconds=0.5)
    assert len(taken) == 3 and {push.serial for push in taken} == {enrolled.serial}
    assert all(push.expires_at > now() and push.push.nonce == push.nonce for push in taken)
    assert claim(app, "node-b:2") == []
    time.sleep(0.6)
    assert {push.nonce for push in claim(app, "node-b:2")} == {push.nonce for push in taken}


def test_the_batch_is_bounded(app, due):
    due(3)
    assert len(claim(app, "a", limit=2)) == 2
    assert len(claim(app, "b", limit=2)) == 1


def test_concurrent_sweeps_take_each_push_once(app, due):
    due(6)
    taken, errors = [], []

    def sweep(owner):
        try:
            taken.extend(push.nonce for push in claim(app, owner, limit=2))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=sweep, args=(f"worker-{index}",)) for index in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert len(taken) == len(set(taken)) <= 6


def test_handed_back_pushes_are_taken_at_once(app, due):
    due(2)
    assert len(claim(app, "dying")) == 2
    with app.app_context():
        assert Store().release_leases("dying") == 2
    assert len(claim(app, "heir")) == 2


def test_an_outcome_moves_the_push_out_of_the_outbox_or_to_later(app, due):
    due(2)
    first, second = claim(app, "me")
    with app.app_context():
        store = Store()
        store.record_delivery(
            first.challenge_id, first.nonce, DeliveryReport(DeliveryState.SENT, message_id="m"), first.push
        )
        retry = DeliveryReport(DeliveryState.RETRYING, "later", attempts=1, retry_in=60.0)
        store.record_delivery(second.challenge_id, second.nonce, retry, second.push)
        store.release_leases("me")
        summary = store.outbox_summary()
    assert claim(app, "other") == []  # one sent, one due in a minute
    assert summary.states == {"sent": 1, "retrying": 1}
    assert summary.overdue == 0 and summary.oldest_overdue is None


def test_the_summary_counts_overdue_pushes(app, due):
    due(3)
    with app.app_context():
        summary = Store().outbox_summary()
    assert summary.states == {"retrying": 3} and summary.overdue == 3
    assert timedelta(seconds=50) < now() - summary.oldest_overdue < timedelta(minutes=5)


def test_a_process_whose_lease_ran_out_does_not_overwrite_the_new_holders_outcome(app, due):
    due(1)
    [mine] = claim(app, "slow", seconds=0.1)
    time.sleep(0.2)
    [theirs] = claim(app, "fast")
    with app.app_context():
        store = Store()
        late = DeliveryReport(DeliveryState.RETRYING, "late", attempts=1, retry_in=1.0)
        store.record_delivery(mine.challenge_id, mine.nonce, late, mine.push, holder="slow")
        sent = DeliveryReport(DeliveryState.SENT, message_id="m", attempts=1)
        store.record_delivery(theirs.challenge_id, theirs.nonce, sent, theirs.push, holder="fast")
        [record] = store.recent_deliveries(limit=1)
    assert (record.delivery_state, record.fcm_message_id) == ("sent", "m")
