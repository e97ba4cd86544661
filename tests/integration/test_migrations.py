"""The plugin's tables are versioned: created, adopted from 0.1.0 and upgraded by its own Alembic revisions."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Integer,
    MetaData,
    Table,
    Unicode,
    UnicodeText,
    create_engine,
    func,
    insert,
    inspect,
    select,
    text,
)

from edupush_token.delivery import DeliveryState
from edupush_token.devtools.local_instance import DATABASE_FILE
from edupush_token.storage import migrate
from edupush_token.storage.schema import ours, push_record, server_key

pytestmark = pytest.mark.both_engines

# The tables as 0.1.0 declared them and created them at first use, without a version: a record of
# the past, so it never follows later changes of ``schema``.
RELEASE_0_1_0 = MetaData()
Table(
    "edupushplus_push",
    RELEASE_0_1_0,
    Column("id", Integer, primary_key=True),
    Column("challenge_id", BigInteger, nullable=False, index=True),
    Column("serial", Unicode(40), nullable=False, index=True),
    Column("nonce", Unicode(128), nullable=False, unique=True),
    Column("push_data", UnicodeText, nullable=False),
    Column("delivery_state", Unicode(20), nullable=False, default=""),
    Column("delivery_detail", Unicode(1024), nullable=False, default=""),
    Column("delivery_attempts", Integer, nullable=False, default=0),
    Column("fcm_message_id", Unicode(256), nullable=False, default=""),
    Column("answer", Unicode(10), nullable=False, default=""),
    Column("answered", DateTime, nullable=True),
    Column("created", DateTime, nullable=False, default=datetime.utcnow),
    Column("updated", DateTime, nullable=False, default=datetime.utcnow),
)
Table(
    "edupushplus_server_key",
    RELEASE_0_1_0,
    Column("id", Integer, primary_key=True),
    Column("key_size", Integer, nullable=False, index=True),
    Column("public_pem", UnicodeText, nullable=False),
    Column("encrypted_private_pem", UnicodeText, nullable=False),
    Column("created", DateTime, nullable=False, default=datetime.utcnow),
)
OUR_TABLES = {"edupushplus_push", "edupushplus_server_key", migrate.VERSION_TABLE}


@pytest.fixture
def database(engine, request, tmp_path):
    """An empty database of this run's engine, as a SQLAlchemy engine."""
    if engine == "postgresql":
        url = request.getfixturevalue("postgres_database")
    else:
        url = f"sqlite:///{tmp_path / 'edumfa.sqlite'}"
    database = create_engine(url)
    yield database
    database.dispose()


def database_of(instance):
    return create_engine(instance.database_url or f"sqlite:///{instance.directory / DATABASE_FILE}")


def tables(database) -> set:
    with database.connect() as connection:
        return set(inspect(connection).get_table_names())


def versions(database) -> list:
    with database.connect() as connection:
        return connection.execute(text(f"SELECT version_num FROM {migrate.VERSION_TABLE}")).scalars().all()


def test_an_empty_database_gets_the_tables_at_the_newest_revision(database):
    upgrade = migrate.upgrade(database)
    assert (upgrade.before, upgrade.after, upgrade.changed) == (None, migrate.head(), True)
    assert tables(database) == OUR_TABLES
    assert versions(database) == [migrate.head()]


def test_the_tables_of_0_1_0_are_adopted_with_their_rows(database):
    RELEASE_0_1_0.create_all(database)
    with database.begin() as connection:
        connection.execute(
            insert(RELEASE_0_1_0.tables["edupushplus_push"]),
            {"challenge_id": 7, "serial": "PUSH0001", "nonce": "n-1", "push_data": "{}"},
        )
        connection.execute(
            insert(RELEASE_0_1_0.tables["edupushplus_server_key"]),
            {"key_size": 4096, "public_pem": "public", "encrypted_private_pem": "secret"},
        )
    upgrade = migrate.upgrade(database)
    assert (upgrade.before, upgrade.after) == (None, migrate.head())
    with database.connect() as connection:
        assert connection.execute(select(push_record.c.serial, push_record.c.nonce)).all() == [("PUSH0001", "n-1")]
        assert connection.execute(select(server_key.c.encrypted_private_pem)).scalars().all() == ["secret"]


def test_pushes_still_to_be_sent_at_the_outbox_upgrade_are_due_at_once(database):
    RELEASE_0_1_0.create_all(database)
    states = {"n-queued": DeliveryState.QUEUED, "n-retrying": DeliveryState.RETRYING, "n-sent": DeliveryState.SENT}
    with database.begin() as connection:
        for nonce, state in states.items():
            connection.execute(
                insert(RELEASE_0_1_0.tables["edupushplus_push"]),
                {
                    "challenge_id": 7,
                    "serial": "PUSH0001",
                    "nonce": nonce,
                    "push_data": "{}",
                    "delivery_state": state.value,
                },
            )
    upgraded = datetime.utcnow()
    migrate.upgrade(database)
    with database.connect() as connection:
        due = dict(connection.execute(select(push_record.c.nonce, push_record.c.next_attempt_at)).all())
    assert due["n-sent"] is None
    assert upgraded - timedelta(seconds=5) <= due["n-queued"] <= datetime.utcnow()
    assert upgraded - timedelta(seconds=5) <= due["n-retrying"] <= datetime.utcnow()


def test_a_database_of_0_1_0_with_one_table_gets_the_other(database):
    RELEASE_0_1_0.tables["edupushplus_push"].create(database)
    migrate.upgrade(database)
    assert tables(database) == OUR_TABLES


def test_upgrading_twice_changes_nothing(database):
    migrate.upgrade(database)
    again = migrate.upgrade(database)
    assert (again.before, again.after, again.changed) == (migrate.head(), migrate.head(), False)
    assert versions(database) == [migrate.head()]


def test_a_database_migrated_by_a_newer_version_is_left_alone(database, monkeypatch, caplog):
    """A rolling upgrade: another node's newer version migrated the tables; this node keeps serving."""
    migrate.upgrade(database)
    with database.begin() as connection:
        connection.execute(text(f"UPDATE {migrate.VERSION_TABLE} SET version_num = 'newer'"))
    upgrade = migrate.upgrade(database)
    assert (upgrade.before, upgrade.after, upgrade.unknown, upgrade.changed) == ("newer", "newer", True, False)
    monkeypatch.setattr(migrate, "_current", set())
    migrate.ensure_current(database)
    assert "newer than this version of edupush-token ships" in caplog.text
    assert versions(database) == ["newer"]


def test_the_declared_tables_are_those_of_the_newest_revision(database):
    """A change to ``schema`` without a revision that makes it fails here, with what the revision must do."""
    migrate.upgrade(database)
    with database.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"version_table": migrate.VERSION_TABLE, "include_name": migrate.ours_only}
        )
        differences = compare_metadata(context, ours)
    assert differences == [], f"add a revision to {migrate.SCRIPTS / 'versions'} that does: {differences}"


FURTHER_REVISION = """
import sqlalchemy as sa
from alembic import op

revision = "further"
down_revision = "{previous}"


def upgrade():
    op.add_column("edupushplus_push", sa.Column("note", sa.Unicode(20), nullable=True))
"""


def test_a_further_revision_is_one_file_and_upgrades_a_database_with_rows(database, tmp_path, monkeypatch):
    """Proven on a copy of the shipped scripts: the package ships no revision that exists for tests."""
    migrate.upgrade(database)
    with database.begin() as connection:
        connection.execute(
            insert(push_record), {"challenge_id": 7, "serial": "PUSH0001", "nonce": "n-1", "push_data": "{}"}
        )
    previous, scripts = migrate.head(), tmp_path / "migrations"
    shutil.copytree(migrate.SCRIPTS, scripts)
    (scripts / "versions" / "further.py").write_text(FURTHER_REVISION.format(previous=previous))
    monkeypatch.setattr(migrate, "SCRIPTS", scripts)
    upgrade = migrate.upgrade(database)
    assert (upgrade.before, upgrade.after) == (previous, "further")
    with database.connect() as connection:
        assert connection.execute(text("SELECT serial, note FROM edupushplus_push")).all() == [("PUSH0001", None)]
    assert versions(database) == ["further"]


STARTER = """
import sys, time
from pathlib import Path
from sqlalchemy import create_engine
from edupush_token.storage import migrate
engine = create_engine(sys.argv[1])
engine.connect().close()
print("ready", flush=True)
while not Path(sys.argv[2]).exists():
    time.sleep(0.001)
print(migrate.upgrade(engine).changed)
"""


def test_processes_starting_at_once_upgrade_once(database, tmp_path):
    """Processes given the go at the same moment: only the database's lock orders them."""
    go = tmp_path / "go"
    url = database.url.render_as_string(hide_password=False)
    starters = [
        subprocess.Popen([sys.executable, "-c", STARTER, url, str(go)], stdout=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    assert [starter.stdout.readline() for starter in starters] == ["ready\n"] * len(starters)
    go.touch()
    outcomes = [starter.communicate(timeout=60)[0].strip() for starter in starters]
    assert [starter.returncode for starter in starters] == [0] * len(starters)
    assert sorted(outcomes) == ["False"] * (len(starters) - 1) + ["True"]
    assert versions(database) == [migrate.head()]


def test_first_use_in_a_process_upgrades_once(database, monkeypatch):
    monkeypatch.setattr(migrate, "_current", set())
    migrate.ensure_current(database)
    assert versions(database) == [migrate.head()]
    with database.begin() as connection:
        connection.execute(text(f"DELETE FROM {migrate.VERSION_TABLE}"))
    migrate.ensure_current(database)  # known current in this process: not even read again
    assert versions(database) == []


def test_the_migrate_command_leaves_edumfas_own_migrations_alone(instance):
    database = database_of(instance)
    with database.connect() as connection:
        edumfa_version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()

    def run_migrate():
        return subprocess.run(
            [sys.executable, "-m", "edupush_token.cli", "migrate", "--config", str(instance.config_file)],
            capture_output=True,
            text=True,
            timeout=120,
        )

    first, second = run_migrate(), run_migrate()
    assert first.returncode == 0, first.stderr
    assert f"upgraded from revision none (no {migrate.VERSION_TABLE} table yet) to {migrate.head()}" in first.stdout
    assert second.returncode == 0, second.stderr
    assert f"at revision {migrate.head()} already; nothing to do" in second.stdout
    with database.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == edumfa_version
        assert connection.execute(select(func.count()).select_from(push_record)).scalar_one() == 0
    assert versions(database) == [migrate.head()]
    database.dispose()


def test_a_login_brings_the_tables_up_to_date(instance, enrolled, trigger):
    trigger()
    database = database_of(instance)
    assert versions(database) == [migrate.head()]
    database.dispose()
