"""Our tables, brought to the newest revision of the Alembic scripts shipped in ``migrations/``.

The revisions keep their own version table, so eduMFA's ``alembic_version``
(its own migrations) and ours never meet. They run at the first use of our
tables in each process, or ahead of it by ``edupush-token migrate``. Several
processes starting at once take turns: the upgrade runs in one transaction
under a lock of the database (PostgreSQL's advisory lock, MySQL's named
lock, SQLite's write lock), and whoever comes second finds nothing to do.
Adding a revision is one file in ``migrations/versions/`` whose
``down_revision`` names the newest before it. A revision only adds (tables,
nullable or defaulted columns, indexes): during a rolling upgrade, nodes
still on the previous version keep using the tables a newer one migrated.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Optional, Union

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Column, MetaData, String, Table, func, inspect, select, text
from sqlalchemy.engine import Connection, Engine

if TYPE_CHECKING:
    from alembic.runtime.environment import NameFilterParentNames, NameFilterType

log = logging.getLogger(__name__)

SCRIPTS = Path(__file__).with_name("migrations")
VERSION_TABLE = "edupushplus_alembic_version"
TABLE_PREFIX = "edupushplus_"
LOCK_NAME = "edupushplus migrate"  # PostgreSQL's advisory lock hashed from it, as push_lock's are; MySQL's by name
MYSQL_LOCK_SECONDS = 60

_version = Table(VERSION_TABLE, MetaData(), Column("version_num", String(32)))  # as Alembic creates it


@dataclass(frozen=True)
class Upgrade:
    """The revision of our tables before and after an upgrade; None before means no version table.

    ``unknown`` means the database is at a revision this version does not ship: a newer version,
    on another node in a rolling upgrade, migrated it. It is left alone.
    """

    before: Optional[str]
    after: Optional[str]
    unknown: bool = False

    @property
    def changed(self) -> bool:
        return self.before != self.after


def ours_only(name: Optional[str], type_: NameFilterType, _parent: NameFilterParentNames) -> bool:
    """Autogenerate's filter: our tables only; the host's belong to the host's migrations."""
    return type_ != "table" or (name or "").startswith(TABLE_PREFIX)


def revisions() -> list[str]:
    """The shipped revisions, newest first."""
    return [script.revision for script in ScriptDirectory(str(SCRIPTS)).walk_revisions()]


def head() -> str:
    return revisions()[0]


def current(connection: Connection) -> Optional[str]:
    """The revision recorded in ``connection``'s database, None if it has no version table yet."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    return connection.execute(select(_version.c.version_num)).scalar()


_current: set[str] = set()
_lock = threading.RLock()  # Alembic's ``context`` and ``op`` are module globals: one upgrade per process at a time


def upgrade(engine: Engine) -> Upgrade:
    """Bring our tables to the newest revision; a no-op when they are there already."""
    with _lock, engine.connect() as connection:
        with _database_lock(connection):
            before, shipped = current(connection), revisions()
            if before is not None and before not in shipped:
                return Upgrade(before, before, unknown=True)
            if before != shipped[0]:
                config = Config()
                config.set_main_option("script_location", str(SCRIPTS))
                config.attributes["connection"] = connection
                with _alembic_quiet():
                    command.upgrade(config, shipped[0])
                connection.commit()
                log.info("edupushplus tables upgraded from revision %s to %s.", before or "(none)", shipped[0])
    return Upgrade(before, shipped[0])


@contextlib.contextmanager
def _alembic_quiet() -> Iterator[None]:
    """Alembic narrates each step at INFO into the host's log (and a command's output); one line of ours says it."""
    alembic_log = logging.getLogger("alembic")
    level = alembic_log.level
    alembic_log.setLevel(logging.WARNING)
    try:
        yield
    finally:
        alembic_log.setLevel(level)


def ensure_current(engine: Engine) -> None:
    """Upgrade before the first use of our tables in this process; later calls cost a set lookup.

    The check reads the version without any lock, so a process that finds the
    tables current never waits for a writer (on SQLite, possibly itself).
    """
    database = engine.url.render_as_string(hide_password=False)
    if database in _current:
        return
    with _lock:
        if database in _current:
            return
        with engine.connect() as connection:
            up_to_date = current(connection) == head()
        if not up_to_date and upgrade(engine).unknown:
            log.warning(
                "The edupushplus tables are at a revision newer than this version of edupush-token ships; "
                "left as they are. Upgrade edupush-token on this node."
            )
        _current.add(database)


def forget() -> None:
    """In a forked child: a thread of the parent may have held the lock; the tables stay known current."""
    global _lock
    _lock = threading.RLock()


@contextlib.contextmanager
def _database_lock(connection: Connection) -> Iterator[None]:
    """Held until the transaction ends (PostgreSQL, SQLite) or the block is left (MySQL)."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        connection.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(LOCK_NAME, 0))))
    elif dialect == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")  # the write lock; pysqlite would begin only at the first write
    elif dialect in ("mysql", "mariadb"):
        connection.execute(text("SELECT GET_LOCK(:name, :seconds)"), _mysql_lock())
    try:
        yield
    finally:
        if dialect in ("mysql", "mariadb"):  # a session's lock, and the connection goes back to the pool
            connection.execute(text("SELECT RELEASE_LOCK(:name)"), _mysql_lock())


def _mysql_lock() -> dict[str, Union[str, int]]:
    return {"name": LOCK_NAME, "seconds": MYSQL_LOCK_SECONDS}
