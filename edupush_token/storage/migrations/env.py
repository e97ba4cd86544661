"""Alembic's entry point for the plugin's revisions: they run on the connection ``migrate`` hands in.

Alembic loads this file by path for every command; ``migrate`` passes the
connection (already inside its locked transaction) in ``config.attributes``.
"""

from __future__ import annotations

from alembic import context

from edupush_token.storage.migrate import VERSION_TABLE, ours_only
from edupush_token.storage.schema import ours

context.configure(
    connection=context.config.attributes["connection"],
    target_metadata=ours,
    version_table=VERSION_TABLE,
    include_name=ours_only,
)
with context.begin_transaction():
    context.run_migrations()
