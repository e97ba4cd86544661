"""One attempt at sending a push: send, or say when to try again, or why not; and record it.

A transient failure is recorded as RETRYING with the delay before the next
attempt; the outbox (``outbox.py``) keeps the push due from then on, so any
process may make that attempt.  Attempts go on for as long as the challenge
is valid, and never for a login that no longer needs its push.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass, field
from typing import Callable, Optional

from ..catalogue import ATTEMPT_REQUESTS
from ..metrics.recorder import recorder
from ..metrics.series import Attempt, PiResult
from ..wire.push_data import PushData
from .firebase import FirebaseGateway, FirebaseSender, Permanent, SendResult, Sent
from .report import EXPIRED_DETAIL, DeliveryReport, DeliveryState
from .retry import Backoff

Record = Callable[[DeliveryReport, PushData], None]  # the push as sent: signed once it was tried
Sign = Callable[[PushData], PushData]
Settled = Callable[[int], Optional[DeliveryReport]]  # given the attempts so far: the final report if no push is needed
LEASE_ENDED = "this process's hold on the push ended before it could be sent; another process sends it"


def never_settled(attempts: int) -> Optional[DeliveryReport]:
    return None


@dataclass
class DeliveryJob:
    push: PushData
    registration_token: str
    gateway: FirebaseGateway
    deadline: float  # time.time() after which the challenge is gone and no push may leave
    record: Record
    sign: Sign  # pushes are signed here, off the login's path, unless a poll signed them first
    attempts: int = field(default=0)
    settled: Settled = never_settled  # asked before a retry and before giving up: the login may be over
    lease_ends: float = math.inf  # time.time() after which another process may send this push
    resumed: bool = False  # taken over from the outbox: the login may be over before the first attempt here


def attempt(
    job: DeliveryJob,
    sender: FirebaseSender,
    backoff: Backoff = Backoff(),
    rng: random.Random = random.SystemRandom(),
) -> DeliveryReport:
    """Make one attempt and record its outcome; returns what was recorded.

    An attempt that could outlast this process's lease (its token request and
    its send, each up to the gateway's timeout) is not made (nor recorded):
    the push stays due, and whoever takes it over sends it.
    """
    if time.time() + ATTEMPT_REQUESTS * job.gateway.http_timeout >= job.lease_ends:
        return DeliveryReport(DeliveryState.QUEUED, LEASE_ENDED, attempts=job.attempts)
    settled = job.settled(job.attempts) if job.attempts or job.resumed else None
    if settled is not None:
        return _record(job, settled)
    if time.time() >= job.deadline:
        return _record(job, DeliveryReport(DeliveryState.EXPIRED, EXPIRED_DETAIL, attempts=job.attempts))
    job.attempts += 1
    if not job.push.signature:
        job.push = job.sign(job.push)
    started = time.monotonic()
    result = sender.send(job.gateway, job.push, job.registration_token)
    recorder.attempt(job.gateway.name, *_judged(result), time.monotonic() - started)
    if isinstance(result, Sent):
        return _record(job, DeliveryReport(DeliveryState.SENT, message_id=result.message_id, attempts=job.attempts))
    if isinstance(result, Permanent):
        state = DeliveryReport(
            DeliveryState.FAILED, result.reason, attempts=job.attempts, unregistered=result.unregistered
        )
        return _record(job, state)
    delay = backoff.next_delay(job.attempts, result.retry_after, job.deadline - time.time(), rng)
    if delay is None:
        settled = job.settled(job.attempts)
        failed = DeliveryReport(DeliveryState.FAILED, f"gave up: {result.reason}", attempts=job.attempts)
        return _record(job, settled or failed)
    retrying = DeliveryReport(
        DeliveryState.RETRYING,
        f"retry in {delay:.1f} s after: {result.reason}",
        attempts=job.attempts,
        retry_in=delay,
    )
    return _record(job, retrying)


def _judged(result: SendResult) -> tuple[Attempt, PiResult]:
    """An attempt's result in the metrics' words: ours, and privacyIDEA's (HTTP 200, another answer, none)."""
    if isinstance(result, Sent):
        return Attempt.SENT, PiResult.OK
    attempt = Attempt.PERMANENT if isinstance(result, Permanent) else Attempt.TRANSIENT
    return attempt, PiResult.FAILED if result.answered else PiResult.ERROR


def _record(job: DeliveryJob, report: DeliveryReport) -> DeliveryReport:
    job.record(report, job.push)
    return report
