"""The outbox: when a push that is still to be sent is next due, and which process holds it.

All three columns are nullable, so nodes still on the previous version keep
writing push records without them (their pushes are then sent as before,
from memory only).  A push that was still to be sent at the upgrade (queued
or retrying) is made due at once: the process that held it in memory may be
gone with the upgrade, and whoever sweeps first sends it if its login still
needs it.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"

LEASE_OWNER_LENGTH = 64  # catalogue.LEASE_OWNER_LENGTH when this revision was written
PENDING = ("queued", "retrying")  # DeliveryState values of a push still to be sent when this revision was written


def upgrade() -> None:
    op.add_column("edupushplus_push", sa.Column("next_attempt_at", sa.DateTime, nullable=True))
    op.add_column("edupushplus_push", sa.Column("lease_owner", sa.Unicode(LEASE_OWNER_LENGTH), nullable=True))
    op.add_column("edupushplus_push", sa.Column("lease_until", sa.DateTime, nullable=True))
    op.create_index("ix_edupushplus_push_next_attempt_at", "edupushplus_push", ["next_attempt_at"])
    push = sa.table(
        "edupushplus_push", sa.column("delivery_state", sa.Unicode), sa.column("next_attempt_at", sa.DateTime)
    )
    op.execute(push.update().where(push.c.delivery_state.in_(PENDING)).values(next_attempt_at=datetime.utcnow()))
