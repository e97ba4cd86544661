"""What a push's answer is checked against: number matching's right option, code to phone's code.

Both columns are nullable, so nodes still on the previous version keep
writing push records without them (their pushes are standard ones).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.add_column("edupushplus_push", sa.Column("mode", sa.Unicode(20), nullable=True))
    op.add_column("edupushplus_push", sa.Column("expected_answer", sa.Unicode(64), nullable=True))
