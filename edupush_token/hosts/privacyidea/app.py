"""privacyIDEA's Flask app for a deployment's ``pi.cfg``, for commands and tests."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ContextManager

from ...catalogue import PRIVACYIDEA_CONFIG_FILE, PRIVACYIDEA_CONFIG_FILE_VARIABLE


def default_config_file() -> str:
    """The pi.cfg privacyIDEA itself would read here: $PRIVACYIDEA_CONFIGFILE, else its standard place."""
    return os.environ.get(PRIVACYIDEA_CONFIG_FILE_VARIABLE) or PRIVACYIDEA_CONFIG_FILE


def create_privacyidea_app(config_file: Any) -> Any:
    """privacyIDEA's own app factory for ``config_file``, config name "production"."""
    from privacyidea.app import create_app

    return create_app(config_name="production", config_file=str(Path(config_file).resolve()), silent=True)


def app_context(config_file: Any) -> ContextManager[object]:
    """privacyIDEA's app for ``config_file``, its context pushed; a missing file is an error (privacyIDEA warns only)."""
    from ..library import app_context as library_app_context
    from .library import LIBRARY

    return library_app_context(LIBRARY, create_privacyidea_app, config_file, "privacyIDEA")
