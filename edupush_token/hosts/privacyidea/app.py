"""privacyIDEA's Flask app for a deployment's ``pi.cfg``, for commands and tests."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any, Iterator

from ...catalogue import PRIVACYIDEA_CONFIG_FILE, PRIVACYIDEA_CONFIG_FILE_VARIABLE


def default_config_file() -> str:
    """The pi.cfg privacyIDEA itself would read here: $PRIVACYIDEA_CONFIGFILE, else its standard place."""
    return os.environ.get(PRIVACYIDEA_CONFIG_FILE_VARIABLE) or PRIVACYIDEA_CONFIG_FILE


def create_privacyidea_app(config_file: Any) -> Any:
    """privacyIDEA's own app factory for ``config_file``, config name "production"."""
    from privacyidea.app import create_app

    return create_app(config_name="production", config_file=str(Path(config_file).resolve()), silent=True)


@contextlib.contextmanager
def app_context(config_file: Any) -> Iterator[object]:
    """The app, with its context pushed; the database connections are closed afterwards.

    privacyIDEA only warns about a missing config file (and would then use a
    database inside its own installation), so a missing one is an error here.
    """
    if not Path(config_file).is_file():
        raise FileNotFoundError(f"no privacyIDEA configuration at {config_file}")
    from privacyidea.models import db

    app = create_privacyidea_app(config_file)
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()
