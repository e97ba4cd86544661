"""eduMFA's Flask app for a deployment's ``edumfa.cfg``, for commands that work on its database."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Iterator


@contextlib.contextmanager
def app_context(config_file) -> Iterator[object]:
    """The app, with its context pushed; the database connections are closed afterwards.

    eduMFA silently ignores a missing config file (and would then use a database
    inside its own installation), so a missing one is an error here.
    """
    if not Path(config_file).is_file():
        raise FileNotFoundError(f"no eduMFA configuration at {config_file}")
    from edumfa.app import create_app
    from edumfa.models import db

    app = create_app(config_name="production", config_file=str(config_file), silent=True)
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()
