"""One push's way through the attempts: send, retry transient failures, report."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Callable, Optional

from ..wire.push_data import PushData
from .dispatcher import Dispatcher
from .firebase import FirebaseGateway, FirebaseSender, Permanent, Sent
from .report import EXPIRED_DETAIL, DeliveryReport, DeliveryState
from .retry import Backoff

Record = Callable[[DeliveryReport, PushData], None]  # the push as sent: signed once it was tried
Sign = Callable[[PushData], PushData]
Settled = Callable[[int], Optional[DeliveryReport]]  # given the attempts so far: the final report if no push is needed


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


def attempt(
    job: DeliveryJob,
    sender: FirebaseSender,
    dispatcher: Dispatcher,
    backoff: Backoff = Backoff(),
    rng: random.Random = random.SystemRandom(),
) -> DeliveryReport:
    """Make one attempt; schedule the next on a transient failure. Returns what was recorded."""
    if time.time() >= job.deadline:
        return _record(job, DeliveryReport(DeliveryState.EXPIRED, EXPIRED_DETAIL, attempts=job.attempts))
    settled = job.settled(job.attempts) if job.attempts else None
    if settled is not None:
        return _record(job, settled)
    job.attempts += 1
    if not job.push.signature:
        job.push = job.sign(job.push)
    result = sender.send(job.gateway, job.push, job.registration_token)
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
    if not dispatcher.submit(lambda: attempt(job, sender, dispatcher, backoff, rng), delay=delay):
        return _record(
            job,
            DeliveryReport(DeliveryState.FAILED, f"delivery queue full after: {result.reason}", attempts=job.attempts),
        )
    return _record(
        job,
        DeliveryReport(DeliveryState.RETRYING, f"retry in {delay:.1f} s after: {result.reason}", attempts=job.attempts),
    )


def _record(job: DeliveryJob, report: DeliveryReport) -> DeliveryReport:
    job.record(report, job.push)
    return report
