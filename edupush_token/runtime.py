"""The per-process objects: background queues, wait slots, wake-up listeners, timers.

Web servers fork their workers after importing the app, and threads, locks
held by threads and sockets do not survive a fork in any useful state; so
everything here starts lazily, and one fork hook gives a child fresh objects
(the dispatchers notice a fork themselves).
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from typing import Callable, Optional

from .delivery.dispatcher import Dispatcher
from .delivery.firebase import FirebaseSender
from .delivery.outbox import new_owner
from .delivery.poller import Poller, Sweep
from .metrics.recorder import recorder
from .storage import migrate
from .storage.keypool import Refiller
from .storage.wakeups import Listeners
from .waiting import WaitSlots, answers

log = logging.getLogger(__name__)

HOUSEKEEPING_INTERVAL = 60.0  # seconds between clean-ups that need not slow every login

deliveries = Dispatcher()
outbox = Poller()
sender = FirebaseSender()
key_generator = Dispatcher(workers=1, capacity=100, name="edupushplus-keys")
key_refills = Refiller(key_generator.submit)
listeners = Listeners()

_slots_by_capacity: dict[int, WaitSlots] = {}
_slots_lock = threading.Lock()
_last_housekeeping = float("-inf")
_lease_owner = new_owner()
_hand_back: Optional[Callable[[], object]] = None


def lease_owner() -> str:
    """This process's name in the outbox's lease columns."""
    return _lease_owner


def keep_outbox_swept(sweep: Sweep, hand_back: Callable[[], object]) -> None:
    """Sweep the outbox from now on; ``hand_back`` lets go of this process's pushes when it ends."""
    global _hand_back
    _hand_back = hand_back
    outbox.start(sweep)


def shut_down() -> None:
    """At exit: stop sweeping, finish the attempts under way, hand the other pushes back to the outbox.

    Pushes still held (an attempt that did not finish in time) are left to their leases' end.
    """
    outbox.stop()
    recorder.process_ended()
    finished = deliveries.shutdown()
    if finished and _hand_back is not None:
        try:
            _hand_back()
        except Exception:
            log.exception("Could not hand this process's pushes back to the outbox; their leases run out instead.")


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
    global _slots_lock, _lease_owner, _hand_back
    _lease_owner = new_owner()
    _hand_back = None
    key_refills.forget()
    listeners.forget()
    migrate.forget()
    _slots_lock = threading.Lock()
    _slots_by_capacity.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
atexit.register(shut_down)

__all__ = [
    "answers",
    "deliveries",
    "housekeeping_due",
    "key_generator",
    "keep_outbox_swept",
    "key_refills",
    "lease_owner",
    "listeners",
    "outbox",
    "sender",
    "wait_slots",
]
