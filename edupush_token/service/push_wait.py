"""push_wait: whether a login may wait in this process, and the wait itself.

A wait holds a request handler until the phone answers; a process must
never hold its last one, which the phone's answer needs.  So each process
has a fixed number of wait slots (``EDUPUSH_PUSH_WAIT_SLOTS``, or what the
WSGI server reveals), and a login that finds none becomes an ordinary
challenge-response login at once.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from typing import Any, ContextManager, Mapping, Optional

from .. import runtime
from ..catalogue import Config
from ..errors import DatabaseUnavailable
from ..lifecycle import ChallengeState
from ..metrics.recorder import recorder
from ..ports import Clock, HostConfig, Store
from ..storage import wakeups
from ..waiting import Server, WaitSlots, answers, wait_slots_for

log = logging.getLogger(__name__)

# What the relying application shows its user: plain words, no protocol terms.
REFUSED = " The server is busy and cannot wait for your answer: confirm the login in the app, then continue."
UNANSWERED = "The push login was not answered in time."
DECLINED = "The push login was declined on the phone."
DATABASE_LOST = "The push login could not be confirmed: the server lost its database; try again."


def slots(config: HostConfig, environ: Mapping[str, Any]) -> WaitSlots:
    """This process's wait slots, sized by the host's config or by what the WSGI server reveals."""
    configured = config.get(Config.PUSH_WAIT_SLOTS)
    if configured is not None:
        capacity = max(0, int(str(configured)))
    else:
        capacity = wait_slots_for(Server.from_environ(dict(environ), green=_green_threads()))
    recorder.wait_slots(capacity)
    return runtime.wait_slots(capacity)


def try_reserve(process_slots: WaitSlots) -> bool:
    if process_slots.try_take():
        return True
    recorder.wait_refused()
    log.warning(
        "push_wait refused: no request handler of this process to spare (%s=%d); "
        "the login falls back to challenge-response.",
        Config.PUSH_WAIT_SLOTS,
        process_slots.capacity,
    )
    return False


def _green_threads() -> bool:
    gevent_monkey = sys.modules.get("gevent.monkey")
    if gevent_monkey is not None and gevent_monkey.is_module_patched("socket"):
        return True
    eventlet_patcher = sys.modules.get("eventlet.patcher")
    return eventlet_patcher is not None and bool(eventlet_patcher.is_monkey_patched("socket"))


def wait_for_answer(
    store: Store, clock: Clock, engine: Any, serial: str, transaction_id: str, timeout: float
) -> Optional[ChallengeState]:
    """The challenge's final state once the phone answers, or None after ``timeout``.

    A wait outlasts the database being away (see :mod:`edupush_token.waiting`);
    raises DatabaseUnavailable if it is still away at the deadline.
    """

    def decided() -> Optional[ChallengeState]:
        status = store.transaction_status(serial, transaction_id)
        state = ChallengeState.EXPIRED if status is None else status.state(clock.now())
        return None if state is ChallengeState.OPEN else state

    listening: ContextManager[Any] = contextlib.nullcontext()
    if wakeups.supported(engine):
        listening = runtime.listeners.listener_for(engine, answers.notify, answers.notify_all).in_use()
    recorder.waiting(+1)
    try:
        with listening:
            return answers.wait_for(transaction_id, decided, timeout=timeout)
    finally:
        recorder.waiting(-1)


def void_if_reachable(store: Store, transaction_id: str) -> None:
    """After a wait the database's absence ended: void the challenge, if the database is back by now.

    Otherwise it stays open until it expires: nobody was given its
    transaction id, but it counts against the open-request limit, so the
    user's retry may be refused until then.
    """
    try:
        store.consume_transaction(transaction_id)
    except DatabaseUnavailable:
        log.warning("push_wait: the database is still away; transaction %s expires on its own.", transaction_id)


def failure_text(outcome: Optional[ChallengeState]) -> str:
    """What the relying application is told when a wait did not end in an accept."""
    return DECLINED if outcome is ChallengeState.DECLINED else UNANSWERED
