"""Where an eduMFA serves its web UI from, for ``edupush-token webui``."""

from __future__ import annotations

from pathlib import Path

from .app import create_edumfa_app


def static_folder(config_file: str) -> Path:
    """The static folder eduMFA's app factory sets up for ``config_file``.

    Asking eduMFA itself honours everything it does: ``EDUMFA_STATIC_FOLDER``
    (relative to eduMFA's package), the ``EDUMFA_CONFIGFILE`` environment
    variable, and its defaults when the file does not exist.
    """
    app = create_edumfa_app(config_file)
    return Path(app.static_folder)
