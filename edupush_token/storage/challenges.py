"""Push challenges on the host's database.

The host's ``challenge`` table stays the source of truth for a challenge's
state, so the host's ``/validate/polltransaction``, ``/validate/check`` with a
transaction_id and its challenge janitor keep working unchanged. Next to it,
``edupushplus_push`` keeps what the host's table has no room for: the push
data, signed once (by the delivery thread or the first poll, off the login's
path; later polls serve it as stored), and what became of its delivery.

Everything this module returns is in aware UTC; the tables hold naive UTC,
the hosts' convention, and the conversion happens here only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, ContextManager, Optional, Sequence

from sqlalchemy import and_, delete, exc, func, insert, or_, select, update
from sqlalchemy.orm import Session

from ..catalogue import TOKEN_TYPE, Info, RolloutState
from ..delivery import DeliveryReport, DeliveryState
from ..delivery.outbox import DuePush, Lease, OutboxSummary, next_due
from ..lifecycle import USABLE, ChallengeStatus, TokenStanding
from ..limits import PushHistory
from ..matching import STANDARD, AnswerCheck
from ..wire.push_data import PushData
from . import migrate, wakeups
from .challenge_statements import (
    CHECK_COLUMNS,
    EDUMFA_LAYOUT,
    INSERT_PUSH,
    PHONE_SIDE,
    ChallengeLayout,
    aware,
    belongs_to_challenge,
    challenge_columns,
    open_conditions,
    statements,
    status_of,
    stored_of,
)
from .outages import reported_as_unavailable
from .push_lock import hold_push_lock
from .schema import challenge, push_record, token, tokeninfo

ENROLLMENT_SESSION = "enrollment"
HISTORY = timedelta(days=1)
DECLINE_ANSWER = "declined"  # counted by the decline limit
CANCEL_ANSWER = "cancelled"  # the privacyIDEA app's "I changed my mind": a decline for the login, not counted
CONFIRM_ANSWER = "confirmed"  # code to phone: the phone confirmed, the login waits for the code
VOID_ANSWER = "voided"  # the token was re-enrolled, disabled or revoked before the phone answered


def naive(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


@dataclass(frozen=True)
class SavedChallenge:
    """What a login needs of the challenge it just stored, without reloading it after the commit."""

    id: int
    transaction_id: str
    expiration: datetime


@dataclass(frozen=True)
class StoredChallenge:
    id: int
    nonce: str
    transaction_id: str
    status: ChallengeStatus
    check: AnswerCheck = STANDARD
    answer: str = ""  # our push record's: "", DECLINE_ANSWER, CANCEL_ANSWER, CONFIRM_ANSWER


@dataclass(frozen=True)
class PhoneSideToken:
    """A token as the phone's signed requests need it, read in one query.

    The app polls every few seconds; these requests should cost no more than
    the built-in token's, so they skip the host's token object and its tokeninfo.
    """

    id: int
    serial: str
    enrolled: bool
    phone_key: str
    polling_allowed: str
    encrypted_server_key: str
    standing: TokenStanding = USABLE
    last_token_update: str = ""  # lifecycle.update_stamp of the last Firebase token update applied
    profile: str = ""  # Info.APP_PROFILE as stored; "" for tokens enrolled before profiles (eduMFA)


@dataclass(frozen=True)
class DeliveryRecord:
    created: datetime
    serial: str
    nonce: str
    delivery_state: str
    delivery_attempts: int
    fcm_message_id: str
    delivery_detail: str


class ChallengeTables:
    """Queries over the host's challenge and token tables and our push records, in the host's session."""

    def __init__(self, session: Callable[[], Session], layout: ChallengeLayout = EDUMFA_LAYOUT) -> None:
        self._session = session
        self._layout = layout
        self._statements = statements(layout)

    @property
    def session(self) -> Session:
        return self._session()

    def ensure_tables(self) -> None:
        migrate.ensure_current(self.session.get_bind())  # type: ignore[arg-type]

    def add_push(
        self,
        challenge_id: int,
        serial: str,
        push: PushData,
        state: DeliveryState,
        lease: Optional[Lease] = None,
        check: AnswerCheck = STANDARD,
    ) -> None:
        """Our record of a challenge the host just flushed, in the same transaction.

        With ``lease`` the push is due now and held by the process that sends it at once.
        """
        values = {
            "challenge_id": challenge_id,
            "serial": serial,
            "nonce": push.nonce,
            "push_data": push.to_json(),
            "mode": None if check is STANDARD else check.mode.value,
            "expected_answer": check.expected or None,
        }
        held: dict[str, Any] = {"next_attempt_at": None, "lease_owner": None, "lease_until": None}
        if lease is not None:
            held = {"next_attempt_at": datetime.utcnow(), "lease_owner": lease.owner, "lease_until": naive(lease.until)}
        self.session.execute(INSERT_PUSH, {**values, **held, "delivery_state": state.value})

    def phone_side(
        self,
        serial: str,
        nonce: Optional[str] = None,
    ) -> tuple[Optional[PhoneSideToken], Optional[StoredChallenge]]:
        """The token a phone's request names and, with ``nonce``, its push challenge: one query."""
        if nonce is None:
            rows = self.session.execute(PHONE_SIDE, {"serial": serial}).all()
        else:
            rows = self.session.execute(
                self._statements.phone_side_and_challenge, {"serial": serial, "nonce": nonce}
            ).all()
        if not rows:
            return None, None
        info = {row.Key: row.Value or "" for row in rows if row.Key}
        first = rows[0]
        phone_token = PhoneSideToken(
            id=first.id,
            serial=serial,
            enrolled=first.rollout_state == RolloutState.ENROLLED.value,
            phone_key=info.get(Info.PHONE_KEY, ""),
            polling_allowed=info.get(Info.POLLING_ALLOWED, "True"),
            encrypted_server_key=info.get(Info.SERVER_PRIVATE_KEY, ""),
            standing=TokenStanding(active=bool(first.active), revoked=bool(first.revoked), locked=bool(first.locked)),
            last_token_update=info.get(Info.FIREBASE_TOKEN_UPDATED, ""),
            profile=info.get(Info.APP_PROFILE, ""),
        )
        if nonce is None or first.push_id is None:
            return phone_token, None
        return phone_token, stored_of(first, nonce, self._layout)

    def transaction_challenge(self, serial: str, transaction_id: str) -> Optional[StoredChallenge]:
        """This token's push challenge in a transaction, with what its answer is checked against."""
        row = self.session.execute(
            select(*challenge_columns(self._layout), challenge.c.challenge.label("nonce"), *CHECK_COLUMNS)
            .select_from(challenge)
            .outerjoin(push_record, belongs_to_challenge())  # an enrollment's challenge has no push
            .where(challenge.c.serial == serial, challenge.c.transaction_id == transaction_id)
        ).first()
        return None if row is None else stored_of(row, row.nonce, self._layout)

    def record_delivery(
        self, challenge_id: int, nonce: str, report: DeliveryReport, push: PushData, holder: Optional[str] = None
    ) -> bool:
        """What became of a push, and the push as signed for sending, in one write; False if nothing was written.

        A push to be retried is let go with its next due time, for whichever process sweeps first;
        any other outcome but QUEUED takes it out of the outbox.  With ``holder``, nothing is written
        once another process holds the push: its lease ran out here, and the other's outcome counts.
        """
        signed = {"push_data": push.to_json()} if push.signature else {}
        now = datetime.utcnow()
        outbox: dict[str, Any] = {}
        if report.state is DeliveryState.RETRYING:
            outbox = {
                "next_attempt_at": next_due(now, report.retry_in or 0.0),
                "lease_owner": None,
                "lease_until": None,
            }
        elif report.state is not DeliveryState.QUEUED:
            outbox = {"next_attempt_at": None, "lease_owner": None, "lease_until": None}
        held = [] if holder is None else [or_(push_record.c.lease_owner.is_(None), push_record.c.lease_owner == holder)]
        return self._commit(
            update(push_record)
            .where(push_record.c.challenge_id == challenge_id, push_record.c.nonce == nonce, *held)
            .values(
                **signed,
                **outbox,
                delivery_state=report.state.value,
                delivery_detail=report.detail[:1024],
                delivery_attempts=report.attempts,
                fcm_message_id=report.message_id[:256],
                updated=now,
            )
        )

    def claim_overdue(self, lease: Lease, limit: int) -> list[DuePush]:
        """Take over up to ``limit`` pushes that are due and held by nobody (or by a lease that ran out).

        The candidates are locked with ``FOR UPDATE SKIP LOCKED`` where the database has it
        (PostgreSQL, MySQL 8), so concurrent sweeps on other nodes pass them by; the UPDATE
        repeats the conditions, which alone suffices on SQLite, whose writers take turns.
        """
        now = datetime.utcnow()
        free = or_(push_record.c.lease_until.is_(None), push_record.c.lease_until <= now)
        due = and_(_overdue(now), free)
        candidates = (
            select(push_record.c.id)
            .where(due)
            .order_by(push_record.c.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        ids = list(self.session.execute(candidates).scalars())
        if not ids:
            self.session.rollback()
            return []
        self.session.execute(
            update(push_record)
            .where(push_record.c.id.in_(ids), due)
            .values(lease_owner=lease.owner, lease_until=naive(lease.until))
        )
        rows = self.session.execute(
            select(push_record, challenge.c.expiration)
            .outerjoin(challenge, belongs_to_challenge())
            .where(push_record.c.id.in_(ids), push_record.c.lease_owner == lease.owner)
        ).all()
        self.session.commit()
        return [
            DuePush(
                challenge_id=row.challenge_id,
                nonce=row.nonce,
                serial=row.serial,
                push=PushData.from_json(row.push_data),
                attempts=row.delivery_attempts,
                expires_at=None if row.expiration is None else aware(row.expiration),
                lease=lease,
                created=aware(row.created),
            )
            for row in rows
        ]

    def release_leases(self, owner: str) -> int:
        """Let go of every push ``owner`` holds, so another process takes them at once; how many."""
        result = self.session.execute(
            update(push_record)
            .where(push_record.c.lease_owner == owner, push_record.c.next_attempt_at.is_not(None))
            .values(lease_owner=None, lease_until=None)
        )
        self.session.commit()
        return int(result.rowcount)  # type: ignore[attr-defined]

    def outbox_summary(self) -> OutboxSummary:
        now = datetime.utcnow()
        states = self.session.execute(
            select(push_record.c.delivery_state, func.count()).group_by(push_record.c.delivery_state)
        ).all()
        overdue, oldest = self.session.execute(
            select(func.count(), func.min(push_record.c.next_attempt_at)).where(_overdue(now))
        ).one()
        self.session.rollback()
        return OutboxSummary(
            {str(state): int(count) for state, count in states},
            int(overdue),
            None if oldest is None else aware(oldest),
        )

    def tokens_info(self, serials: Sequence[str], keys: Sequence[str]) -> dict[str, dict[str, str]]:
        """Some tokeninfo of our tokens, raw as stored, by serial."""
        rows = self.session.execute(
            select(token.c.serial, tokeninfo.c.Key, tokeninfo.c.Value)
            .join(tokeninfo, tokeninfo.c.token_id == token.c.id)
            .where(token.c.serial.in_(list(serials)), token.c.tokentype == TOKEN_TYPE, tokeninfo.c.Key.in_(list(keys)))
        ).all()
        found: dict[str, dict[str, str]] = {serial: {} for serial in serials}
        for row in rows:
            found[row.serial][row.Key] = row.Value or ""
        return found

    def keep_signature(self, push: PushData) -> None:
        """Store a push once signed; whoever signs first, the signature is the same (PKCS#1 v1.5)."""
        self._commit(update(push_record).where(push_record.c.nonce == push.nonce).values(push_data=push.to_json()))

    def recent_deliveries(self, serial: Optional[str] = None, limit: int = 50) -> list[DeliveryRecord]:
        query = select(push_record).order_by(push_record.c.id.desc()).limit(limit)
        if serial:
            query = query.where(push_record.c.serial == serial)
        return [
            DeliveryRecord(
                aware(row.created),
                row.serial,
                row.nonce,
                row.delivery_state,
                row.delivery_attempts,
                row.fcm_message_id,
                row.delivery_detail,
            )
            for row in self.session.execute(query)
        ]

    def claim_enrollment(self, token_id: int) -> bool:
        """Move clientwait -> enrolled atomically, so a replayed step 2 cannot enroll twice."""
        result = self.session.execute(
            update(token)
            .where(token.c.id == token_id, token.c.rollout_state == RolloutState.CLIENTWAIT.value)
            .values(rollout_state=RolloutState.ENROLLED.value)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    def mark_enrollment_answered(self, serial: str) -> None:
        self.session.execute(
            update(challenge)
            .where(
                challenge.c.serial == serial,
                challenge.c.session == ENROLLMENT_SESSION,
                challenge.c.expiration > datetime.utcnow(),
            )
            .values(otp_valid=True, received_count=challenge.c.received_count + 1)
        )

    def consume_transaction(self, transaction_id: str) -> None:
        """A used challenge must not authenticate a second time; raises DatabaseUnavailable if the database is away."""
        with reported_as_unavailable(self.session):
            self._commit(delete(challenge).where(challenge.c.transaction_id == transaction_id))

    def apply_answer(self, stored: StoredChallenge, decline: bool, counted: bool = True) -> bool:
        """Record an answer only if the challenge is still open; True if this call won.

        A single conditional UPDATE makes concurrent answers race safely in the
        database: exactly one of an accept and a decline takes effect. A decline
        is also kept with our push record, which outlives the host's challenge
        row, for the decline limits (unless not ``counted``: a cancel).  The winner
        wakes the login's push_waits, in this and other processes, in the same transaction.
        """
        refusal = {self._layout.refusal_column: self._layout.marker(counted)}
        change: dict[str, Any] = refusal if decline else {"otp_valid": True}
        statement = (
            update(challenge)
            .where(challenge.c.id == stored.id, *open_conditions(datetime.utcnow(), self._layout, started=False))
            .values(received_count=challenge.c.received_count + 1, **change)
        )
        won = wakeups.update_announcing(self.session, statement, stored.transaction_id) == 1
        if won and decline:
            self.session.execute(
                update(push_record)
                .where(push_record.c.challenge_id == stored.id, push_record.c.nonce == stored.nonce)
                .values(answer=DECLINE_ANSWER if counted else CANCEL_ANSWER, answered=datetime.utcnow())
            )
        self.session.commit()
        return won

    def confirm_code(self, stored: StoredChallenge, code: str) -> bool:
        """Code to phone: the phone confirmed; keep the code it is shown.  True if this call won.

        The host's challenge stays open (not accepted) until the user types the
        code; our record says the phone has answered, so it is polled no more.
        """
        open_challenge = select(challenge.c.id).where(
            challenge.c.id == stored.id, *open_conditions(datetime.utcnow(), self._layout, started=False)
        )
        result = self.session.execute(
            update(push_record)
            .where(
                push_record.c.challenge_id == stored.id,
                push_record.c.nonce == stored.nonce,
                push_record.c.answer == "",
                open_challenge.exists(),
            )
            .values(answer=CONFIRM_ANSWER, expected_answer=code, answered=datetime.utcnow())
        )
        self.session.commit()
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    def void_challenges(self, serial: str) -> None:
        """Forget every challenge of the token and any approval given, in the caller's transaction.

        For a token re-enrolled, disabled or revoked: the host's
        /validate/polltransaction reads the challenge table and knows nothing of
        the token's state, so an accepted challenge must be gone, not just ignored.
        Our push records stay for the limits and the delivery history; the
        unanswered ones say why they never will be.
        """
        self.ensure_tables()  # a first enrollment may come before any push
        self.session.execute(delete(challenge).where(challenge.c.serial == serial))
        self.session.execute(
            update(push_record)
            .where(push_record.c.serial == serial, push_record.c.answer == "")
            .values(answer=VOID_ANSWER, answered=datetime.utcnow())
        )

    def claim_token_update(self, token_id: int, stamp: str) -> bool:
        """Record ``stamp`` as the token's last Firebase token update if it is newer; True if it was.

        One conditional UPDATE, so of two concurrent updates the older one cannot
        overwrite the newer: the database orders them on the row's lock, and the
        row stays locked until the caller commits its Firebase token with it.
        """
        key = Info.FIREBASE_TOKEN_UPDATED
        mine = (tokeninfo.c.token_id == token_id) & (tokeninfo.c.Key == key)
        result = self.session.execute(update(tokeninfo).where(mine, tokeninfo.c.Value < stamp).values(Value=stamp))
        if result.rowcount == 1:  # type: ignore[attr-defined]
            return True
        if self.session.execute(select(tokeninfo.c.id).where(mine)).first() is not None:
            return False
        try:  # the token's first update since this key exists
            self.session.execute(insert(tokeninfo).values(token_id=token_id, Key=key, Value=stamp))
        except exc.IntegrityError:
            self.session.rollback()
            if self.session.execute(select(tokeninfo.c.id).where(mine)).first() is None:
                raise
            return False  # a concurrent first update inserted it: refuse rather than guess the order
        return True

    def open_pushes(self, serial: str) -> list[PushData]:
        """The token's unanswered, undeclined, unexpired pushes, as stored (possibly not signed yet)."""
        rows = self.session.execute(
            self._statements.open_pushes, {"serial": serial, "now": datetime.utcnow()}
        ).scalars()
        return [PushData.from_json(text) for text in rows]

    def push_history(self, token_id: int, serial: str, since: datetime) -> PushHistory:
        """What the limits need, in one query: pushes and declines since ``since``, open ones on this token.

        Pushes and declines are counted over all the owner's tokens of our type
        (just this token if it has no owner).  ``since`` must reach back past the
        longest challenge validity, or older open challenges would go uncounted.
        """
        parameters = {"token_id": token_id, "serial": serial, "since": naive(since), "now": datetime.utcnow()}
        rows = self.session.execute(self._statements.push_history, parameters).all()
        return PushHistory(
            pushes=[aware(row.created) for row in rows],
            declines=[aware(row.answered) for row in rows if row.answer == DECLINE_ANSWER],
            open_on_token=sum(row.open_on_token for row in rows),
        )

    def transaction_status(self, serial: str, transaction_id: str) -> Optional[ChallengeStatus]:
        """The state of this token's challenge in a transaction, read fresh from the database.

        Raises DatabaseUnavailable if the database is away: a push_wait waits that out.
        """
        with reported_as_unavailable(self.session):
            row = self.session.execute(
                self._statements.transaction_status, {"serial": serial, "transaction_id": transaction_id}
            ).first()
            self.session.rollback()
        return None if row is None else status_of(row, self._layout)

    def challenge_status(self, challenge_id: int, nonce: str) -> Optional[ChallengeStatus]:
        """The state of the challenge of one push, read fresh from the database; None once it is gone."""
        row = self.session.execute(
            self._statements.challenge_status, {"challenge_id": challenge_id, "nonce": nonce}
        ).first()
        self.session.rollback()
        return None if row is None else status_of(row, self._layout)

    def forget_old_rows(self) -> None:
        """Keep a day of delivery history for admins; older rows' challenges are long gone."""
        self._commit(delete(push_record).where(push_record.c.created < datetime.utcnow() - HISTORY))

    def push_lock(self, token_id: int) -> ContextManager[None]:
        return hold_push_lock(self.session, token_id)

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()

    def _commit(self, statement: Any) -> bool:
        """Run and commit; whether the statement changed a row."""
        changed = bool(self.session.execute(statement).rowcount)  # type: ignore[attr-defined]
        self.session.commit()
        return changed


def _overdue(now: datetime) -> Any:
    """Due and still to be sent: a node of the version before the outbox writes outcomes but never clears the due time."""
    return and_(push_record.c.next_attempt_at <= now, push_record.c.delivery_state.in_(_STILL_TO_SEND))


_STILL_TO_SEND = (DeliveryState.QUEUED.value, DeliveryState.RETRYING.value)


__all__ = [
    "ChallengeLayout",
    "ChallengeTables",
    "aware",
    "DeliveryRecord",
    "PhoneSideToken",
    "SavedChallenge",
    "StoredChallenge",
]
