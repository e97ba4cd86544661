"""The statements over the host's challenge and token tables, built once per host layout.

The login and the phone's requests run these every time: built once, so
SQLAlchemy neither builds nor keys them again (which cost more than running
them); each call only binds its values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Sequence

from sqlalchemy import and_, bindparam, case, insert, or_, select

from ..catalogue import TOKEN_TYPE, Info
from ..lifecycle import ChallengeStatus
from ..matching import STANDARD, AnswerCheck, PushMode
from .schema import challenge, push_record, token, tokeninfo, tokenowner

if TYPE_CHECKING:
    from .challenges import StoredChallenge

DECLINED = "challenge_declined"  # the marker the hosts' polltransaction looks for
CANCELLED = "challenge_cancelled"  # privacyIDEA's other refusal (its own app's "I started it, then gave up")
_PHONE_SIDE_INFO = (
    Info.PHONE_KEY,
    Info.POLLING_ALLOWED,
    Info.SERVER_PRIVATE_KEY,
    Info.FIREBASE_TOKEN_UPDATED,
    Info.APP_PROFILE,
)


@dataclass(frozen=True)
class ChallengeLayout:
    """Where a host's challenge row says that it was refused, so that the host's polltransaction sees it.

    eduMFA 2.9 writes ``challenge_declined`` into ``data``; privacyIDEA 3.14 encrypts ``data`` and keeps
    refusals in ``session`` (``challenge_declined``, or ``challenge_cancelled`` by its own app).
    """

    refusal_column: str
    refusals: tuple[str, ...]

    def column(self) -> Any:
        return challenge.c[self.refusal_column]

    def marker(self, counted: bool) -> str:
        """What a refusal writes: a cancel (not ``counted``) as such where the host tells it apart."""
        return CANCELLED if not counted and CANCELLED in self.refusals else DECLINED


EDUMFA_LAYOUT = ChallengeLayout("data", (DECLINED,))
PRIVACYIDEA_LAYOUT = ChallengeLayout("session", (DECLINED, CANCELLED))


def aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc)


def open_conditions(now: Any, layout: ChallengeLayout, started: bool) -> Sequence[Any]:
    refusal = layout.column()
    conditions = [
        challenge.c.otp_valid.is_(False),
        or_(refusal.is_(None), refusal.not_in(layout.refusals)),
        challenge.c.expiration > now,
    ]
    return [*conditions, challenge.c.timestamp <= now] if started else conditions


def stored_of(row: Any, nonce: str, layout: ChallengeLayout) -> StoredChallenge:
    from .challenges import StoredChallenge

    mode = PushMode(row.mode) if row.mode else PushMode.STANDARD
    check = STANDARD if mode is PushMode.STANDARD else AnswerCheck(mode, row.expected_answer or "")
    status = status_of(row, layout)
    return StoredChallenge(row.challenge_id, nonce, row.transaction_id, status, check, row.answer or "")


def status_of(row: Any, layout: ChallengeLayout) -> ChallengeStatus:
    return ChallengeStatus(
        accepted=bool(row.otp_valid), declined=row.refusal in layout.refusals, expires_at=aware(row.expiration)
    )


def belongs_to_challenge() -> Any:
    """Match on id and nonce: SQLite reuses the ids of deleted challenges."""
    return (push_record.c.challenge_id == challenge.c.id) & (push_record.c.nonce == challenge.c.challenge)


def challenge_columns(layout: ChallengeLayout) -> tuple[Any, ...]:
    return (
        challenge.c.id.label("challenge_id"),
        challenge.c.transaction_id,
        challenge.c.otp_valid,
        layout.column().label("refusal"),
        challenge.c.expiration,
    )


CHECK_COLUMNS = (push_record.c.mode, push_record.c.expected_answer, push_record.c.answer)


def _phone_side_statement(with_challenge: bool, layout: ChallengeLayout = EDUMFA_LAYOUT) -> Any:
    query = (
        select(
            token.c.id,
            token.c.rollout_state,
            token.c.active,
            token.c.revoked,
            token.c.locked,
            tokeninfo.c.Key,
            tokeninfo.c.Value,
        )
        .outerjoin(tokeninfo, (tokeninfo.c.token_id == token.c.id) & tokeninfo.c.Key.in_(_PHONE_SIDE_INFO))
        .where(token.c.serial == bindparam("serial"), token.c.tokentype == TOKEN_TYPE)
    )
    if not with_challenge:
        return query
    return (
        query.add_columns(push_record.c.id.label("push_id"), *challenge_columns(layout), *CHECK_COLUMNS)
        .outerjoin(challenge, (challenge.c.serial == token.c.serial) & (challenge.c.challenge == bindparam("nonce")))
        .outerjoin(push_record, belongs_to_challenge())
    )


def _push_history_statement(layout: ChallengeLayout) -> Any:
    token_id: Any = bindparam("token_id")
    owner = (
        select(tokenowner.c.user_id, tokenowner.c.resolver).where(tokenowner.c.token_id == token_id).limit(1)
    ).subquery()
    owners_tokens = (
        select(token.c.serial)
        .join(tokenowner, tokenowner.c.token_id == token.c.id)
        .join(owner, (tokenowner.c.user_id == owner.c.user_id) & (tokenowner.c.resolver == owner.c.resolver))
        .where(token.c.tokentype == TOKEN_TYPE)
    )
    this_token = select(token.c.serial).where(token.c.id == token_id)
    # Open on this token, decided by the database; a push whose challenge row is gone (outer join) is not open.
    open_here = and_(
        push_record.c.serial == bindparam("serial"), *open_conditions(bindparam("now"), layout, started=True)
    )
    return (
        select(
            push_record.c.created,
            push_record.c.answer,
            push_record.c.answered,
            case((open_here, 1), else_=0).label("open_on_token"),
        )
        .outerjoin(challenge, belongs_to_challenge())
        .where(push_record.c.serial.in_(owners_tokens.union(this_token)), push_record.c.created >= bindparam("since"))
    )


@dataclass(frozen=True)
class Statements:
    """The statements the login and the phone's requests run every time, for one host's layout."""

    phone_side_and_challenge: Any
    open_pushes: Any
    push_history: Any
    transaction_status: Any
    challenge_status: Any


@lru_cache(maxsize=None)
def statements(layout: ChallengeLayout) -> Statements:
    status = select(challenge.c.otp_valid, layout.column().label("refusal"), challenge.c.expiration)
    return Statements(
        phone_side_and_challenge=_phone_side_statement(with_challenge=True, layout=layout),
        open_pushes=select(push_record.c.push_data)
        .join(challenge, belongs_to_challenge())
        .where(
            challenge.c.serial == bindparam("serial"),
            push_record.c.answer == "",  # a phone that confirmed (code to phone) has answered
            *open_conditions(bindparam("now"), layout, started=True),
        )
        .order_by(challenge.c.id),
        push_history=_push_history_statement(layout),
        transaction_status=status.where(
            challenge.c.serial == bindparam("serial"), challenge.c.transaction_id == bindparam("transaction_id")
        ),
        challenge_status=status.where(
            challenge.c.id == bindparam("challenge_id"), challenge.c.challenge == bindparam("nonce")
        ),
    )


INSERT_PUSH = insert(push_record)
PHONE_SIDE = _phone_side_statement(with_challenge=False)
