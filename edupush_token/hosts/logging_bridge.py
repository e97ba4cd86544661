"""The plugin's log records go where the host's own go: ``EDUMFA_LOGFILE`` / ``PI_LOGFILE`` or the logging config.

eduMFA configures only its ``edumfa`` logger (``create_app``; privacyIDEA its ``privacyidea`` logger alike), with the
``logging.config`` default that disables every other logger existing at that
moment; our records reached at best stderr, which ``gunicorn --daemon``
discards, although the docs send admins to eduMFA's log. So once per app, at
first use, the ``edupush_token`` logger gets a handler that passes its records
to the ``edumfa`` logger's handlers, takes eduMFA's level (``EDUMFA_LOGLEVEL``)
and propagates as eduMFA's logger does; each record reaches each handler once.
A level an admin's logging configuration gives ``edupush_token`` is kept.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

PACKAGE_LOGGER = __name__.split(".")[0]
CONNECTED = f"{PACKAGE_LOGGER}.logging"  # the app's ``extensions`` key: set once this app is connected
_connecting = threading.Lock()  # two first requests at once must not add two handlers (every line twice)


class ToHostLog(logging.Handler):
    """Hands a record to the handlers of the host's logger, if that logger would take it."""

    def __init__(self, host_logger: str) -> None:
        super().__init__()
        self.host_logger = host_logger
        self.level_given = logging.NOTSET  # the level this bridge gave our logger, told apart from an admin's

    def emit(self, record: logging.LogRecord) -> None:
        host = logging.getLogger(self.host_logger)
        if host.disabled or record.levelno < host.getEffectiveLevel():
            return
        for handler in host.handlers:
            if record.levelno >= handler.level:
                handler.handle(record)


def connect(app: Any, host_logger: str) -> None:
    """Connect our logger to the host's (``edumfa``, ``privacyidea``) for ``app``.

    Each ``create_app`` reconfigures logging, so once per app.
    """
    if app.extensions.get(CONNECTED):
        return
    with _connecting:
        _connect_ours(host_logger)
    app.extensions[CONNECTED] = True


def _connect_ours(host_logger: str) -> None:
    host = logging.getLogger(host_logger)
    ours = logging.getLogger(PACKAGE_LOGGER)
    bridge = next((handler for handler in ours.handlers if isinstance(handler, ToHostLog)), None)
    if bridge is None:
        bridge = ToHostLog(host_logger)
        ours.addHandler(bridge)
    bridge.host_logger = host_logger
    if ours.level in (logging.NOTSET, bridge.level_given):
        bridge.level_given = host.getEffectiveLevel()
        ours.setLevel(bridge.level_given)
    ours.propagate = host.propagate
    _enable_package_loggers()


def _enable_package_loggers() -> None:
    """Undo ``disable_existing_loggers``: our modules' loggers existed when the host configured logging."""
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger) and (name == PACKAGE_LOGGER or name.startswith(f"{PACKAGE_LOGGER}.")):
            logger.disabled = False
