"""How a push_wait login learns that the phone has answered, and when it may wait at all.

An answer served by the same process wakes the waiting request at once; one
served by another process or node wakes it through whatever cross-process
signal the host offers (PostgreSQL's NOTIFY), and failing that is found by
re-checking the database at a bounded pace, so a waiting request costs at most
one query per ``recheck_interval``.  While the database is away (a restart, a
cut connection) a wait keeps re-checking, at growing intervals, until its
deadline: an outage of a few seconds costs a waiting login nothing.

A waiting request occupies a request handler of its process.  If waits took
the last handler, the phone's answer could not be served and every wait would
run into its timeout, so each process keeps a handler free (:class:`WaitSlots`).
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional, TypeVar

from .errors import DatabaseUnavailable

Result = TypeVar("Result")


@dataclass(frozen=True)
class Backoff:
    """Pauses between retries of something that keeps failing: ``first`` seconds, doubling up to ``cap``."""

    first: float
    cap: float

    def delay(self, failures: int) -> float:
        """The pause after ``failures`` failures in a row (at least one)."""
        doublings = min(failures - 1, 64)  # far beyond any cap; keeps the power a float
        return min(self.cap, self.first * 2.0**doublings)


# A wait's re-checks while the database is away.  The first retry comes soon:
# after a restart, often only the pooled connection was stale, and the retry
# on a fresh one succeeds.  Doubling spares a database that is starting up
# from every waiting login at once; the cap bounds how late a wait notices
# the database is back, at 2 s (sooner when the wake-up connection returns).
DATABASE_BACKOFF = Backoff(first=0.1, cap=2.0)


class AnswerBoard:
    """Process-local notice board: waiters sleep on a key until someone posts to it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: dict[str, set[threading.Event]] = defaultdict(set)

    def notify(self, key: str) -> None:
        with self._lock:
            for event in self._events.get(key, ()):
                event.set()

    def notify_all(self) -> None:
        """Wake every waiter to re-check at once: wake-ups may have been lost (the listener was down)."""
        with self._lock:
            for events in self._events.values():
                for event in events:
                    event.set()

    def wait_for(
        self,
        key: str,
        check: Callable[[], Optional[Result]],
        timeout: float,
        recheck_interval: float = 1.0,
        backoff: Backoff = DATABASE_BACKOFF,
    ) -> Optional[Result]:
        """Return the first non-None ``check()`` result, or None after ``timeout`` seconds.

        A check that raises :class:`DatabaseUnavailable` is retried after the
        pauses of ``backoff`` until the deadline; if the last check failed,
        its error is raised.
        """
        event = threading.Event()
        with self._lock:
            self._events[key].add(event)
        try:
            deadline = time.monotonic() + timeout
            failures = 0
            while True:
                event.clear()
                try:
                    result = check()
                except DatabaseUnavailable:
                    failures += 1
                    if time.monotonic() >= deadline:
                        raise
                    pause = backoff.delay(failures)
                else:
                    if result is not None or time.monotonic() >= deadline:
                        return result
                    failures = 0
                    pause = recheck_interval
                event.wait(max(0.0, min(pause, deadline - time.monotonic())))
        finally:
            with self._lock:
                self._events[key].discard(event)
                if not self._events[key]:
                    del self._events[key]


answers = AnswerBoard()


@dataclass(frozen=True)
class Server:
    """What a WSGI server tells an app about its concurrency (PEP 3333 environ)."""

    software: str = ""
    multithread: bool = False
    green: bool = False  # gevent or eventlet monkey-patched sockets

    @classmethod
    def from_environ(cls, environ: Mapping[str, Any], green: bool = False) -> "Server":
        return cls(str(environ.get("SERVER_SOFTWARE", "")), bool(environ.get("wsgi.multithread")), green)


WERKZEUG_WAIT_SLOTS = 16  # Werkzeug's threaded server starts a thread per request
GREEN_WAIT_SLOTS = 1000  # a waiting greenlet costs next to nothing


def wait_slots_for(server: Server) -> int:
    """How many push_waits a process of this server can hold without starving the phone.

    A server that handles one request at a time per process (gunicorn's sync
    worker) has no handler to spare.  A thread pool of unknown size (gunicorn's
    gthread) is not guessed at: the admin states it with EDUPUSH_PUSH_WAIT_SLOTS.
    """
    if server.green:
        return GREEN_WAIT_SLOTS
    if server.multithread and server.software.startswith("Werkzeug/"):
        return WERKZEUG_WAIT_SLOTS
    return 0


class WaitSlots:
    """A process-wide count of push_waits in progress, bounded by ``capacity``."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._lock = threading.Lock()
        self._taken = 0

    def try_take(self) -> bool:
        with self._lock:
            if self._taken >= self.capacity:
                return False
            self._taken += 1
            return True

    def give_back(self) -> None:
        with self._lock:
            self._taken -= 1
