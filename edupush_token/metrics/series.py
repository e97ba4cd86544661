"""Every metric series this package exports, with its labels: the one place their names are written.

Process series are counted by the process where the event happens (in
gunicorn's workers, summed over them through ``PROMETHEUS_MULTIPROC_DIR``);
database series are read from the outbox when a scrape asks.  The docs render
their table from :data:`ALL` (``{edupushplus-metrics}``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ..delivery.report import DeliveryState


class Kind(str, enum.Enum):
    COUNTER = "counter"
    GAUGE = "gauge"
    HISTOGRAM = "histogram"


class Source(str, enum.Enum):
    PROCESS = "process"  # counted where it happens
    DATABASE = "database"  # read from the outbox at scrape time


@dataclass(frozen=True)
class Series:
    name: str  # as exposed: counters end in _total
    kind: Kind
    help: str
    labels: tuple[str, ...] = ()
    buckets: tuple[float, ...] = ()
    source: Source = Source.PROCESS
    per_process: bool = False  # a gauge of each process, labelled ``pid`` when several processes share a directory


class Attempt(str, enum.Enum):
    """What one attempt at sending got from Firebase."""

    SENT = "sent"
    TRANSIENT = "transient"  # worth another attempt: 429, 5xx, timeouts, the OAuth endpoint away
    PERMANENT = "permanent"  # no attempt can help: a dead registration, a bad request or credentials


class PiResult(str, enum.Enum):
    """privacyIDEA 3.14's ``result`` label of ``push_delivery_total``."""

    OK = "ok"  # Firebase answered 200
    FAILED = "failed"  # Firebase answered, but not 200
    ERROR = "error"  # no answer from Firebase (connection, timeout, OAuth token, configuration)


class Answer(str, enum.Enum):
    """What became of an answer from a phone."""

    ACCEPTED = "accepted"
    DECLINED = "declined"
    REPEATED = "repeated"  # the same answer again: changes nothing, succeeds
    TOO_LATE = "too_late"  # the login request had expired
    CONFLICTING = "conflicting"  # the request was already answered the other way
    UNKNOWN = "unknown"  # no such login request (any more)
    REFUSED = "refused"  # not verified, or its token is revoked, locked or disabled: HTTP 400/403


# Where a push's story ends: counted once per push.
FINAL_STATES = frozenset(
    {
        DeliveryState.SENT,
        DeliveryState.FAILED,
        DeliveryState.EXPIRED,
        DeliveryState.ANSWERED,
        DeliveryState.SKIPPED,
        DeliveryState.POLL_ONLY,
    }
)

# privacyIDEA 3.14's boundaries for push_delivery_duration_seconds, so that its dashboards read ours alike.
PI_DURATION_BUCKETS = (0.05, 0.1, 0.15, 0.2, 0.25, 0.5, 1.0, 2.0, 5.0)
# From a login's push being stored to Firebase accepting it: milliseconds when healthy, minutes in an outage.
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)

PUSHES = Series(
    "edupushplus_pushes_total",
    Kind.COUNTER,
    "Pushes by how their delivery ended (sent, failed, expired or answered before delivery, skipped, poll-only).",
    ("gateway", "outcome"),
)
DELIVERY_LATENCY = Series(
    "edupushplus_push_delivery_latency_seconds",
    Kind.HISTOGRAM,
    "Seconds from storing a login's push to Firebase accepting it, retries and outages included.",
    ("gateway",),
    LATENCY_BUCKETS,
)
ATTEMPTS = Series(
    "edupushplus_push_attempts_total",
    Kind.COUNTER,
    "Attempts at sending a push to Firebase, by what Firebase's answer (or its absence) meant.",
    ("gateway", "result"),
)
PI_DELIVERIES = Series(
    "push_delivery_total",
    Kind.COUNTER,
    "privacyIDEA 3.14's series: attempts at sending a push; result ok (HTTP 200), failed (other answer), error (none).",
    ("gateway", "result"),
)
PI_DURATION = Series(
    "push_delivery_duration_seconds",
    Kind.HISTOGRAM,
    "privacyIDEA 3.14's series: seconds one attempt at sending a push to Firebase took.",
    ("gateway",),
    PI_DURATION_BUCKETS,
)
OUTBOX_OVERDUE = Series(
    "edupushplus_outbox_overdue_pushes",
    Kind.GAUGE,
    "Pushes due to be sent (first attempts and retries) and not sent yet: being tried, or waiting for a process.",
    source=Source.DATABASE,
)
OUTBOX_OLDEST = Series(
    "edupushplus_outbox_oldest_overdue_seconds",
    Kind.GAUGE,
    "Seconds since the longest-waiting overdue push fell due; 0 when none is overdue.",
    source=Source.DATABASE,
)
OUTBOX_STATES = Series(
    "edupushplus_outbox_pushes",
    Kind.GAUGE,
    "Push records of the last day (what edupush-token deliveries shows) by their delivery state.",
    ("state",),
    source=Source.DATABASE,
)
WAITS_OPEN = Series(
    "edupushplus_push_waits_open",
    Kind.GAUGE,
    "push_wait logins waiting for the phone's answer in this process now.",
    per_process=True,
)
WAIT_SLOTS = Series(
    "edupushplus_push_wait_slots",
    Kind.GAUGE,
    "push_wait logins this process may hold at once (EDUPUSH_PUSH_WAIT_SLOTS or what the server reveals).",
    per_process=True,
)
WAIT_REFUSALS = Series(
    "edupushplus_push_wait_refusals_total",
    Kind.COUNTER,
    "push_wait logins turned into challenge-response because no wait slot was free.",
)
LIMIT_REFUSALS = Series(
    "edupushplus_limit_refusals_total",
    Kind.COUNTER,
    "Pushes refused by a push-bombing limit, by the limit (as the audit log names it).",
    ("limit",),
)
ANSWERS = Series(
    "edupushplus_answers_total",
    Kind.COUNTER,
    "Answers from phones by what they did.",
    ("outcome",),
)

ALL = (
    PUSHES,
    DELIVERY_LATENCY,
    ATTEMPTS,
    PI_DELIVERIES,
    PI_DURATION,
    OUTBOX_OVERDUE,
    OUTBOX_OLDEST,
    OUTBOX_STATES,
    WAITS_OPEN,
    WAIT_SLOTS,
    WAIT_REFUSALS,
    LIMIT_REFUSALS,
    ANSWERS,
)
MULTIPROCESS_DIRECTORY = "PROMETHEUS_MULTIPROC_DIR"  # prometheus_client's environment variable
