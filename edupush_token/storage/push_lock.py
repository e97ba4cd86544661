"""One login at a time per user from reading the push limits' history to storing the push.

The limits (:mod:`edupush_token.limits`) are decided on the history read
before the push is stored; two logins of one user that both read before
either stored would both pass (measured: 20 concurrent logins, limit 1 open
request, gave 3-9 open requests).  So each login takes a lock first, in the
transaction that reads the history and stores the push; the commit of the
push, or the rollback on leaving, releases it.

- PostgreSQL: a transaction-scoped advisory lock keyed by the token's owner,
  as the history counts the owner's pushes (by the token if it has none).
  Under READ COMMITTED, the host's default, each statement reads what was
  committed before it started, so the history read after the lock sees the
  push of the login that held it; the host's earlier reads in the same
  transaction need not end first, and no extra commit is spent.
- SQLite: a write statement that changes nothing, so the transaction holds
  the database's write lock (RESERVED) before it reads.  A transaction that
  read first and wrote second could fail at once with "database is locked"
  where another writer is waiting to commit; one that starts with a write
  waits its turn in the busy timeout like any writer.
- Other databases: no lock, so the limits may be exceeded by concurrent logins.

The host must not hold uncommitted writes it wants to keep when the lock is
taken: a refused or failed login rolls the transaction back at once, so that
it does not hold the lock (on SQLite, the whole database's writes) while it
is refused and audited.  eduMFA commits each of a login's own writes (fail
counter, reset) as it makes them, so its session holds only reads here.
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
    if statement is not None:
        session.execute(statement, {"token_id": token_id})
    try:
        yield
    finally:
        session.rollback()
