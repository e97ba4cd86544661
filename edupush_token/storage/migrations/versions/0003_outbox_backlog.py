"""Pushes still to be sent when the outbox came (revision 0002) are due at once.

A push that was queued or retrying when the database was upgraded to 0002
lived in the memory of a process of the earlier version, which the upgrade
may have ended; 0002 gave it no due time, so no sweep found it.  Now
whoever sweeps first sends it, if its login still needs it, or records that
the login no longer does.  Since 0002 every queued or retrying push has a
due time, so this finds nothing on a database that had none pending then.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"

PENDING = ("queued", "retrying")  # DeliveryState values of a push still to be sent when this revision was written


def upgrade() -> None:
    push = sa.table(
        "edupushplus_push", sa.column("delivery_state", sa.Unicode), sa.column("next_attempt_at", sa.DateTime)
    )
    op.execute(
        push.update()
        .where(push.c.delivery_state.in_(PENDING), push.c.next_attempt_at.is_(None))
        .values(next_attempt_at=datetime.utcnow())
    )
