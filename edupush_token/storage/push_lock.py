"""One login at a time per user from reading the push limits' history to storing the push.

The limits (:mod:`edupush_token.limits`) are decided on the history read
before the push is stored; two logins of one user that both read before
either stored would both pass (measured over gunicorn: 20 concurrent logins
of one user against a limit of one open request left 3 to 9 open).  So each
login takes a lock first, in the transaction that then reads the history and
stores the push; the push's commit, or the rollback on leaving, releases it.

- PostgreSQL: a transaction-scoped advisory lock keyed by the token's owner,
  as the history counts the owner's pushes (by the token if it has none).
  Under READ COMMITTED, the hosts' default, each statement reads what was
  committed before it started, so the history read after the lock sees the
  push of the login that held it.  The request's transaction need not end
  first, which saves a commit, and must not: on ``/validate/check`` eduMFA
  has locked the user's token rows (``SELECT ... FOR UPDATE``) in it.
- SQLite: a write statement that changes nothing, so the transaction holds
  the database's write lock (RESERVED) before it reads.  A transaction that
  read first and wrote second could fail at once with "database is locked"
  where another writer is waiting to commit; one that starts with a write
  waits its turn in the busy timeout like any writer.
- Other databases: no lock, so concurrent logins may exceed the limits.

A refused or failed login rolls its transaction back at once, so that it
does not hold the lock (on SQLite, every writer's) while it is audited.  What
the host wrote before in the same transaction would be lost with it; eduMFA
commits each of a login's writes (fail counter, reset) as it makes them, so
there is nothing of its own to lose at this point, only its row locks to release.
"""

from __future__ import annotations

import contextlib
from typing import Any, Iterator

from sqlalchemy import String, bindparam, cast, false, func, literal, select, update
from sqlalchemy.orm import Session

from .schema import push_record, tokenowner

LOCK_NAMESPACE = "edupushplus push:"  # keeps our keys apart from other users of advisory locks


def _owner_lock_statement() -> Any:
    token_id: Any = bindparam("token_id")
    owner = (
        select(tokenowner.c.resolver + literal("/") + tokenowner.c.user_id)
        .where(tokenowner.c.token_id == token_id)
        .limit(1)
        .scalar_subquery()
    )
    key = literal(LOCK_NAMESPACE) + func.coalesce(owner, literal("token ") + cast(token_id, String))
    return select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0)))


_LOCKS = {
    "postgresql": _owner_lock_statement(),
    "sqlite": update(push_record).where(false()).values(id=push_record.c.id),
}


@contextlib.contextmanager
def hold_push_lock(session: Session, token_id: int) -> Iterator[None]:
    """Hold the lock of ``token_id``'s owner; leaving rolls back what is not committed by then.

    After the push's commit there is no transaction left, and the rollback costs nothing.
    """
    statement = _LOCKS.get(session.get_bind().dialect.name)
    try:
        if statement is not None:
            session.execute(statement, {"token_id": token_id})
        yield
    finally:
        session.rollback()
