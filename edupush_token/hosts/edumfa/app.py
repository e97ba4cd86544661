"""eduMFA's Flask app for a deployment's ``edumfa.cfg``, for commands and tests."""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path
from typing import ContextManager

from ...catalogue import EDUMFA_CONFIG_FILE, EDUMFA_CONFIG_FILE_VARIABLE


def default_config_file() -> str:
    """The edumfa.cfg eduMFA itself would read here: $EDUMFA_CONFIGFILE, else its standard place."""
    return os.environ.get(EDUMFA_CONFIG_FILE_VARIABLE) or EDUMFA_CONFIG_FILE


def create_edumfa_app(config_file):
    """eduMFA's own app factory, without its side effect on loggers that exist already."""
    from edumfa.app import create_app

    # Flask reads a relative path against eduMFA's package directory, not the working directory.
    absolute = Path(config_file).resolve()
    with _existing_loggers_kept_enabled():
        return create_app(config_name="production", config_file=str(absolute), silent=True)


def app_context(config_file) -> ContextManager[object]:
    """eduMFA's app for ``config_file``, its context pushed; a missing file is an error (eduMFA ignores it)."""
    from ..library import app_context as library_app_context
    from .library import LIBRARY

    return library_app_context(LIBRARY, create_edumfa_app, config_file, "eduMFA")


@contextlib.contextmanager
def _existing_loggers_kept_enabled():
    """eduMFA's create_app() configures logging with ``disable_existing_loggers``,
    which would mute every logger that exists by then (e.g. the plugin's) for good."""
    disabled_before = [logger for logger in all_loggers() if logger.disabled]
    try:
        yield
    finally:
        for logger in all_loggers():
            logger.disabled = logger in disabled_before


def all_loggers():
    return [logger for logger in logging.Logger.manager.loggerDict.values() if isinstance(logger, logging.Logger)]
