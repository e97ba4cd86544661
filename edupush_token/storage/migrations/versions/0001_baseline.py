"""Baseline: the tables of 0.1.0, exactly as 0.1.0 created them.

0.1.0 created each table at its first use and kept no version, so a database
from 0.1.0 may hold both tables, one, or none: each is created only if absent,
and existing rows are left alone. Like every revision, this spells its columns
out instead of importing ``schema``, whose tables describe the newest revision.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None

SERIAL_LENGTH = 40  # MAX_SERIAL_LENGTH in 0.1.0


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "edupushplus_push" not in existing:
        op.create_table(
            "edupushplus_push",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("challenge_id", sa.BigInteger, nullable=False, index=True),
            sa.Column("serial", sa.Unicode(SERIAL_LENGTH), nullable=False, index=True),
            sa.Column("nonce", sa.Unicode(128), nullable=False, unique=True),
            sa.Column("push_data", sa.UnicodeText, nullable=False),
            sa.Column("delivery_state", sa.Unicode(20), nullable=False),
            sa.Column("delivery_detail", sa.Unicode(1024), nullable=False),
            sa.Column("delivery_attempts", sa.Integer, nullable=False),
            sa.Column("fcm_message_id", sa.Unicode(256), nullable=False),
            sa.Column("answer", sa.Unicode(10), nullable=False),
            sa.Column("answered", sa.DateTime, nullable=True),
            sa.Column("created", sa.DateTime, nullable=False),
            sa.Column("updated", sa.DateTime, nullable=False),
        )
    if "edupushplus_server_key" not in existing:
        op.create_table(
            "edupushplus_server_key",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("key_size", sa.Integer, nullable=False, index=True),
            sa.Column("public_pem", sa.UnicodeText, nullable=False),
            sa.Column("encrypted_private_pem", sa.UnicodeText, nullable=False),
            sa.Column("created", sa.DateTime, nullable=False),
        )
