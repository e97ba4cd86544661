"""The plugin's tables in the database of the host configured by its config file (edumfa.cfg, pi.cfg)."""

from __future__ import annotations

from ..storage import migrate
from .installed import adapter


def upgrade_tables(config_file: str) -> migrate.Upgrade:
    """What ``edupush-token migrate`` does: our revisions on the host's own engine."""
    with adapter("app").app_context(config_file):
        return migrate.upgrade(adapter("library").LIBRARY.db.engine)
