"""The per-process objects: background queues, wait slots, wake-up listeners, timers.

Web servers fork their workers after importing the app, and threads, locks
held by threads and sockets do not survive a fork in any useful state; so
everything here starts lazily, and one fork hook gives a child fresh objects
(the dispatchers notice a fork themselves).
"""

from __future__ import annotations

import atexit
import os
import threading
import time

from .delivery.dispatcher import Dispatcher
from .delivery.firebase import FirebaseSender
from .storage import migrate
from .storage.keypool import Refiller
from .storage.wakeups import Listeners
from .waiting import WaitSlots, answers

HOUSEKEEPING_INTERVAL = 60.0  # seconds between clean-ups that need not slow every login

deliveries = Dispatcher()
sender = FirebaseSender()
key_generator = Dispatcher(workers=1, capacity=100, name="edupushplus-keys")
key_refills = Refiller(key_generator.submit)
listeners = Listeners()

_slots_by_capacity: dict[int, WaitSlots] = {}
_slots_lock = threading.Lock()
_last_housekeeping = float("-inf")


def wait_slots(capacity: int) -> WaitSlots:
    """This process's wait slots of this capacity (the capacity is fixed per deployment)."""
    with _slots_lock:
        return _slots_by_capacity.setdefault(capacity, WaitSlots(capacity))


def housekeeping_due() -> bool:
    """At most once a minute per process."""
    global _last_housekeeping
    now = time.monotonic()
    if now - _last_housekeeping < HOUSEKEEPING_INTERVAL:
        return False
    _last_housekeeping = now
    return True


def _after_fork_in_child() -> None:
    global _slots_lock
    key_refills.forget()
    listeners.forget()
    migrate.forget()
    _slots_lock = threading.Lock()
    _slots_by_capacity.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
atexit.register(deliveries.shutdown)

__all__ = [
    "answers",
    "deliveries",
    "housekeeping_due",
    "key_generator",
    "key_refills",
    "listeners",
    "sender",
    "wait_slots",
]
