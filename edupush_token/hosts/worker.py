"""A worker's background work from the moment it boots: the outbox sweeps.

Without this, a process starts sweeping at its first request of the plugin
(a login, a phone's poll or answer): a worker that replaced a killed or
reloaded one leaves the pushes they left due until such a request reaches
it.  Neither host offers a token module a hook at a worker's start, so the
WSGI server calls this: gunicorn through :func:`post_worker_init` in its
config file, any other server (mod_wsgi) through :func:`start` in the WSGI
file.  It works on the installed host; eduMFA deployments name it
``edupush_token.hosts.edumfa.worker``, as documented before there were two hosts.
"""

from __future__ import annotations

import logging
from typing import Any

from ..service import sending
from .common import Store
from .installed import adapter

log = logging.getLogger(__name__)


def start(app: Any) -> None:
    """Start this process's outbox sweeps for the host's Flask ``app``, now; a database that is away delays nothing."""
    with app.app_context():
        ports = adapter("ports").ports_for()
        try:
            Store(adapter("library").LIBRARY).ensure_tables()
        except Exception as error:  # the sweeps retry; the worker must boot whatever the database does
            log.warning("The plugin's tables could not be checked at worker start (%s); sweeps retry.", error)
        sending.keep_swept(ports, ports.host.context_runner())


def post_worker_init(worker: Any) -> None:
    """gunicorn's hook: ``from edupush_token.hosts.worker import post_worker_init`` in its config file."""
    start(worker.wsgi)
