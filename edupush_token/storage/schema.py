"""Table declarations: ours at the newest revision of ``migrations/``, and the columns we read of the host's."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    Sequence,
    Table,
    Unicode,
    UnicodeText,
)

from ..catalogue import LEASE_OWNER_LENGTH, MAX_SERIAL_LENGTH


def _utcnow() -> datetime:
    """Naive UTC: the convention of the hosts' tables, which ours are joined with."""
    return datetime.utcnow()


ours = MetaData()

push_record = Table(
    "edupushplus_push",
    ours,
    Column("id", Integer, primary_key=True),
    Column("challenge_id", BigInteger, nullable=False, index=True),
    Column("serial", Unicode(MAX_SERIAL_LENGTH), nullable=False, index=True),
    Column("nonce", Unicode(128), nullable=False, unique=True),
    Column("push_data", UnicodeText, nullable=False),
    Column("delivery_state", Unicode(20), nullable=False, default=""),
    Column("delivery_detail", Unicode(1024), nullable=False, default=""),
    Column("delivery_attempts", Integer, nullable=False, default=0),
    Column("fcm_message_id", Unicode(256), nullable=False, default=""),
    Column("answer", Unicode(10), nullable=False, default=""),
    Column("answered", DateTime, nullable=True),
    Column("created", DateTime, nullable=False, default=_utcnow),
    Column("updated", DateTime, nullable=False, default=_utcnow),
    # The outbox: set while a push is still to be sent, cleared once its fate is known.
    Column("next_attempt_at", DateTime, nullable=True),
    Column("lease_owner", Unicode(LEASE_OWNER_LENGTH), nullable=True),  # the process sending it now
    Column("lease_until", DateTime, nullable=True),  # after it, any process may take the push over
    Index("ix_edupushplus_push_next_attempt_at", "next_attempt_at"),
    # What the answer is checked against (matching.AnswerCheck); never sent to the phone.
    Column("mode", Unicode(20), nullable=True),
    Column("expected_answer", Unicode(64), nullable=True),
)

server_key = Table(
    "edupushplus_server_key",
    ours,
    Column("id", Integer, primary_key=True),
    Column("key_size", Integer, nullable=False, index=True),
    Column("public_pem", UnicodeText, nullable=False),
    Column("encrypted_private_pem", UnicodeText, nullable=False),
    Column("created", DateTime, nullable=False, default=_utcnow),
)

host = MetaData()  # never created by us: the host's migrations own these tables

token = Table(
    "token",
    host,
    Column("id", Integer, primary_key=True),
    Column("serial", Unicode(MAX_SERIAL_LENGTH)),
    Column("tokentype", Unicode(30)),
    Column("rollout_state", Unicode(10)),
    Column("active", Boolean),
    Column("revoked", Boolean),
    Column("locked", Boolean),
)
tokeninfo = Table(
    "tokeninfo",
    host,
    Column("id", Integer, Sequence("tokeninfo_seq"), primary_key=True),  # the hosts' ids come from it
    Column("token_id", Integer),
    Column("Key", Unicode(255)),
    Column("Value", UnicodeText),
)
tokenowner = Table(
    "tokenowner",
    host,
    Column("id", Integer, primary_key=True),
    Column("token_id", Integer),
    Column("resolver", Unicode(120)),
    Column("user_id", Unicode(320)),
)
challenge = Table(
    "challenge",
    host,
    Column("id", BigInteger, primary_key=True),
    Column("transaction_id", Unicode(64)),
    Column("data", Unicode(512)),
    Column("challenge", Unicode(512)),
    Column("session", Unicode(512), quote=True),
    Column("serial", Unicode(MAX_SERIAL_LENGTH)),
    Column("timestamp", DateTime),
    Column("expiration", DateTime),
    Column("received_count", Integer),
    Column("otp_valid", Boolean),
)
