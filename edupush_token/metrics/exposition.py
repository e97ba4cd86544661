"""The metrics in Prometheus's text format: the processes' series and the outbox as the database has it.

With ``PROMETHEUS_MULTIPROC_DIR`` set (as it must be under gunicorn and any
server with several processes) every process writes its series to files
there and a scrape sums them over all of them, whichever process serves it;
without it a scrape sees the series of the process that serves it.  The
outbox series are read from the database, so any process, and the
``edupush-token metrics`` command, reports the same outbox.
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path
from typing import Iterable, Iterator, Optional

from prometheus_client import CollectorRegistry, generate_latest, write_to_textfile
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector

from ..delivery.outbox import OutboxSummary
from . import series
from .recorder import Recorder, recorder

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"  # the classic text format that generate_latest writes
_LIVE_GAUGE_FILE = re.compile(r"gauge_live[a-z]+_(\d+)\.db")


class _Outbox(Collector):
    """The outbox series, from one summary read at scrape time."""

    def __init__(self, summary: OutboxSummary, now: datetime) -> None:
        self._summary = summary
        self._now = now

    def collect(self) -> Iterable[Metric]:
        summary = self._summary
        yield GaugeMetricFamily(series.OUTBOX_OVERDUE.name, series.OUTBOX_OVERDUE.help, value=summary.overdue)
        oldest = 0.0 if summary.oldest_overdue is None else (self._now - summary.oldest_overdue).total_seconds()
        yield GaugeMetricFamily(series.OUTBOX_OLDEST.name, series.OUTBOX_OLDEST.help, value=max(0.0, oldest))
        states = GaugeMetricFamily(
            series.OUTBOX_STATES.name, series.OUTBOX_STATES.help, labels=series.OUTBOX_STATES.labels
        )
        for state, count in sorted(summary.states.items()):
            states.add_metric([state], count)
        yield states


class _ThisProcess(Collector):
    """This process's own series (not the rest of prometheus_client's default registry)."""

    def __init__(self, source: Recorder) -> None:
        self._source = source

    def collect(self) -> Iterator[Metric]:
        for metric in self._source.metrics():
            yield from metric.collect()


def registry(outbox: Optional[OutboxSummary], now: datetime, source: Recorder = recorder) -> CollectorRegistry:
    """What a scrape reports: the processes' series, and the outbox's if ``outbox`` was read."""
    collected = CollectorRegistry(auto_describe=False)
    directory = os.environ.get(series.MULTIPROCESS_DIRECTORY)
    if directory and Path(directory).is_dir():
        forget_dead_processes(Path(directory))
        MultiProcessCollector(collected, path=directory)  # type: ignore[no-untyped-call]
    else:
        collected.register(_ThisProcess(source))
    if outbox is not None:
        collected.register(_Outbox(outbox, now))
    return collected


def render(outbox: Optional[OutboxSummary], now: datetime, source: Recorder = recorder) -> bytes:
    return generate_latest(registry(outbox, now, source))


def write_textfile(path: Path, outbox: Optional[OutboxSummary], now: datetime) -> None:
    """For node_exporter's textfile collector: written beside ``path`` and renamed, so it is never read half-done."""
    write_to_textfile(str(path), registry(outbox, now))


def forget_dead_processes(directory: Path) -> list[int]:
    """Drop the per-process gauges of processes that are gone (killed ones never said so); their pids.

    Counters and histograms of dead processes stay: their counts happened.
    """
    pids = sorted({int(found.group(1)) for found in map(_LIVE_GAUGE_FILE.fullmatch, os.listdir(directory)) if found})
    gone = [pid for pid in pids if not _alive(pid)]
    for pid in gone:
        mark_process_dead(pid, str(directory))  # type: ignore[no-untyped-call]
    return gone


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True
