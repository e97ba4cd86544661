"""The plugin's tables in the database of the eduMFA configured by an ``edumfa.cfg``."""

from __future__ import annotations

from ...storage import migrate
from .app import app_context


def upgrade_tables(config_file: str) -> migrate.Upgrade:
    """What ``edupush-token migrate`` does: our revisions on eduMFA's own engine."""
    from edumfa.models import db

    with app_context(config_file):
        return migrate.upgrade(db.engine)
