"""What the service and delivery layers tell the metrics, in their words; hosts only expose the result.

The series are prometheus_client metrics, made at their first use: a
process that never records (a command that only reads the outbox) leaves no
files in a multiprocess directory.  Recording never raises: a full disk
under ``PROMETHEUS_MULTIPROC_DIR`` must not cost a login.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
from typing import Any, Callable, Optional, TypeVar, Union

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.multiprocess import mark_process_dead

from ..delivery.report import DeliveryState
from ..limits import Limit
from . import series
from .series import Answer, Attempt, Kind, PiResult, Series

log = logging.getLogger(__name__)

Metric = Union[Counter, Gauge, Histogram]
Recording = TypeVar("Recording", bound=Callable[..., None])


def _never_raises(record: Recording) -> Recording:
    @functools.wraps(record)
    def safely(self: "Recorder", *args: Any) -> None:
        try:
            record(self, *args)
        except Exception as error:
            self.failed(error)

    return safely  # type: ignore[return-value]


class Recorder:
    """The process's metrics, in ``registry`` (prometheus_client's default in production)."""

    def __init__(self, registry: CollectorRegistry = REGISTRY) -> None:
        self.registry = registry
        self._metrics: dict[str, Metric] = {}
        self._lock = threading.Lock()
        self._warned = False

    @_never_raises
    def attempt(self, gateway: str, result: Attempt, pi_result: PiResult, seconds: float) -> None:
        """One attempt at sending, ``seconds`` long."""
        self._labelled(series.ATTEMPTS, gateway, result.value).inc()
        self._labelled(series.PI_DELIVERIES, gateway, pi_result.value).inc()
        self._labelled(series.PI_DURATION, gateway).observe(seconds)

    @_never_raises
    def push_ended(self, gateway: str, state: DeliveryState, latency: Optional[float]) -> None:
        """A push's delivery reached a final state; ``latency``: seconds from its storing, where it was sent."""
        if state not in series.FINAL_STATES:
            return
        self._labelled(series.PUSHES, gateway, state.value).inc()
        if state is DeliveryState.SENT and latency is not None:
            self._labelled(series.DELIVERY_LATENCY, gateway).observe(max(0.0, latency))

    @_never_raises
    def limit_refused(self, limit: Limit) -> None:
        self._labelled(series.LIMIT_REFUSALS, limit.value).inc()

    @_never_raises
    def answered(self, outcome: Answer) -> None:
        self._labelled(series.ANSWERS, outcome.value).inc()

    @_never_raises
    def wait_refused(self) -> None:
        self._labelled(series.WAIT_REFUSALS).inc()

    @_never_raises
    def wait_slots(self, capacity: int) -> None:
        self._labelled(series.WAIT_SLOTS).set(capacity)

    @_never_raises
    def waiting(self, change: int) -> None:
        """A push_wait began (+1) or ended (-1) in this process."""
        self._labelled(series.WAITS_OPEN).inc(change)

    def metrics(self) -> list[Metric]:
        """The series recorded so far in this process."""
        with self._lock:
            return list(self._metrics.values())

    @_never_raises
    def process_ended(self) -> None:
        """At a process's normal exit: its per-process gauges leave the multiprocess directory with it."""
        directory = os.environ.get(series.MULTIPROCESS_DIRECTORY)
        if directory and os.path.isdir(directory):
            mark_process_dead(os.getpid(), directory)  # type: ignore[no-untyped-call]

    def failed(self, error: Exception) -> None:
        if not self._warned:
            self._warned = True
            log.warning("Recording a metric failed (%s: %s); metrics may be incomplete.", type(error).__name__, error)

    def _labelled(self, which: Series, *values: str) -> Any:
        metric = self._metric(which)
        return metric.labels(*values) if which.labels else metric

    def _metric(self, which: Series) -> Metric:
        with self._lock:
            metric = self._metrics.get(which.name)
            if metric is None:
                metric = _made(which, self.registry)
                self._metrics[which.name] = metric
            return metric


def _made(which: Series, registry: CollectorRegistry) -> Metric:
    directory = os.environ.get(series.MULTIPROCESS_DIRECTORY)
    if directory:
        os.makedirs(directory, exist_ok=True)  # prometheus_client writes its files there, but makes no directory
    if which.kind is Kind.COUNTER:
        return Counter(which.name, which.help, which.labels, registry=registry)
    if which.kind is Kind.HISTOGRAM:
        return Histogram(which.name, which.help, which.labels, registry=registry, buckets=which.buckets)
    if which.per_process:
        return Gauge(which.name, which.help, which.labels, registry=registry, multiprocess_mode="liveall")
    return Gauge(which.name, which.help, which.labels, registry=registry, multiprocess_mode="livesum")


recorder = Recorder()
