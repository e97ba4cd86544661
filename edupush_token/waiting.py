"""How a push_wait login learns that the phone has answered.

An answer served by the same process wakes the waiting request at once; an
answer served by another process or node is found by re-checking the
database at a bounded pace, so a waiting request costs at most one query per
``recheck_interval``.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from typing import Callable, Optional, TypeVar

Result = TypeVar("Result")


class AnswerBoard:
    """Process-local notice board: waiters sleep on a key until someone posts to it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: dict[str, set[threading.Event]] = defaultdict(set)

    def notify(self, key: str) -> None:
        with self._lock:
            for event in self._events.get(key, ()):
                event.set()

    def wait_for(
        self,
        key: str,
        check: Callable[[], Optional[Result]],
        timeout: float,
        recheck_interval: float = 1.0,
    ) -> Optional[Result]:
        """Return the first non-None ``check()`` result, or None after ``timeout`` seconds."""
        event = threading.Event()
        with self._lock:
            self._events[key].add(event)
        try:
            deadline = time.monotonic() + timeout
            while True:
                event.clear()
                result = check()
                remaining = deadline - time.monotonic()
                if result is not None or remaining <= 0:
                    return result
                event.wait(min(recheck_interval, remaining))
        finally:
            with self._lock:
                self._events[key].discard(event)
                if not self._events[key]:
                    del self._events[key]


answers = AnswerBoard()
