"""A bounded, per-process background queue for push deliveries.

Web servers fork their workers, and threads do not survive a fork; so the
dispatcher starts its threads lazily, on the first submit in each process,
and a forked child starts with an empty queue of its own (noticed by its
process id, before touching a lock a parent's thread may have held). Delayed tasks
(retries) wait in the same queue without holding a thread.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import os
import threading
import time
from typing import Callable, Optional

log = logging.getLogger(__name__)

Task = Callable[[], object]


class Dispatcher:
    _queue: list[tuple[float, int, Task]]

    def __init__(self, workers: int = 2, capacity: int = 1000, name: str = "edupushplus-delivery"):
        self.workers = workers
        self.capacity = capacity
        self.name = name
        self._reset()

    def submit(self, task: Task, delay: float = 0.0) -> bool:
        """Queue ``task`` to run after ``delay`` seconds; False if the queue is full or closed."""
        self._forget_parent()
        with self._condition:
            if self._closed or len(self._queue) >= self.capacity:
                return False
            heapq.heappush(self._queue, (time.monotonic() + delay, next(self._order), task))
            self._start_threads()
            self._condition.notify()
            return True

    def has_room(self) -> bool:
        """Whether a submit now would be accepted (a later one may still find the queue full)."""
        self._forget_parent()
        with self._condition:
            return not self._closed and len(self._queue) < self.capacity

    def wait_idle(self, timeout: float) -> bool:
        """Block until nothing is queued or running; for shutdown and tests."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while self._queue or self._running:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._condition.wait(remaining)
        return True

    def shutdown(self, timeout: float = 5.0) -> bool:
        """Let due tasks finish (bounded by ``timeout``), drop later ones, stop the threads; True if all stopped."""
        with self._condition:
            self._closed = True
            self._queue = [entry for entry in self._queue if entry[0] <= time.monotonic()]
            heapq.heapify(self._queue)
            self._condition.notify_all()
        deadline = time.monotonic() + timeout
        for thread in list(self._threads):
            thread.join(max(0.0, deadline - time.monotonic()))
        return not any(thread.is_alive() for thread in self._threads)

    def _forget_parent(self) -> None:
        if self._pid != os.getpid():
            self._reset()

    def _reset(self) -> None:
        self._condition = threading.Condition()
        self._queue = []
        self._order = itertools.count()
        self._threads: list[threading.Thread] = []
        self._running = 0
        self._closed = False
        self._pid = os.getpid()

    def _start_threads(self) -> None:
        while len(self._threads) < self.workers:
            thread = threading.Thread(target=self._work, name=f"{self.name}-{len(self._threads)}", daemon=True)
            self._threads.append(thread)
            thread.start()

    def _work(self) -> None:
        while True:
            task = self._next_task()
            if task is None:
                return
            try:
                task()
            except Exception:
                log.exception("A push delivery task failed unexpectedly.")
            finally:
                with self._condition:
                    self._running -= 1
                    self._condition.notify_all()

    def _next_task(self) -> Optional[Task]:
        with self._condition:
            while True:
                if self._queue and self._queue[0][0] <= time.monotonic():
                    _due, _order, task = heapq.heappop(self._queue)
                    self._running += 1
                    return task
                if self._closed and not self._queue:
                    return None
                timeout = self._queue[0][0] - time.monotonic() if self._queue else None
                self._condition.wait(timeout)
