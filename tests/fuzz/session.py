"""A fuzzing session: its size (environment switches), Hypothesis settings and counts."""

from __future__ import annotations

import os
import time
from collections import Counter
from typing import Dict, List, Optional

from hypothesis import HealthCheck, settings

EXAMPLES = int(os.environ.get("EDUPUSH_FUZZ_EXAMPLES", "25"))
SEND_KNOWN = os.environ.get("EDUPUSH_FUZZ_KNOWN") == "1"
REPORT_FILE = os.environ.get("EDUPUSH_FUZZ_REPORT")
# Survey mode: a 500 is recorded (by where it was raised) instead of failing the test.
COLLECT_500S = os.environ.get("EDUPUSH_FUZZ_COLLECT") == "1"

FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    report_multiple_bugs=False,  # the tests keep state across examples: the first bug is the one
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)


class FuzzStats:
    """Every fuzzed request of the session: per test and endpoint, per status."""

    def __init__(self):
        self.by_test: Counter = Counter()
        self.by_endpoint: Counter = Counter()
        self.by_status: Counter = Counter()
        self.oracle_requests = 0
        self.known_not_sent: Counter = Counter()
        self.server_errors: List[str] = []
        self.crash_sites: Dict[str, List[str]] = {}
        self.accepted: Counter = Counter()  # fuzzed requests that were accepted (and checked)
        self.first: Optional[float] = None
        self.last: Optional[float] = None

    @property
    def total(self) -> int:
        return sum(self.by_test.values())

    def record(self, test: str, endpoint: str, status: int, description: str) -> None:
        now = time.monotonic()
        self.first = now if self.first is None else self.first
        self.last = now
        self.by_test[test] += 1
        self.by_endpoint[endpoint] += 1
        self.by_status[status] += 1
        if status >= 500:
            self.server_errors.append(description[:2000])

    def as_dict(self) -> dict:
        return {
            "requests": self.total,
            "http_500": self.by_status.get(500, 0),
            "http_5xx": sum(n for status, n in self.by_status.items() if status >= 500),
            "by_test": dict(self.by_test),
            "by_endpoint": dict(self.by_endpoint),
            "by_status": {str(status): n for status, n in sorted(self.by_status.items())},
            "oracle_requests": self.oracle_requests,
            "known_500s_not_sent": dict(self.known_not_sent),
            "accepted_and_checked": dict(self.accepted),
            "seconds_first_to_last_request": round((self.last or 0) - (self.first or 0), 1),
            "examples_per_test": EXAMPLES,
        }

    def summary_lines(self) -> List[str]:
        data = self.as_dict()
        lines = [
            f"fuzzed requests sent: {data['requests']}  HTTP 500: {data['http_500']}  "
            f"(5xx: {data['http_5xx']})  examples per test: {EXAMPLES}",
            f"by status: {data['by_status']}",
            f"by endpoint: {data['by_endpoint']}",
            f"by test: {data['by_test']}",
            f"accepted, and checked to change only what was signed: {data['accepted_and_checked']}",
            f"oracle/setup requests (not counted above): {data['oracle_requests']}",
            f"wall time, first to last fuzzed request: {data['seconds_first_to_last_request']} s",
        ]
        for site, examples in self.crash_sites.items():
            lines.append(f"500 x{examples[0]}: {site}\n    e.g. {examples[1]}")
        if data["known_500s_not_sent"]:
            lines.append(f"known 500s, not sent (EDUPUSH_FUZZ_KNOWN=1 sends them): {data['known_500s_not_sent']}")
        return lines


STATS = FuzzStats()
