"""Cross-process wake-ups for push_wait through PostgreSQL's LISTEN/NOTIFY.

The answer's transaction commits a NOTIFY carrying the transaction id; every
process that has a push_wait in progress keeps one connection LISTENing and
wakes its waiters at once, whichever process or node served the answer.  On
other engines there is no such signal and waiters re-check the database at a
bounded pace (see :mod:`edupush_token.waiting`); the wake-up is a speed-up,
never needed for correctness, so a lost listener connection only costs time.
It reconnects soon (a database restart takes seconds), and then wakes every
waiter to re-check: a NOTIFY sent while nobody listened is lost.
"""

from __future__ import annotations

import contextlib
import logging
import select
import threading
import time
from typing import Any, Callable, Iterator, Optional

import sqlalchemy

from ..waiting import Backoff

log = logging.getLogger(__name__)

CHANNEL = "edupushplus_answer"
LINGER_SECONDS = 60.0  # keep listening this long after the last wait, for the next one
# One process's single LISTEN connection: retrying it often is cheap, and it
# is back within 1 s of the database.
RECONNECT_BACKOFF = Backoff(first=0.05, cap=1.0)
LISTEN_TIMEOUT_SECONDS = 2.0


def supported(engine: Any) -> bool:
    return bool(engine.dialect.name == "postgresql")


def update_announcing(session: Any, statement: Any, transaction_id: str) -> int:
    """Run a conditional UPDATE; if it changes a row, the wake-up for ``transaction_id`` is queued.

    On PostgreSQL the NOTIFY rides in the UPDATE's own statement (a
    data-modifying CTE), so an answer costs no extra round trip, and it is
    sent only if the answer's transaction commits.  Returns the rows changed.
    """
    if not supported(session.get_bind()):
        return int(session.execute(statement).rowcount)
    changed = statement.returning(*statement.table.primary_key).cte("changed")
    return len(
        session.execute(
            sqlalchemy.select(sqlalchemy.func.pg_notify(CHANNEL, transaction_id)).select_from(changed)
        ).all()
    )


class Listener:
    """One LISTEN connection of this process to one database, alive while waits need it."""

    def __init__(self, engine: Any, on_wakeup: Callable[[str], None], on_listening: Callable[[], None]) -> None:
        """``on_wakeup(transaction_id)`` for each NOTIFY; ``on_listening()`` each time LISTEN (re)starts."""
        self._engine = engine
        self._on_wakeup = on_wakeup
        self._on_listening = on_listening
        self._failures = 0  # in a row
        self._lock = threading.Lock()
        self._users = 0
        self._last_use = time.monotonic()
        self._listening = threading.Event()
        self._first_try_over = threading.Event()  # listening, or failed once: don't hold waits up
        self._thread: Optional[threading.Thread] = None

    @contextlib.contextmanager
    def in_use(self) -> Iterator[bool]:
        """Listen for the duration of a wait; yields whether LISTEN is active."""
        with self._lock:
            self._users += 1
            if self._thread is None or not self._thread.is_alive():
                self._listening.clear()
                self._first_try_over.clear()
                self._failures = 0
                self._thread = threading.Thread(target=self._run, name="edupushplus-listen", daemon=True)
                self._thread.start()
        try:
            self._first_try_over.wait(LISTEN_TIMEOUT_SECONDS)
            yield self._listening.is_set()
        finally:
            with self._lock:
                self._users -= 1
                self._last_use = time.monotonic()

    def _idle_too_long(self) -> bool:
        with self._lock:
            return self._users == 0 and time.monotonic() - self._last_use > LINGER_SECONDS

    def _run(self) -> None:
        while not self._idle_too_long():
            try:
                self._listen_until_idle()
            except Exception as error:  # noqa: BLE001 - any failure just means slower wake-ups
                self._listening.clear()
                self._first_try_over.set()
                if self._failures == 0:  # one warning per outage, not one per retry
                    log.warning(
                        "push_wait wake-ups paused, waiters re-check the database instead: %s: %s",
                        type(error).__name__,  # psycopg2's error for a cut connection may have no text
                        error,
                    )
                if not self._in_use():
                    return  # the next wait starts listening afresh
                self._failures += 1
                time.sleep(RECONNECT_BACKOFF.delay(self._failures))

    def _in_use(self) -> bool:
        with self._lock:
            return self._users > 0

    def _listen_until_idle(self) -> None:
        dialect = self._engine.dialect
        args, keywords = dialect.create_connect_args(self._engine.url)
        connection = dialect.connect(*args, **keywords)  # our own, outside the requests' pool
        try:
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute(f"LISTEN {CHANNEL}")
            if self._failures:
                log.info("push_wait wake-ups resumed after %d failed attempts to listen", self._failures)
            self._failures = 0
            self._listening.set()
            self._first_try_over.set()
            self._on_listening()
            while not self._idle_too_long():
                readable, _, _ = select.select([connection], [], [], 1.0)
                if readable:
                    connection.poll()
                    while connection.notifies:
                        self._on_wakeup(connection.notifies.pop(0).payload)
        finally:
            self._listening.clear()
            connection.close()


class Listeners:
    """This process's listeners, one per database."""

    def __init__(self) -> None:
        self._by_database: dict[str, Listener] = {}
        self._lock = threading.Lock()

    def listener_for(self, engine: Any, on_wakeup: Callable[[str], None], on_listening: Callable[[], None]) -> Listener:
        key = engine.url.render_as_string(hide_password=False)
        with self._lock:
            listener = self._by_database.get(key)
            if listener is None:
                listener = self._by_database[key] = Listener(engine, on_wakeup, on_listening)
            return listener

    def forget(self) -> None:
        """A forked worker inherits the parent's Listener objects but not their threads or sockets."""
        self._lock = threading.Lock()
        self._by_database.clear()
