"""Does the database suit how eduMFA is served, and will it survive a restart?"""

from __future__ import annotations

from typing import List

from ...catalogue import ENGINE_OPTIONS
from ...catalogue import POOL_PRE_PING as PRE_PING
from ..deployment import Deployment, WorkerSetup
from ..findings import Finding, warning


def check_database(deployment: Deployment, setup: WorkerSetup) -> List[Finding]:
    if deployment.database_url.startswith("sqlite"):
        return _sqlite_findings(setup)
    return _pre_ping_findings(deployment)


def _sqlite_findings(setup: WorkerSetup) -> List[Finding]:
    if (setup.workers or 1) < 2:
        return []
    return [
        warning(
            "sqlite-several-workers",
            f"eduMFA runs on SQLite with {setup.workers} worker processes ({setup.source}): SQLite lets one "
            "process write at a time, so logins queue behind each other's writes, and a write that waits "
            "longer than SQLite's 5 s lock timeout fails (eduMFA's audit entries among them).",
            'Use PostgreSQL for more than one worker process (pip install "edupush-token[postgresql]"; '
            "see the operations guide), or serve with one process and threads.",
        )
    ]


def _pre_ping_findings(deployment: Deployment) -> List[Finding]:
    options = deployment.settings.get(ENGINE_OPTIONS) or {}
    if isinstance(options, dict) and options.get(PRE_PING):
        return []
    return [
        warning(
            "database-no-pre-ping",
            f"{ENGINE_OPTIONS} does not set {PRE_PING}: after the database restarts, each pooled connection "
            "fails once, and eduMFA answers the requests that draw them with HTTP 500.",
            f'Add {ENGINE_OPTIONS} = {{"{PRE_PING}": True}} to {deployment.config_file}.',
        )
    ]
