"""A thread per process that sweeps the outbox: every second while there is work, seldom when idle.

Like the dispatcher it starts lazily and notices a fork by its process id:
a forked child starts its own thread at its first use.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Callable, Optional

log = logging.getLogger(__name__)

Sweep = Callable[[], int]  # takes over what is due; returns how many pushes it took


class Poller:
    _thread: Optional[threading.Thread]
    _closed: bool
    _wake_at: float
    _pid: int
    _sweep: Sweep

    def __init__(self, busy_interval: float = 1.0, idle_interval: float = 8.0, name: str = "edupushplus-outbox"):
        self.busy_interval = busy_interval
        self.idle_interval = idle_interval
        self.name = name
        self._reset()

    def start(self, sweep: Sweep) -> None:
        """Sweep now and from time to time, with the latest ``sweep`` given (one per application, in production)."""
        if self._pid != os.getpid():
            self._reset()
        with self._condition:
            self._sweep = sweep
            if self._thread is not None or self._closed:
                return
            thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self._thread = thread
            thread.start()

    def nudge(self, delay: float) -> None:
        """Sweep no later than ``delay`` seconds from now: a push of this process falls due then."""
        if self._pid != os.getpid():
            return
        with self._condition:
            self._wake_at = min(self._wake_at, time.monotonic() + max(0.0, delay))
            self._condition.notify()

    def stop(self, timeout: float = 2.0) -> None:
        if self._pid != os.getpid():
            return
        with self._condition:
            self._closed = True
            self._condition.notify()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _reset(self) -> None:
        self._condition = threading.Condition()
        self._thread = None
        self._closed = False
        self._wake_at = 0.0
        self._pid = os.getpid()

    def _run(self) -> None:
        interval = self.busy_interval
        while self._wait():
            with self._condition:
                self._wake_at = float("inf")  # a nudge during the sweep still counts
            try:
                taken = self._sweep()
            except Exception:
                log.exception("Sweeping the push outbox failed; trying again later.")
                taken = 0
            interval = self.busy_interval if taken else min(self.idle_interval, interval * 2)
            with self._condition:
                self._wake_at = min(self._wake_at, time.monotonic() + interval)

    def _wait(self) -> bool:
        """Wait until the next sweep is due; False once stopped."""
        with self._condition:
            while not self._closed:
                remaining = self._wake_at - time.monotonic()
                if remaining <= 0:
                    return True
                self._condition.wait(remaining)
            return False
