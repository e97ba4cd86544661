"""When and how a stored push leaves for Firebase, and what is recorded of it.

A queued push starts when its login's request has ended (the host's request
finalizer), not while the request still writes its audit entry: signing and
sending would otherwise compete with the response for the one CPU the
request runs on.  The phone cannot tell a few milliseconds; the application
waiting for the response can.  A push_wait login waits inside its request,
so its push goes at once.  Outcomes arrive on the dispatcher's threads,
outside any request, so recording runs in the host's context.

The push is stored held by this process (its lease), so no other process
sends it meanwhile.  A push that is not sent at the first attempt waits in
the outbox (:mod:`edupush_token.delivery.outbox`), not in this process: the
sweeps of every process take it over when it is due (``sweep``).
"""

from __future__ import annotations

import enum
import functools
import logging
import math
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Mapping, Optional

from .. import runtime
from ..catalogue import OUTBOX_BATCH, POLL_ONLY, Info
from ..crypto import sign_push
from ..delivery import DeliveryReport, DeliveryState
from ..delivery.job import DeliveryJob, Settled, attempt
from ..delivery.outbox import DuePush, Lease, lease_from
from ..delivery.report import settled_before_delivery
from ..lifecycle import utc_now
from ..metrics.recorder import recorder
from ..ports import Ports, Runner
from ..wire.pi_app import NO_FIREBASE_TOKEN
from ..wire.push_data import PushData

log = logging.getLogger(__name__)

DELIVERED = (DeliveryState.SENT, DeliveryState.ANSWERED)  # audited as a success: the login got its answer
QUEUE_FULL = "the delivery queue of this process is full; any process with room takes the push over"
UNREGISTERED_DETAIL = (
    "Firebase reported this phone's registration as unregistered; the phone must poll until it sends a new "
    "Firebase token"
)
NO_LONGER_PUSHED = "the token no longer has a Firebase gateway; the phone polls for its requests"


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


def first_lease(gateway_name: str, now: datetime) -> Optional[Lease]:
    """This process's hold on a push it is about to send, written with the push (none for poll only)."""
    return None if gateway_name == POLL_ONLY else lease_from(runtime.lease_owner(), now)


def recipient_from_info(serial: str, info: Mapping[str, str]) -> Recipient:
    """The phone a token pushes to, from its raw tokeninfo (``RECIPIENT_INFO``).

    A privacyIDEA app without Firebase (a store build on a site without its
    vendor's Firebase project) says so with its Firebase token: it polls.
    """
    registration_token = info.get(Info.FIREBASE_TOKEN) or ""
    return Recipient(
        serial=serial,
        gateway_name=POLL_ONLY
        if registration_token == NO_FIREBASE_TOKEN
        else info.get(Info.FIREBASE_CONFIG) or POLL_ONLY,
        registration_token=registration_token,
        unregistered=bool(info.get(Info.REGISTRATION_STATE)),
        encrypted_server_key=info.get(Info.SERVER_PRIVATE_KEY, ""),
    )


RECIPIENT_INFO = (Info.FIREBASE_CONFIG, Info.FIREBASE_TOKEN, Info.REGISTRATION_STATE, Info.SERVER_PRIVATE_KEY)


@dataclass(frozen=True)
class Pending:
    """A stored push to be attempted by this process."""

    recipient: Recipient
    challenge_id: int
    push: PushData
    deadline: float  # the challenge's expiry as time.time(): no push leaves after it
    attempts: int = 0
    lease_ends: float = math.inf  # as time.time(): this process's hold on the push ends
    resumed: bool = False  # taken over from the outbox
    stored_at: Optional[float] = None  # as time.time(): when the login stored the push (for the latency metric)


def deliver(
    ports: Ports,
    recipient: Recipient,
    challenge_id: int,
    expiration_deadline: float,
    push: PushData,
    sending: Sending,
    lease: Optional[Lease] = None,
) -> DeliveryReport:
    """Hand a stored challenge's push to Firebase; returns the first outcome.

    ``expiration_deadline`` is the challenge's expiry as ``time.time()``: no push leaves after it.
    ``lease`` is this process's hold on the push, written with it (``first_lease``).
    """
    if recipient.gateway_name == POLL_ONLY:
        recorder.push_ended(POLL_ONLY, DeliveryState.POLL_ONLY, None)
        return DeliveryReport(DeliveryState.POLL_ONLY)
    in_host = ports.host.context_runner()
    keep_swept(ports, in_host)
    lease_ends = time.time() + lease.left(ports.clock.now()) if lease is not None else math.inf
    pending = Pending(recipient, challenge_id, push, expiration_deadline, lease_ends=lease_ends, stored_at=time.time())
    if recipient.unregistered:
        return _skip(ports, pending, in_host)

    def first_attempt() -> DeliveryReport:
        return _attempt(ports, pending, in_host)

    def queue() -> DeliveryReport:
        if runtime.deliveries.submit(first_attempt):
            return DeliveryReport(DeliveryState.QUEUED)
        record = _recorder(ports, pending, in_host)
        return _first(record, DeliveryReport(DeliveryState.RETRYING, QUEUE_FULL, retry_in=0.0), push)

    if sending is Sending.IN_REQUEST:
        return first_attempt()
    if sending is Sending.AFTER_REQUEST and runtime.deliveries.has_room() and ports.host.after_request(queue):
        return DeliveryReport(DeliveryState.QUEUED)
    return queue()


def keep_swept(ports: Ports, in_host: Runner) -> None:
    """Sweep the outbox from this process from now on, and hand its pushes back when the process ends."""
    runtime.keep_outbox_swept(
        lambda: sweep(ports, in_host), lambda: in_host(lambda: ports.store.release_leases(runtime.lease_owner()))
    )


def sweep(ports: Ports, in_host: Runner) -> int:
    """Take over the pushes that are due and held by nobody, and queue their attempts here; how many."""
    if not runtime.deliveries.has_room():
        return 0
    now = ports.clock.now()
    lease = lease_from(runtime.lease_owner(), now)
    due: list[DuePush] = in_host(lambda: ports.store.claim_overdue(lease, OUTBOX_BATCH))
    if not due:
        return 0
    infos = in_host(lambda: ports.store.tokens_info(sorted({push.serial for push in due}), RECIPIENT_INFO))
    for taken in due:
        pending = Pending(
            recipient_from_info(taken.serial, infos.get(taken.serial, {})),
            taken.challenge_id,
            taken.push,
            math.inf if taken.expires_at is None else time.time() + (taken.expires_at - now).total_seconds(),
            attempts=taken.attempts,
            lease_ends=time.time() + lease.left(now),
            resumed=True,
            stored_at=None if taken.created is None else time.time() + (taken.created - now).total_seconds(),
        )
        runtime.deliveries.submit(functools.partial(_resume, ports, pending, in_host))
    return len(due)


def _resume(ports: Ports, pending: Pending, in_host: Runner) -> DeliveryReport:
    if pending.recipient.unregistered or pending.recipient.gateway_name == POLL_ONLY:
        return _skip(ports, pending, in_host)
    return _attempt(ports, pending, in_host)


def _skip(ports: Ports, pending: Pending, in_host: Runner) -> DeliveryReport:
    record = _recorder(ports, pending, in_host)
    detail = UNREGISTERED_DETAIL if pending.recipient.unregistered else NO_LONGER_PUSHED
    return _first(record, DeliveryReport(DeliveryState.SKIPPED, detail, attempts=pending.attempts), pending.push)


def _attempt(ports: Ports, pending: Pending, in_host: Runner) -> DeliveryReport:
    """One attempt at a stored push, on a dispatcher thread; a retry falls due in the outbox."""
    recipient = pending.recipient
    record = _recorder(ports, pending, in_host)
    gateway = in_host(lambda: ports.host.firebase_gateway(recipient.gateway_name))
    if gateway is None:
        failure = DeliveryReport(
            DeliveryState.FAILED,
            f"there is no Firebase gateway named {recipient.gateway_name!r}",
            attempts=pending.attempts,
        )
        return _first(record, failure, pending.push)

    def sign(unsigned: PushData) -> PushData:
        private_key = in_host(lambda: ports.secrets.decrypt(recipient.encrypted_server_key))
        return sign_push(private_key, unsigned)

    job = DeliveryJob(
        pending.push,
        recipient.registration_token,
        gateway,
        pending.deadline,
        record,
        sign,
        attempts=pending.attempts,
        settled=_settled(ports, pending.challenge_id, pending.push.nonce, in_host),
        lease_ends=pending.lease_ends,
        resumed=pending.resumed,
    )
    report = attempt(job, runtime.sender)
    if report.retry_in is not None:
        runtime.outbox.nudge(report.retry_in)
    return report


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


def _recorder(ports: Ports, pending: Pending, in_host: Runner) -> Record:
    """Writes each outcome of the push; a final one also goes to the audit log, and to the metrics if written.

    An outcome is not written once another process holds the push (this one's lease ran out): that
    process's outcome is the one counted.
    """
    recipient = pending.recipient

    def write(report: DeliveryReport, push: PushData) -> bool:
        holder = runtime.lease_owner()
        written = ports.store.record_delivery(pending.challenge_id, pending.push.nonce, report, push, holder)
        if report.unregistered:
            ports.store.mark_unregistered(recipient.serial)
        if report.state not in (DeliveryState.QUEUED, DeliveryState.POLL_ONLY):
            info = report.detail or (f"message {report.message_id}" if report.message_id else "")
            detail = f"{report.state.value}, {report.attempts} attempt(s), {recipient.gateway_name}"
            ports.audit.record_event("push delivery", recipient.serial, info, report.state in DELIVERED, detail)
        return written

    def record(report: DeliveryReport, push: PushData) -> None:
        if in_host(lambda: write(report, push)):
            latency = None if pending.stored_at is None else time.time() - pending.stored_at
            recorder.push_ended(recipient.gateway_name, report.state, latency)
        if report.state is DeliveryState.FAILED:
            log.warning(
                "Push for token %s via gateway %r failed: %s", recipient.serial, recipient.gateway_name, report.detail
            )

    return record
