"""The outbox: when a push that is still to be sent is next due, and which process holds it.

All three columns are nullable, so nodes still on the previous version keep
writing push records without them (their pushes are then sent as before,
from memory only).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"

LEASE_OWNER_LENGTH = 64  # catalogue.LEASE_OWNER_LENGTH when this revision was written


def upgrade() -> None:
    op.add_column("edupushplus_push", sa.Column("next_attempt_at", sa.DateTime, nullable=True))
    op.add_column("edupushplus_push", sa.Column("lease_owner", sa.Unicode(LEASE_OWNER_LENGTH), nullable=True))
    op.add_column("edupushplus_push", sa.Column("lease_until", sa.DateTime, nullable=True))
    op.create_index("ix_edupushplus_push_next_attempt_at", "edupushplus_push", ["next_attempt_at"])
