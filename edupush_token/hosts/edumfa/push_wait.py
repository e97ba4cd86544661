"""push_wait in eduMFA: whether a login may wait here, and the wait itself."""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
from typing import Optional

from flask import current_app, has_request_context
from flask import request as flask_request

from edumfa.lib.lifecycle import register_request_finalizer
from edumfa.models import db

from ...lifecycle import ChallengeState
from ...waiting import Server, WaitSlots, answers, wait_slots_for
from . import store, wakeups

log = logging.getLogger(__name__)

SLOTS_CONFIG = "EDUPUSH_PUSH_WAIT_SLOTS"
REFUSED = (
    " This server cannot hold the login open while you answer; confirm it in the app,"
    " then the application can complete it with the transaction_id."
)

_slots_by_capacity: dict[int, WaitSlots] = {}
_slots_lock = threading.Lock()


def slots() -> WaitSlots:
    """This process's wait slots, sized by edumfa.cfg or by what the WSGI server reveals."""
    capacity = _capacity()
    with _slots_lock:
        return _slots_by_capacity.setdefault(capacity, WaitSlots(capacity))


def _capacity() -> int:
    configured = current_app.config.get(SLOTS_CONFIG)
    if configured is not None:
        return max(0, int(configured))
    environ = flask_request.environ if has_request_context() else {}
    return wait_slots_for(Server.from_environ(environ, green=_green_threads()))


def _green_threads() -> bool:
    gevent_monkey = sys.modules.get("gevent.monkey")
    if gevent_monkey is not None and gevent_monkey.is_module_patched("socket"):
        return True
    eventlet_patcher = sys.modules.get("eventlet.patcher")
    return eventlet_patcher is not None and eventlet_patcher.is_monkey_patched("socket")


def reserve_slot() -> bool:
    """Take a wait slot for the rest of this request; eduMFA gives it back when the request ends.

    Reserved when eduMFA asks whether the login is a challenge request, so
    the decision to wait and the slot cannot come apart between two
    concurrent logins.
    """
    process_slots = slots()
    if not process_slots.try_take():
        log.warning(
            "push_wait refused: no request handler of this process to spare (%s=%d); "
            "the login falls back to challenge-response.", SLOTS_CONFIG, process_slots.capacity,
        )
        return False
    register_request_finalizer(process_slots.give_back)
    return True


def wait_for_answer(serial: str, transaction_id: str, timeout: float) -> Optional[ChallengeState]:
    """The challenge's final state once the phone answers, or None after ``timeout``."""

    def decided() -> Optional[ChallengeState]:
        status = store.transaction_status(serial, transaction_id)
        state = ChallengeState.EXPIRED if status is None else status.state(store.utcnow())
        return None if state is ChallengeState.OPEN else state

    engine = db.engine
    listening = (
        wakeups.listener_for(engine, answers.notify).in_use() if wakeups.supported(engine) else contextlib.nullcontext()
    )
    with listening:
        return answers.wait_for(transaction_id, decided, timeout=timeout)
