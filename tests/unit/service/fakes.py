"""In-memory fakes of :mod:`edupush_token.ports`, small enough to read in one go."""

from __future__ import annotations

import base64
import contextlib
import itertools
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Callable, Iterator, Optional

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from edupush_token.catalogue import Scope
from edupush_token.crypto import ServerKeyPair
from edupush_token.delivery import DeliveryState
from edupush_token.delivery.firebase import FirebaseGateway
from edupush_token.delivery.outbox import DuePush, Lease, next_due
from edupush_token.lifecycle import ChallengeStatus
from edupush_token.limits import PushHistory
from edupush_token.matching import STANDARD, AnswerCheck
from edupush_token.ports import Ports
from edupush_token.storage.challenges import (
    CANCEL_ANSWER,
    CONFIRM_ANSWER,
    DECLINE_ANSWER,
    PhoneSideToken,
    SavedChallenge,
    StoredChallenge,
)
from edupush_token.wire.push_data import PushData

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=timezone.utc)


class FakePolicies:
    """Policy values by (scope, action); booleans are actions present with value True."""

    def __init__(self, **values: object) -> None:
        self.values: dict[tuple[Scope, str], object] = {}
        for name, value in values.items():
            self.set(name, value)

    def set(self, action: str, value: object, scope: Optional[Scope] = None) -> "FakePolicies":
        for each in (scope,) if scope else tuple(Scope):
            self.values[(each, action)] = value
        return self

    def value(self, scope: Scope, action: str) -> Optional[str]:
        value = self.values.get((scope, action))
        return None if value is None or value is True else str(value)

    def enabled(self, scope: Scope, action: str) -> bool:
        return self.values.get((scope, action)) is True


@dataclass
class FakeClock:
    moment: datetime = NOW

    def now(self) -> datetime:
        return self.moment

    def advance(self, seconds: float) -> None:
        self.moment += timedelta(seconds=seconds)


class FakeSecrets:
    """Reversible and visibly "encrypted"."""

    def encrypt(self, text: str) -> str:
        return "enc:" + text

    def decrypt(self, text: str) -> str:
        assert text.startswith("enc:"), "decrypting something never encrypted"
        return text[len("enc:") :]


@dataclass
class FakeAudit:
    events: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    def record_event(self, event: str, serial: str, info: str, success: bool, detail: str = "") -> None:
        self.events.append((event, serial, success))

    def note_in_request(self, event: str, info: str) -> None:
        self.notes.append(event)

    def names(self) -> list[str]:
        return [event for event, _serial, _success in self.events]


@dataclass
class FakeHost:
    gateways: dict = field(default_factory=dict)
    in_request: bool = True
    finalizers: list = field(default_factory=list)

    def after_request(self, callback: Callable[[], object]) -> bool:
        if self.in_request:
            self.finalizers.append(callback)
        return self.in_request

    def context_runner(self) -> Callable:
        return lambda work: work()

    def firebase_gateway(self, name: str) -> Optional[FirebaseGateway]:
        return self.gateways.get(name)

    def end_request(self) -> None:
        for callback in self.finalizers:
            callback()
        self.finalizers.clear()


@dataclass
class Row:
    id: int
    serial: str
    transaction_id: str
    push: PushData
    expiration: datetime
    created: datetime
    state: DeliveryState
    accepted: bool = False
    declined: bool = False
    answered: Optional[datetime] = None
    deliveries: list = field(default_factory=list)
    next_attempt_at: Optional[datetime] = None  # the outbox's columns, as the real store keeps them
    lease_owner: Optional[str] = None
    lease_until: Optional[datetime] = None
    check: AnswerCheck = STANDARD
    answer: str = ""  # our push record's, as the real store keeps it

    def status(self) -> ChallengeStatus:
        return ChallengeStatus(self.accepted, self.declined, self.expiration)

    def stored(self) -> StoredChallenge:
        return StoredChallenge(self.id, self.push.nonce, self.transaction_id, self.status(), self.check, self.answer)


class FakeStore:
    """Challenges and tokens in dictionaries, with the same atomicity promises as the real store."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.rows: dict[int, Row] = {}
        self.used: dict[int, Row] = {}  # challenges a login consumed; our push record of them lives on
        self.tokens: dict[str, PhoneSideToken] = {}
        self.waiting: set[int] = set()
        self.unregistered: list[str] = []
        self.housekept = 0
        self.commits = 0
        self.token_updates: dict[int, str] = {}
        self.token_info: dict[str, dict[str, str]] = {}
        self.rollbacks = 0
        self.locked: set[int] = set()  # tokens whose push lock is held
        self.calls: list[str] = []  # the order of the lock's and the limits' steps, for the tests of atomicity
        self._ids = itertools.count(1)

    @contextlib.contextmanager
    def push_lock(self, token_id: int) -> Iterator[None]:
        assert token_id not in self.locked, "the push lock is not reentrant"
        self.locked.add(token_id)
        self.calls.append("lock")
        try:
            yield
        finally:
            self.locked.discard(token_id)
            self.calls.append("unlock")

    def create_push(
        self, serial, transaction_id, push, validity_seconds, session, state, lease=None, check=STANDARD
    ) -> SavedChallenge:
        self.calls.append("create_push")
        row_id = next(self._ids)
        now = self.clock.now()
        row = Row(
            row_id, serial, transaction_id or f"tx{row_id}", push, now + timedelta(seconds=validity_seconds), now, state
        )
        row.check = check
        if lease is not None:
            row.next_attempt_at, row.lease_owner, row.lease_until = now, lease.owner, lease.until
        self.rows[row_id] = row
        return SavedChallenge(row.id, row.transaction_id, row.expiration)

    def push_history(self, token_id: int, serial: str, since: datetime) -> PushHistory:
        self.calls.append("push_history")
        recent = [row for row in self.rows.values() if row.created >= since]
        now = self.clock.now()
        return PushHistory(
            pushes=[row.created for row in recent],
            declines=[row.answered for row in recent if row.declined and row.answer != CANCEL_ANSWER and row.answered],
            open_on_token=sum(1 for row in recent if row.serial == serial and row.status().state(now).value == "open"),
        )

    def record_delivery(self, challenge_id, nonce, report, push, holder=None) -> bool:
        row = self.rows.get(challenge_id) or self.used[challenge_id]
        if holder is not None and row.lease_owner not in (None, holder):
            return False
        row.deliveries.append(report)
        row.push = push
        if report.state is DeliveryState.RETRYING:
            row.next_attempt_at = next_due(self.clock.now(), report.retry_in or 0.0)
            row.lease_owner = row.lease_until = None
        elif report.state is not DeliveryState.QUEUED:
            row.next_attempt_at = row.lease_owner = row.lease_until = None
        return True

    def claim_overdue(self, lease: Lease, limit: int) -> list[DuePush]:
        now = self.clock.now()
        due = sorted(
            (
                row
                for row in [*self.rows.values(), *self.used.values()]
                if row.next_attempt_at is not None
                and row.next_attempt_at <= now
                and (row.lease_until is None or row.lease_until <= now)
            ),
            key=lambda row: row.next_attempt_at,
        )[:limit]
        for row in due:
            row.lease_owner, row.lease_until = lease.owner, lease.until
        return [
            DuePush(
                row.id,
                row.push.nonce,
                row.serial,
                row.push,
                row.deliveries[-1].attempts if row.deliveries else 0,
                row.expiration if row.id in self.rows else None,
                lease,
                row.created,
            )
            for row in due
        ]

    def release_leases(self, owner: str) -> int:
        held = [row for row in self.rows.values() if row.lease_owner == owner and row.next_attempt_at is not None]
        for row in held:
            row.lease_owner = row.lease_until = None
        return len(held)

    def tokens_info(self, serials, keys) -> dict[str, dict[str, str]]:
        return {
            serial: {key: value for key, value in self.token_info.get(serial, {}).items() if key in keys}
            for serial in serials
        }

    def mark_unregistered(self, serial: str) -> None:
        self.unregistered.append(serial)

    def housekeep(self) -> None:
        self.housekept += 1

    def phone_side(self, serial: str, nonce: Optional[str] = None):
        token = self.tokens.get(serial)
        if token is None:
            return None, None
        row = next((row for row in self.rows.values() if row.serial == serial and row.push.nonce == nonce), None)
        return token, None if row is None else row.stored()

    def apply_answer(self, stored: StoredChallenge, decline: bool, counted: bool = True) -> bool:
        row = self.rows[stored.id]
        if row.accepted or row.declined or self.clock.now() >= row.expiration:
            return False
        row.declined, row.accepted = decline, not decline
        row.answered = self.clock.now()
        if decline:
            row.answer = DECLINE_ANSWER if counted else CANCEL_ANSWER
        return True

    def confirm_code(self, stored: StoredChallenge, code: str) -> bool:
        row = self.rows[stored.id]
        if row.answer or row.status().state(self.clock.now()).value != "open":
            return False
        row.answer, row.check, row.answered = CONFIRM_ANSWER, replace(row.check, expected=code), self.clock.now()
        return True

    def transaction_challenge(self, serial: str, transaction_id: str) -> Optional[StoredChallenge]:
        row = next((row for row in self.rows.values() if row.transaction_id == transaction_id), None)
        return None if row is None or row.serial != serial else row.stored()

    def open_pushes(self, serial: str) -> list[PushData]:
        now = self.clock.now()
        return [
            row.push
            for row in self.rows.values()
            if row.serial == serial and not row.answer and row.status().state(now).value == "open"
        ]

    def keep_signature(self, push: PushData) -> None:
        for row in self.rows.values():
            if row.push.nonce == push.nonce:
                row.push = push

    def transaction_status(self, serial: str, transaction_id: str) -> Optional[ChallengeStatus]:
        row = next((row for row in self.rows.values() if row.transaction_id == transaction_id), None)
        return None if row is None else row.status()

    def challenge_status(self, challenge_id: int, nonce: str) -> Optional[ChallengeStatus]:
        row = self.rows.get(challenge_id)
        return None if row is None or row.push.nonce != nonce else row.status()

    def consume_transaction(self, transaction_id: str) -> None:
        self.used.update({key: row for key, row in self.rows.items() if row.transaction_id == transaction_id})
        self.rows = {key: row for key, row in self.rows.items() if row.transaction_id != transaction_id}

    def claim_token_update(self, token_id: int, stamp: str) -> bool:
        if stamp <= self.token_updates.get(token_id, ""):
            return False
        self.token_updates[token_id] = stamp
        return True

    def claim_enrollment(self, token_id: int) -> bool:
        if token_id not in self.waiting:
            return False
        self.waiting.discard(token_id)
        return True

    def mark_enrollment_answered(self, serial: str) -> None:
        pass

    def commit(self) -> None:
        self.commits += 1

    def rollback(self) -> None:
        self.rollbacks += 1


@dataclass
class FakeKeys:
    pooled: list = field(default_factory=list)
    refills: list = field(default_factory=list)

    def take(self, key_size: int) -> Optional[ServerKeyPair]:
        return self.pooled.pop() if self.pooled else None

    def refill(self, key_size: int) -> None:
        self.refills.append(key_size)


class Phone:
    """An ECDSA P-256 key as the app holds it, signing the protocol's texts."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())

    @property
    def public_key(self) -> str:
        der = self.key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return base64.b64encode(der).decode()

    def sign(self, text: str) -> bytes:
        return self.key.sign(text.encode(), ec.ECDSA(hashes.SHA256()))


@dataclass
class Fakes:
    clock: FakeClock
    store: FakeStore
    audit: FakeAudit
    host: FakeHost
    keys: FakeKeys
    config: dict

    @property
    def ports(self) -> Ports:
        return Ports(
            host=self.host,
            store=self.store,
            audit=self.audit,
            secrets=FakeSecrets(),
            clock=self.clock,
            config=self.config,
            keys=self.keys,
        )


def make_fakes() -> Fakes:
    clock = FakeClock()
    return Fakes(clock, FakeStore(clock), FakeAudit(), FakeHost(), FakeKeys(), {})


def with_token(store: FakeStore, serial: str, phone: Phone, server_key: ServerKeyPair, **changes: object) -> None:
    token = PhoneSideToken(
        id=len(store.tokens) + 1,
        serial=serial,
        enrolled=True,
        phone_key=phone.public_key,
        polling_allowed="True",
        encrypted_server_key="enc:" + server_key.private_pem,
    )
    store.tokens[serial] = replace(token, **changes)
