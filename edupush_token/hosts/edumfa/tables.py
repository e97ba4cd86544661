"""Our tables are created on first use, so installing the plugin needs no migration step."""

from __future__ import annotations

import threading

from sqlalchemy import exc

from edumfa.models import db

_created: set[tuple[str, str]] = set()
_lock = threading.Lock()


def create_once(model) -> None:
    """Create ``model``'s table in the current database unless this process already did."""
    engine = db.engine
    key = (engine.url.render_as_string(hide_password=False), model.__tablename__)
    if key in _created:
        return
    with _lock:
        try:
            model.__table__.create(bind=engine, checkfirst=True)
        except (exc.ProgrammingError, exc.OperationalError, exc.IntegrityError):
            with engine.connect() as connection:  # another process created it first
                if not engine.dialect.has_table(connection, model.__tablename__):
                    raise
        _created.add(key)
