"""Which database errors a push_wait waits out: the database being away, not a bug or a bad statement."""

import pytest
from sqlalchemy import exc

from edupush_token.errors import DatabaseUnavailable
from edupush_token.storage.outages import database_away, reported_as_unavailable


class Session:
    rolled_back = False

    def rollback(self):
        self.rolled_back = True


def error(kind, invalidated=False):
    return kind("SELECT 1", {}, Exception("server closed the connection"), connection_invalidated=invalidated)


@pytest.mark.parametrize(
    "raised, away",
    [
        (error(exc.OperationalError), True),  # refused, cut, shutting down, starting up
        (error(exc.DBAPIError, invalidated=True), True),  # the dialect saw a disconnect
        (error(exc.InterfaceError, invalidated=True), True),
        (error(exc.IntegrityError), False),
        (error(exc.ProgrammingError), False),
    ],
)
def test_the_database_is_away_when_pep_249_or_the_dialect_says_so(raised, away):
    assert database_away(raised) is away


def test_an_outage_is_reported_with_the_session_rolled_back():
    session = Session()
    with pytest.raises(DatabaseUnavailable), reported_as_unavailable(session):
        raise error(exc.OperationalError)
    assert session.rolled_back


@pytest.mark.parametrize("raised", [error(exc.IntegrityError), ValueError("a bug")])
def test_other_errors_pass_unchanged(raised):
    session = Session()
    with pytest.raises(type(raised)), reported_as_unavailable(session):
        raise raised
    assert not session.rolled_back
