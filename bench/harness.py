"""What every workload shares: interleaved series, timing, statistics, result rows.

The two token types are always measured in one loop, taking turns in every
order, so whatever else the machine is doing at the time hits both alike.
"""

from __future__ import annotations

import itertools
import math
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Mapping, Optional

BUILT_IN = "built-in"
OURS = "ours"

# A step runs one call of one variant and says how long each of its timed
# parts took, in seconds, e.g. {"trigger": 0.021, "answer": 0.012}.
Step = Callable[[], Mapping[str, float]]
Samples = Dict[str, Dict[str, List[float]]]  # variant -> timed part -> milliseconds


class BenchError(Exception):
    """The setup or a request did not do what the measurement relies on."""


def say(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def interleaved(steps: Mapping[str, Step], calls: int, warmup: int) -> Samples:
    """Run each variant's step ``warmup`` times untimed, then ``calls`` times, taking turns.

    The order cycles through all permutations of the variants, so each goes
    first and last equally often.
    """
    for _ in range(warmup):
        for step in steps.values():
            step()
    samples: Samples = defaultdict(lambda: defaultdict(list))
    orders = itertools.cycle(itertools.permutations(steps))
    for _ in range(calls):
        for variant in next(orders):
            for part, seconds in steps[variant]().items():
                samples[variant][part].append(seconds * 1000)
    return {variant: dict(parts) for variant, parts in samples.items()}


def time_call(call: Callable[[], object]):
    """``(result, seconds)`` of one call."""
    started = time.perf_counter()
    result = call()
    return result, time.perf_counter() - started


class TimedTransport:
    """Wraps an emulated phone's transport to time the HTTP exchange alone.

    The phone's own work (signing with its RSA key, checking the server's
    signatures) happens outside the transport, so it is not in the figure.
    ``finished`` is the ``perf_counter`` moment the last response came back.
    """

    def __init__(self, inner):
        self.inner = inner
        self.seconds: Optional[float] = None
        self.finished: Optional[float] = None
        self.response = None

    def post_form(self, url, fields):
        return self._timed(self.inner.post_form, url, fields)

    def post_text(self, url, body):
        return self._timed(self.inner.post_text, url, body)

    def get_raw(self, url):
        return self._timed(self.inner.get_raw, url)

    def _timed(self, send, *arguments):
        started = time.perf_counter()
        self.response = send(*arguments)
        self.finished = time.perf_counter()
        self.seconds = self.finished - started
        return self.response


def summarize(values_ms: List[float]) -> dict:
    return {
        "n": len(values_ms),
        "median_ms": statistics.median(values_ms),
        "p95_ms": percentile(values_ms, 0.95),
        "min_ms": min(values_ms),
        "max_ms": max(values_ms),
    }


def percentile(values, fraction: float) -> float:
    """Nearest rank: always a value that was actually measured."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


@dataclass(frozen=True)
class Target:
    """What an issue asks of a row: a ratio ours / built-in, or an absolute time of ours."""

    statistic: str  # "median" or "p95"
    limit: float
    absolute_ms: bool = False

    def describe(self) -> str:
        if self.absolute_ms:
            return f"ours {self.statistic} < {self.limit:g} ms"
        return f"{self.statistic} ratio ≤ {self.limit:g}"

    def met(self, row: "Row") -> Optional[bool]:
        if self.absolute_ms:
            return row.stats[OURS][f"{self.statistic}_ms"] < self.limit
        ratio = row.ratios.get(self.statistic)
        return None if ratio is None else ratio <= self.limit


@dataclass
class Row:
    """One line of the result table: the same measurement for both token types."""

    key: str
    label: str
    samples_ms: Dict[str, List[float]]
    target: Optional[Target] = None
    notes: List[str] = field(default_factory=list)

    @property
    def stats(self) -> Dict[str, dict]:
        return {variant: summarize(values) for variant, values in self.samples_ms.items()}

    @property
    def ratios(self) -> Dict[str, float]:
        stats = self.stats
        if BUILT_IN not in stats or OURS not in stats:
            return {}
        ours, built_in = stats[OURS], stats[BUILT_IN]
        return {
            statistic: ours[f"{statistic}_ms"] / built_in[f"{statistic}_ms"]
            for statistic in ("median", "p95")
            if built_in[f"{statistic}_ms"] > 0
        }

    def as_json(self) -> dict:
        return {
            "key": self.key,
            "label": self.label,
            "stats": self.stats,
            "ratios_ours_over_built_in": self.ratios,
            "target": None if self.target is None else self.target.describe(),
            "target_met": None if self.target is None else self.target.met(self),
            "notes": self.notes,
            "samples_ms": self.samples_ms,
        }
