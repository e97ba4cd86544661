"""push_wait: how many waits a process may hold, and the wait itself."""

import contextlib
import threading

import pytest

from edupush_token import runtime
from edupush_token.catalogue import Config
from edupush_token.errors import DatabaseUnavailable
from edupush_token.lifecycle import ChallengeState
from edupush_token.service import push_wait
from edupush_token.storage import wakeups
from edupush_token.waiting import answers

from .fakes import FakeStore


class NoWakeups:
    class dialect:
        name = "sqlite"


def test_the_config_sets_the_slots_else_the_server_does():
    assert push_wait.slots({Config.PUSH_WAIT_SLOTS: "3"}, {}).capacity == 3
    werkzeug = {"SERVER_SOFTWARE": "Werkzeug/3.0", "wsgi.multithread": True}
    assert push_wait.slots({}, werkzeug).capacity > 0
    assert push_wait.slots({}, {"SERVER_SOFTWARE": "gunicorn/23", "wsgi.multithread": True}).capacity == 0


def test_a_process_never_gives_away_more_slots_than_it_has():
    slots = push_wait.slots({Config.PUSH_WAIT_SLOTS: "1"}, {})
    assert push_wait.try_reserve(slots) and not push_wait.try_reserve(slots)
    slots.give_back()
    assert push_wait.try_reserve(slots)
    slots.give_back()


def test_a_wait_ends_when_the_answer_is_announced(fakes, phone):
    saved = fakes.store.create_push("EDPP0001", None, _push(), 60, "", None)
    row = fakes.store.rows[saved.id]

    def answer():
        row.accepted = True
        answers.notify(saved.transaction_id)

    threading.Timer(0.05, answer).start()
    outcome = push_wait.wait_for_answer(fakes.store, fakes.clock, NoWakeups, "EDPP0001", saved.transaction_id, 5)
    assert outcome is ChallengeState.ACCEPTED


def test_an_unanswered_wait_times_out_and_a_vanished_challenge_counts_as_expired(fakes):
    store: FakeStore = fakes.store
    saved = store.create_push("EDPP0001", None, _push(), 60, "", None)
    assert push_wait.wait_for_answer(store, fakes.clock, NoWakeups, "EDPP0001", saved.transaction_id, 0.05) is None
    store.consume_transaction(saved.transaction_id)
    assert push_wait.wait_for_answer(store, fakes.clock, NoWakeups, "EDPP0001", saved.transaction_id, 1) is (
        ChallengeState.EXPIRED
    )


class DatabaseAway(FakeStore):
    def transaction_status(self, serial, transaction_id):
        raise DatabaseUnavailable("the database cannot be reached")

    def consume_transaction(self, transaction_id):
        self.transaction_status("", transaction_id)


def test_a_database_away_until_the_deadline_ends_the_wait_with_its_error(fakes):
    with pytest.raises(DatabaseUnavailable):
        push_wait.wait_for_answer(DatabaseAway(fakes.clock), fakes.clock, NoWakeups, "EDPP0001", "4711", 0.3)


def test_after_the_database_was_lost_the_challenge_is_voided_if_it_is_back(fakes):
    saved = fakes.store.create_push("EDPP0001", None, _push(), 60, "", None)
    push_wait.void_if_reachable(fakes.store, saved.transaction_id)
    assert fakes.store.rows == {}
    push_wait.void_if_reachable(
        DatabaseAway(fakes.clock), saved.transaction_id
    )  # and otherwise left to expire, quietly


class RecordingListeners:
    def listener_for(self, engine, on_wakeup, on_listening):
        self.callbacks = (on_wakeup, on_listening)
        return self

    def in_use(self):
        return contextlib.nullcontext(True)


def test_waits_re_check_at_once_when_the_wake_ups_resume(fakes, monkeypatch):
    """Answers announced while the listener was down were announced to nobody."""
    listeners = RecordingListeners()
    monkeypatch.setattr(runtime, "listeners", listeners)
    monkeypatch.setattr(wakeups, "supported", lambda engine: True)
    saved = fakes.store.create_push("EDPP0001", None, _push(), 60, "", None)
    push_wait.wait_for_answer(fakes.store, fakes.clock, NoWakeups, "EDPP0001", saved.transaction_id, 0.01)
    assert listeners.callbacks == (answers.notify, answers.notify_all)


def _push():
    from edupush_token.wire.push_data import PushData

    return PushData.unsigned(
        nonce="N", url="https://x.example/", serial="EDPP0001", question="q", title="t", sslverify=True
    )
