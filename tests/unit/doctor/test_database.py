"""checks.database: SQLite only with one worker process, and pooled connections that survive a restart."""

import pytest

from edupush_token.catalogue import ENGINE_OPTIONS, POOL_PRE_PING
from edupush_token.doctor.checks.database import check_database
from edupush_token.doctor.deployment import WorkerSetup
from edupush_token.doctor.findings import Severity

from .factory import only

SQLITE = {"SQLALCHEMY_DATABASE_URI": "sqlite:////var/lib/edumfa/edumfa.sqlite"}


@pytest.mark.parametrize("workers", [None, 1])
def test_sqlite_with_one_worker_process_is_fine(make_deployment, workers):
    assert check_database(make_deployment(settings=SQLITE), WorkerSetup("gthread", 8, "test", workers)) == []


def test_sqlite_with_several_worker_processes(make_deployment):
    findings = check_database(make_deployment(settings=SQLITE), WorkerSetup("gthread", 8, "gunicorn.conf.py", 4))
    finding = only(findings, "sqlite-several-workers", Severity.WARNING)
    assert "SQLite with 4 worker processes (gunicorn.conf.py)" in finding.problem
    assert "PostgreSQL" in finding.fix


@pytest.mark.parametrize("options", [None, {}, {POOL_PRE_PING: False}])
def test_a_server_database_without_pre_ping(make_deployment, options):
    findings = check_database(make_deployment(settings={ENGINE_OPTIONS: options}), WorkerSetup())
    finding = only(findings, "database-no-pre-ping", Severity.WARNING)
    assert f'{ENGINE_OPTIONS} = {{"{POOL_PRE_PING}": True}}' in finding.fix


def test_a_server_database_with_pre_ping_is_fine(make_deployment):
    assert check_database(make_deployment(), WorkerSetup()) == []
