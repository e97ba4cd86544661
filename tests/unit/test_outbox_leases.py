"""The outbox's pure parts: leases, due times, the poller's rhythm and the admins' summary line."""

import os
import threading
import time
from datetime import datetime, timedelta, timezone

from edupush_token.catalogue import LEASE_OWNER_LENGTH, LEASE_SECONDS
from edupush_token.delivery.outbox import OutboxSummary, lease_from, new_owner, next_due
from edupush_token.delivery.poller import Poller

NOW = datetime(2026, 12, 5, 6, 0, tzinfo=timezone.utc)


def test_a_lease_lasts_its_seconds():
    lease = lease_from("me", NOW)
    assert lease.until == NOW + timedelta(seconds=LEASE_SECONDS)
    assert lease.left(NOW + timedelta(seconds=10)) == LEASE_SECONDS - 10
    assert lease.left(lease.until + timedelta(seconds=1)) < 0


def test_a_retry_is_due_after_its_delay_never_before_now():
    assert next_due(NOW, 2.5) == NOW + timedelta(seconds=2.5)
    assert next_due(NOW, -1) == NOW


def test_owners_name_the_process_and_differ_between_processes_of_one_id():
    first, second = new_owner(), new_owner()
    assert f":{os.getpid()}:" in first and first != second
    assert len(first) <= LEASE_OWNER_LENGTH


def test_the_summary_names_states_and_the_oldest_overdue_push():
    summary = OutboxSummary({"sent": 18, "retrying": 2, "expired": 1}, 2, NOW - timedelta(seconds=12))
    assert summary.shown(NOW) == (
        "outbox: 1 expired before delivery, 2 retrying, 18 sent; 2 overdue, the oldest due 12 s ago"
    )
    assert OutboxSummary({}, 0, None).shown(NOW) == "outbox: no pushes; 0 overdue"


class Sweeps:
    def __init__(self, found):
        self.found = list(found)
        self.times = []
        self.done = threading.Event()

    def __call__(self):
        self.times.append(time.monotonic())
        if not self.found:
            self.done.set()
            return 0
        return self.found.pop(0)


def test_the_poller_sweeps_at_once_then_often_while_busy_and_backs_off_when_idle():
    poller = Poller(busy_interval=0.05, idle_interval=0.4)
    sweeps = Sweeps([3, 1, 0, 0, 0])
    poller.start(sweeps)
    try:
        deadline = time.monotonic() + 5
        while len(sweeps.times) < 6 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        poller.stop()
    gaps = [later - earlier for earlier, later in zip(sweeps.times, sweeps.times[1:])]
    assert gaps[0] < 0.2 and gaps[1] < 0.2  # busy: every busy_interval
    assert gaps[2] < gaps[3] < gaps[4] <= 0.6  # idle: doubling up to idle_interval


def test_a_nudge_brings_the_next_sweep_forward():
    poller = Poller(busy_interval=0.05, idle_interval=30)
    sweeps = Sweeps([])
    poller.start(sweeps)
    try:
        assert sweeps.done.wait(2)
        time.sleep(0.2)  # idle now: the next sweep is far away
        asked = time.monotonic()
        poller.nudge(0.1)
        deadline = time.monotonic() + 2
        while len(sweeps.times) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        poller.stop()
    assert len(sweeps.times) == 2 and sweeps.times[1] - asked < 0.5


def test_the_latest_sweep_given_is_used():
    poller = Poller(busy_interval=0.05, idle_interval=0.05)
    first, second = Sweeps([]), Sweeps([])
    poller.start(first)
    try:
        assert first.done.wait(2)
        poller.start(second)
        assert second.done.wait(2)
    finally:
        poller.stop()
