"""When and how a stored push leaves for Firebase, and what is recorded of it.

A queued push starts when its login's request has ended (the host's request
finalizer), not while the request still writes its audit entry: signing and
sending would otherwise compete with the response for the one CPU the
request runs on.  The phone cannot tell a few milliseconds; the application
waiting for the response can.  A push_wait login waits inside its request,
so its push goes at once.  Outcomes arrive on the dispatcher's threads,
outside any request, so recording runs in the host's context.
"""

from __future__ import annotations

import enum
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Optional

from .. import runtime
from ..catalogue import POLL_ONLY
from ..crypto import sign_push
from ..delivery import DeliveryReport, DeliveryState
from ..delivery.job import DeliveryJob, Settled, attempt
from ..delivery.report import settled_before_delivery
from ..lifecycle import utc_now
from ..ports import Ports, Runner
from ..wire.push_data import PushData

log = logging.getLogger(__name__)

DELIVERED = (DeliveryState.SENT, DeliveryState.ANSWERED)  # audited as a success: the login got its answer
QUEUE_FULL = "the delivery queue of this process is full"
UNREGISTERED_DETAIL = (
    "Firebase reported this phone's registration as unregistered; the phone must poll until it sends a new "
    "Firebase token"
)


class Sending(enum.Enum):
    """When a push leaves, relative to the request that made it."""

    IN_REQUEST = "in request"  # the synchronous_delivery policy: a failure reaches the response
    AT_ONCE = "at once"  # push_wait: the request itself waits for the answer
    AFTER_REQUEST = "after request"  # everything else


@dataclass(frozen=True)
class Recipient:
    """The phone a push goes to, as its token knows it."""

    serial: str
    gateway_name: str
    registration_token: str
    unregistered: bool  # Firebase said this registration is gone; the phone polls until it sends a new one
    encrypted_server_key: str


def first_state(gateway_name: str) -> DeliveryState:
    """The state a push is stored with, before anything was sent."""
    return DeliveryState.POLL_ONLY if gateway_name == POLL_ONLY else DeliveryState.QUEUED


def deliver(
    ports: Ports, recipient: Recipient, challenge_id: int, expiration_deadline: float, push: PushData, sending: Sending
) -> DeliveryReport:
    """Hand a stored challenge's push to Firebase; returns the first outcome.

    ``expiration_deadline`` is the challenge's expiry as ``time.time()``: no push leaves after it.
    """
    if recipient.gateway_name == POLL_ONLY:
        return DeliveryReport(DeliveryState.POLL_ONLY)
    in_host = ports.host.context_runner()
    record = _recorder(ports, recipient, challenge_id, push.nonce, in_host)
    if recipient.unregistered:
        return _first(record, DeliveryReport(DeliveryState.SKIPPED, UNREGISTERED_DETAIL), push)

    def sign(unsigned: PushData) -> PushData:
        private_key = in_host(lambda: ports.secrets.decrypt(recipient.encrypted_server_key))
        return sign_push(private_key, unsigned)

    def first_attempt() -> DeliveryReport:
        gateway = in_host(lambda: ports.host.firebase_gateway(recipient.gateway_name))
        if gateway is None:
            failure = DeliveryReport(
                DeliveryState.FAILED, f"there is no Firebase gateway named {recipient.gateway_name!r}"
            )
            return _first(record, failure, push)
        settled = _settled(ports, challenge_id, push.nonce, in_host)
        job = DeliveryJob(
            push, recipient.registration_token, gateway, expiration_deadline, record, sign, settled=settled
        )
        return attempt(job, runtime.sender, runtime.deliveries)

    def queue() -> DeliveryReport:
        if runtime.deliveries.submit(first_attempt):
            return DeliveryReport(DeliveryState.QUEUED)
        return _first(record, DeliveryReport(DeliveryState.FAILED, QUEUE_FULL), push)

    if sending is Sending.IN_REQUEST:
        return first_attempt()
    if sending is Sending.AFTER_REQUEST and runtime.deliveries.has_room() and ports.host.after_request(queue):
        return DeliveryReport(DeliveryState.QUEUED)
    return queue()


def seconds_from_now(expiration: datetime) -> float:
    """A challenge's aware-UTC expiry as a ``time.time()`` deadline."""
    return time.time() + (expiration - utc_now()).total_seconds()


Record = Callable[[DeliveryReport, PushData], None]


def _first(record: Record, report: DeliveryReport, push: PushData) -> DeliveryReport:
    record(report, push)
    return report


def _settled(ports: Ports, challenge_id: int, nonce: str, in_host: Runner) -> Settled:
    """Whether the login still needs this push, read fresh from the store before a retry."""

    def settled(attempts: int) -> Optional[DeliveryReport]:
        status = in_host(lambda: ports.store.challenge_status(challenge_id, nonce))
        return settled_before_delivery(status, ports.clock.now(), attempts)

    return settled


def _recorder(ports: Ports, recipient: Recipient, challenge_id: int, nonce: str, in_host: Runner) -> Record:
    def write(report: DeliveryReport, push: PushData) -> None:
        ports.store.record_delivery(challenge_id, nonce, report, push)
        if report.unregistered:
            ports.store.mark_unregistered(recipient.serial)
        if report.state not in (DeliveryState.QUEUED, DeliveryState.POLL_ONLY):
            info = report.detail or (f"message {report.message_id}" if report.message_id else "")
            detail = f"{report.state.value}, {report.attempts} attempt(s), {recipient.gateway_name}"
            ports.audit.record_event("push delivery", recipient.serial, info, report.state in DELIVERED, detail)

    def record(report: DeliveryReport, push: PushData) -> None:
        in_host(lambda: write(report, push))
        if report.state is DeliveryState.FAILED:
            log.warning(
                "Push for token %s via gateway %r failed: %s", recipient.serial, recipient.gateway_name, report.detail
            )

    return record
