"""Which database errors mean "the database is away for now", as opposed to a bug or a bad statement.

PEP 249 files a refused or cut connection, and a server shutting down or
starting up, under ``OperationalError``; SQLAlchemy also marks an error its
dialect recognises as a lost connection (``connection_invalidated``).  Such
an error becomes :class:`DatabaseUnavailable`, which the callers may wait out.
"""

from __future__ import annotations

import contextlib
from typing import Iterator

from sqlalchemy import exc
from sqlalchemy.orm import Session

from ..errors import DatabaseUnavailable


def database_away(error: exc.DBAPIError) -> bool:
    return isinstance(error, exc.OperationalError) or error.connection_invalidated


@contextlib.contextmanager
def reported_as_unavailable(session: Session) -> Iterator[None]:
    """Raise :class:`DatabaseUnavailable` for the database being away, with ``session`` usable again.

    The session's failed transaction is rolled back (a lost connection was
    already dropped from the pool), so that the host's own writes later in
    the request work once the database is back, instead of failing on a
    transaction that needs a rollback first.
    """
    try:
        yield
    except exc.DBAPIError as error:
        if not database_away(error):
            raise
        session.rollback()
        raise DatabaseUnavailable(f"the database cannot be reached: {error.orig}") from error
