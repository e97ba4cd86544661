"""Can the WSGI server hold push_wait logins?

A push_wait login keeps its worker busy until the phone answers.  The plugin
allows at most EDUPUSH_PUSH_WAIT_SLOTS waits per process; without the setting
it derives the number from the server: 0 for one-request-at-a-time workers
(gunicorn ``sync``) and for multithreaded servers whose thread count it cannot
see (gunicorn ``gthread``), 1000 for gevent/eventlet.  Beyond the limit the
login falls back to challenge-response.
"""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import List, Optional

from ... import catalogue
from ..deployment import AUTHENTICATION, Deployment, WorkerSetup
from ..findings import Finding, error, warning

WAIT = catalogue.WAIT.name
SLOTS = catalogue.Config.PUSH_WAIT_SLOTS
GREEN_WORKERS = {
    "gevent",
    "eventlet",
    "gunicorn.workers.ggevent.GeventWorker",
    "gunicorn.workers.geventlet.EventletWorker",
}
THREAD_WORKERS = {"gthread", "gunicorn.workers.gthread.ThreadWorker"}
SYNC_WORKERS = {"sync", "gunicorn.workers.sync.SyncWorker"}
GUNICORN_DEFAULTS = {"worker_class": "sync", "threads": 1, "workers": 1}


def read_gunicorn_config(path: Path) -> WorkerSetup:
    """The worker class and threads a gunicorn config file sets (gunicorn's defaults otherwise).

    Runs the file as gunicorn does; it is the admin's own Python configuration.
    """
    settings = runpy.run_path(str(path))
    return WorkerSetup(
        worker_class=str(settings.get("worker_class", GUNICORN_DEFAULTS["worker_class"])),
        threads=int(settings.get("threads", GUNICORN_DEFAULTS["threads"])),
        source=str(path),
        workers=int(settings.get("workers", GUNICORN_DEFAULTS["workers"])),
        starts_sweeps=catalogue.EDUMFA_WORKER_MODULE in path.read_text(encoding="utf-8"),
    )


def check_boot_hook(setup: WorkerSetup) -> List[Finding]:
    """Whether gunicorn starts the plugin's outbox sweeps as each worker boots (known only from a config file)."""
    if setup.starts_sweeps is not False:
        return []
    return [
        warning(
            "worker-boot-hook-missing",
            f"{setup.source} does not start the plugin's outbox sweeps when a worker boots: pushes that killed "
            "or reloaded workers left due wait until a request of the plugin reaches one of the new workers.",
            f"Add `from {catalogue.EDUMFA_WORKER_MODULE} import post_worker_init` to {setup.source} "
            "(or call it from the post_worker_init the file has).",
        )
    ]


def effective_worker_class(setup: WorkerSetup) -> str:
    """gunicorn runs ``sync`` with threads > 1 as ``gthread``."""
    worker_class = setup.worker_class or GUNICORN_DEFAULTS["worker_class"]
    if worker_class in SYNC_WORKERS and (setup.threads or 1) > 1:
        return "gthread"
    if worker_class in THREAD_WORKERS:
        return "gthread"
    if worker_class in GREEN_WORKERS:
        return "green"
    if worker_class in SYNC_WORKERS:
        return "sync"
    return str(worker_class)


def check_workers(deployment: Deployment, setup: WorkerSetup) -> List[Finding]:
    slots, findings = _configured_slots(deployment)
    waits = [
        policy
        for policy, value in deployment.action_values(AUTHENTICATION, WAIT)
        if str(value).strip() not in ("", "0")
    ]
    if not waits:
        return findings
    where = f"push_wait ({WAIT} in {', '.join(repr(name) for name in waits)})"
    if not setup.known:
        return findings + [
            warning(
                "worker-class-unknown",
                f"{where} needs a server that can hold waiting requests, and the doctor cannot see how eduMFA is served.",
                "Pass --gunicorn-config /etc/edumfa/gunicorn.conf.py, or --worker-class and --threads.",
            )
        ]
    kind = effective_worker_class(setup)
    threads = setup.threads or 1
    if kind == "sync":
        consequence = (
            "the plugin allows no waits there, so every such login falls back to challenge-response"
            if not slots
            else f"{SLOTS} = {slots} makes the plugin wait anyway, blocking the worker's only request handler"
        )
        findings.append(
            error(
                "push-wait-sync-worker",
                f"{where}, but gunicorn's sync worker serves one request at a time ({setup.source}): {consequence}.",
                f"Run gunicorn with --worker-class gthread --threads 8 and set {SLOTS} = 7 in edumfa.cfg, "
                "or use --worker-class gevent.",
            )
        )
    elif kind == "gthread":
        findings += _thread_findings(where, setup, threads, slots)
    elif kind != "green":
        findings.append(
            warning(
                "worker-class-unrecognised",
                f"{where}; worker class {setup.worker_class!r} ({setup.source}) is not one the doctor knows.",
                f"Use gthread with {SLOTS} = threads - 1, or gevent; or set {SLOTS} to the number of "
                "requests a process can hold waiting while still serving others.",
            )
        )
    return findings


def _thread_findings(where: str, setup: WorkerSetup, threads: int, slots: Optional[int]) -> List[Finding]:
    if threads < 2:
        return [
            error(
                "push-wait-too-few-threads",
                f"{where}, but the gthread worker has {threads} thread ({setup.source}): a waiting login would block it.",
                f"Run gunicorn with --threads 8 (or more) and set {SLOTS} = 7.",
            )
        ]
    if slots is None or slots == 0:
        state = "not set" if slots is None else "0"
        return [
            error(
                "push-wait-slots-missing",
                f"{where}, but {SLOTS} is {state}: with gthread the plugin cannot see the thread count and "
                "allows no waits, so every such login falls back to challenge-response.",
                f"Set {SLOTS} = {threads - 1} in edumfa.cfg (threads - 1 keeps a thread for other requests).",
            )
        ]
    if slots >= threads:
        return [
            warning(
                "push-wait-slots-too-many",
                f"{SLOTS} = {slots} with {threads} threads ({setup.source}): waiting logins can occupy every "
                "thread, and the process stops answering anything else until a phone answers.",
                f"Set {SLOTS} = {threads - 1}.",
            )
        ]
    return []


def _configured_slots(deployment: Deployment):
    raw = deployment.settings.get(SLOTS)
    if raw is None:
        return None, []
    try:
        slots = int(str(raw).strip())
    except ValueError:
        slots = -1
    if isinstance(raw, bool) or slots < 0:
        return None, [
            error(
                "push-wait-slots-invalid",
                f"{SLOTS} = {raw!r} is not a whole number of at least 0.",
                f"Set {SLOTS} to the number of push_wait logins one process may hold, e.g. threads - 1.",
            )
        ]
    return slots, []
