"""Challenge storage on eduMFA's own database.

eduMFA's ``challenge`` table stays the source of truth for a challenge's state,
so eduMFA's ``/validate/polltransaction``, ``/validate/check`` with a
transaction_id and its challenge janitor keep working unchanged. Next to it,
``edupushplus_push`` keeps what eduMFA's table has no room for: the push data,
signed once (by the delivery thread or the first poll, off the login's path;
later polls serve it as stored), and what became of its delivery.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Optional

from dataclasses import dataclass

from sqlalchemy import or_, select, update

from edumfa.lib.crypto import decryptPassword
from edumfa.lib.tokenclass import ROLLOUTSTATE
from edumfa.models import Challenge, Token, TokenInfo, TokenOwner, db

from ... import TOKEN_TYPE
from ...delivery import DeliveryReport, DeliveryState
from ...lifecycle import ChallengeState, ChallengeStatus
from ...limits import PushHistory
from ...wire.push_data import PushData
from . import wakeups
from .tables import create_once
from .tokeninfo import Info

DECLINED = "challenge_declined"  # the marker eduMFA's polltransaction looks for
HISTORY = timedelta(days=1)
HOUSEKEEPING_INTERVAL = 60.0
_last_housekeeping = float("-inf")


class PushRecord(db.Model):
    __tablename__ = "edupushplus_push"

    id = db.Column(db.Integer, primary_key=True)
    challenge_id = db.Column(db.BigInteger, nullable=False, index=True)
    serial = db.Column(db.Unicode(40), nullable=False, index=True)
    nonce = db.Column(db.Unicode(128), nullable=False, unique=True)
    push_data = db.Column(db.UnicodeText, nullable=False)
    delivery_state = db.Column(db.Unicode(20), nullable=False, default="")
    delivery_detail = db.Column(db.Unicode(1024), nullable=False, default="")
    delivery_attempts = db.Column(db.Integer, nullable=False, default=0)
    fcm_message_id = db.Column(db.Unicode(256), nullable=False, default="")
    answer = db.Column(db.Unicode(10), nullable=False, default="")
    answered = db.Column(db.DateTime, nullable=True)
    created = db.Column(db.DateTime, nullable=False, default=datetime.utcnow)
    updated = db.Column(db.DateTime, nullable=False, default=datetime.utcnow)


@dataclass(frozen=True)
class StoredChallenge:
    id: int
    nonce: str
    transaction_id: str
    status: ChallengeStatus


def ensure_tables() -> None:
    create_once(PushRecord)


def utcnow() -> datetime:
    """Naive UTC, the convention of eduMFA's challenge table."""
    return datetime.utcnow()


@dataclass(frozen=True)
class SavedChallenge:
    """What the login needs of a challenge it just stored, without reloading it after the commit."""

    id: int
    transaction_id: str
    expiration: datetime


def save_push_challenge(
    serial: str, transaction_id: Optional[str], push: PushData, validity_seconds: int,
    session: str = "", delivery_state: DeliveryState = DeliveryState.POLL_ONLY,
) -> SavedChallenge:
    challenge = Challenge(
        serial,
        transaction_id=transaction_id,
        challenge=push.nonce,
        session=session,
        validitytime=validity_seconds,
    )
    db.session.add(challenge)
    db.session.flush()
    db.session.add(PushRecord(
        challenge_id=challenge.id, serial=serial, nonce=push.nonce, push_data=push.to_json(),
        delivery_state=delivery_state.value,
    ))
    saved = SavedChallenge(challenge.id, challenge.transaction_id, challenge.expiration)
    db.session.commit()
    return saved


@dataclass(frozen=True)
class PhoneSideToken:
    """A token as the phone's signed requests need it.

    Read in one query, without eduMFA's token object and all its tokeninfo:
    the app polls every few seconds, and these requests should cost no more
    than the built-in token's.
    """

    id: int
    serial: str
    enrolled: bool
    phone_key: str
    polling_allowed: str
    encrypted_server_key: str

    def server_private_key(self) -> str:
        return decryptPassword(self.encrypted_server_key)


_PHONE_SIDE_INFO = (Info.PHONE_KEY, Info.POLLING_ALLOWED, Info.SERVER_PRIVATE_KEY)


def phone_side_token(serial: str) -> Optional[PhoneSideToken]:
    token, _challenge = _phone_side(serial, nonce=None)
    return token


def answer_target(serial: str, nonce: str) -> tuple[Optional[PhoneSideToken], Optional[StoredChallenge]]:
    """The token an answer names and its push challenge with this nonce, in one query."""
    return _phone_side(serial, nonce)


def _phone_side(serial: str, nonce: Optional[str]):
    query = (
        select(Token.id, Token.rollout_state, TokenInfo.Key, TokenInfo.Value)
        .outerjoin(TokenInfo, (TokenInfo.token_id == Token.id) & TokenInfo.Key.in_(_PHONE_SIDE_INFO))
        .where(Token.serial == serial, Token.tokentype == TOKEN_TYPE)
    )
    if nonce is not None:
        query = (
            query.add_columns(
                PushRecord.id.label("push_id"), Challenge.id.label("challenge_id"), Challenge.transaction_id,
                Challenge.otp_valid, Challenge.data, Challenge.expiration,
            )
            .outerjoin(Challenge, (Challenge.serial == Token.serial) & (Challenge.challenge == nonce))
            .outerjoin(PushRecord, _belongs_to_challenge())
        )
    rows = db.session.execute(query).all()
    if not rows:
        return None, None
    info = {row.Key: row.Value or "" for row in rows if row.Key}
    token = PhoneSideToken(
        id=rows[0].id,
        serial=serial,
        enrolled=rows[0].rollout_state == ROLLOUTSTATE.ENROLLED,
        phone_key=info.get(Info.PHONE_KEY, ""),
        polling_allowed=info.get(Info.POLLING_ALLOWED, "True"),
        encrypted_server_key=info.get(Info.SERVER_PRIVATE_KEY, ""),
    )
    first = rows[0]
    if nonce is None or first.push_id is None:
        return token, None
    challenge = StoredChallenge(
        id=first.challenge_id, nonce=nonce, transaction_id=first.transaction_id, status=_status(first),
    )
    return token, challenge


def save_enrollment_challenge(serial: str, validity_seconds: int) -> Challenge:
    challenge = Challenge(serial, session="enrollment", validitytime=validity_seconds)
    db.session.add(challenge)
    db.session.commit()
    return challenge


def record_delivery(challenge_id: int, nonce: str, report: DeliveryReport, push: PushData) -> None:
    """What became of a push, and the push as signed for sending, in one write."""
    signed = {"push_data": push.to_json()} if push.signature else {}
    db.session.execute(
        update(PushRecord)
        .where(PushRecord.challenge_id == challenge_id, PushRecord.nonce == nonce)
        .values(
            **signed,
            delivery_state=report.state.value,
            delivery_detail=report.detail[:1024],
            delivery_attempts=report.attempts,
            fcm_message_id=report.message_id[:256],
            updated=utcnow(),
        )
    )
    db.session.commit()


def keep_signature(push: PushData) -> None:
    """Store a push once signed; whoever signs first, the signature is the same (PKCS#1 v1.5)."""
    db.session.execute(update(PushRecord).where(PushRecord.nonce == push.nonce).values(push_data=push.to_json()))
    db.session.commit()


def recent_deliveries(serial: Optional[str] = None, limit: int = 50) -> list[PushRecord]:
    query = select(PushRecord).order_by(PushRecord.id.desc()).limit(limit)
    if serial:
        query = query.where(PushRecord.serial == serial)
    return list(db.session.execute(query).scalars())


def find_push_challenge(serial: str, nonce: str) -> Optional[StoredChallenge]:
    _token, challenge = answer_target(serial, nonce)
    return challenge


def claim_enrollment(token_id: int) -> bool:
    """Move clientwait -> enrolled atomically, so a replayed step 2 cannot enroll twice."""
    result = db.session.execute(
        update(Token)
        .where(Token.id == token_id, Token.rollout_state == ROLLOUTSTATE.CLIENTWAIT)
        .values(rollout_state=ROLLOUTSTATE.ENROLLED)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def consume_transaction(transaction_id: str) -> None:
    """A used challenge must not authenticate a second time."""
    db.session.execute(
        Challenge.__table__.delete().where(Challenge.transaction_id == transaction_id)
    )
    db.session.commit()


def apply_answer(challenge: StoredChallenge, decline: bool) -> bool:
    """Record an answer only if the challenge is still open; True if this call won.

    A single conditional UPDATE makes concurrent answers race safely in the
    database: exactly one of an accept and a decline takes effect. A decline
    is also kept with our push record, which outlives eduMFA's challenge row,
    for the decline limits (an accept needs no such memory, and the answer no
    extra write).  The winner wakes the login's push_waits, in this and other
    processes, in the same transaction.
    """
    change = {"data": DECLINED} if decline else {"otp_valid": True}
    statement = (
        update(Challenge)
        .where(
            Challenge.id == challenge.id,
            Challenge.otp_valid.is_(False),
            or_(Challenge.data.is_(None), Challenge.data != DECLINED),
            Challenge.expiration > utcnow(),
        )
        .values(received_count=Challenge.received_count + 1, **change)
        .execution_options(synchronize_session=False)
    )
    won = wakeups.update_announcing(db.session, statement, challenge.transaction_id) == 1
    if won and decline:
        db.session.execute(
            update(PushRecord)
            .where(PushRecord.challenge_id == challenge.id, PushRecord.nonce == challenge.nonce)
            .values(answer="declined", answered=utcnow())
        )
    db.session.commit()
    return won


def open_pushes(serial: str) -> list[PushData]:
    """The token's unanswered, undeclined, unexpired pushes, as stored (possibly not signed yet)."""
    return [PushData.from_json(text) for text in _open_push_rows(serial, select(PushRecord.push_data))]


def _open_push_rows(serial: str, query) -> list:
    now = utcnow()
    return list(db.session.execute(
        query.join(Challenge, _belongs_to_challenge())
        .where(
            Challenge.serial == serial,
            Challenge.otp_valid.is_(False),
            or_(Challenge.data.is_(None), Challenge.data != DECLINED),
            Challenge.timestamp <= now,
            Challenge.expiration > now,
        )
        .order_by(Challenge.id)
    ).scalars())


def push_history(token_id: int, serial: str, since: datetime) -> PushHistory:
    """What the limits need, in one query: pushes and declines since ``since``, open ones on this token.

    Pushes and declines are counted over all the owner's tokens of our type
    (just this token if it has no owner).  ``since`` must reach back past the
    longest challenge validity, or older open challenges would go uncounted.
    """
    owner = select(TokenOwner.user_id, TokenOwner.resolver).where(TokenOwner.token_id == token_id).limit(1).subquery()
    owners_tokens = (
        select(Token.serial)
        .join(TokenOwner, TokenOwner.token_id == Token.id)
        .join(owner, (TokenOwner.user_id == owner.c.user_id) & (TokenOwner.resolver == owner.c.resolver))
        .where(Token.tokentype == TOKEN_TYPE)
    )
    this_token = select(Token.serial).where(Token.id == token_id)
    rows = db.session.execute(
        select(
            PushRecord.serial, PushRecord.created, PushRecord.answer, PushRecord.answered,
            Challenge.otp_valid, Challenge.data, Challenge.timestamp, Challenge.expiration,
        )
        .outerjoin(Challenge, _belongs_to_challenge())
        .where(PushRecord.serial.in_(owners_tokens.union(this_token)), PushRecord.created >= since)
    ).all()
    now = utcnow()
    return PushHistory(
        pushes=[row.created for row in rows],
        declines=[row.answered for row in rows if row.answer == "declined"],
        open_on_token=sum(1 for row in rows if row.serial == serial and _is_open(row, now)),
    )


def _is_open(row, now: datetime) -> bool:
    """Still awaiting an answer; a push whose challenge row is gone (outer join) is not."""
    return row.expiration is not None and row.timestamp <= now and _status(row).state(now) is ChallengeState.OPEN


def transaction_status(serial: str, transaction_id: str) -> Optional[ChallengeStatus]:
    """The state of this token's challenge in a transaction, read fresh from the database."""
    row = db.session.execute(
        select(Challenge.otp_valid, Challenge.data, Challenge.expiration).where(
            Challenge.serial == serial, Challenge.transaction_id == transaction_id
        )
    ).first()
    db.session.rollback()
    return None if row is None else _status(row)


def mark_enrollment_answered(serial: str) -> None:
    db.session.execute(
        update(Challenge)
        .where(
            Challenge.serial == serial,
            Challenge.session == "enrollment",
            Challenge.expiration > utcnow(),
        )
        .values(otp_valid=True, received_count=Challenge.received_count + 1)
        .execution_options(synchronize_session=False)
    )


def _status(row) -> ChallengeStatus:
    return ChallengeStatus(accepted=bool(row.otp_valid), declined=row.data == DECLINED, expires_at=row.expiration)


def _belongs_to_challenge():
    """Match on id and nonce: SQLite reuses the ids of deleted challenges."""
    return (PushRecord.challenge_id == Challenge.id) & (PushRecord.nonce == Challenge.challenge)


def housekeeping_due() -> bool:
    """At most once a minute per process: clean-ups that need not slow every login."""
    global _last_housekeeping
    now = time.monotonic()
    if now - _last_housekeeping < HOUSEKEEPING_INTERVAL:
        return False
    _last_housekeeping = now
    return True


def forget_old_rows() -> None:
    """Keep a day of delivery history for admins; older rows' challenges are long gone."""
    db.session.execute(PushRecord.__table__.delete().where(PushRecord.created < utcnow() - HISTORY))
    db.session.commit()
