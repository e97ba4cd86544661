"""Where an eduMFA serves its web UI from, for ``edupush-token webui``."""

from __future__ import annotations

from pathlib import Path


def static_folder(config_file: str) -> Path:
    """The static folder eduMFA's app factory sets up for ``config_file``.

    Asking eduMFA itself honours everything it does: ``EDUMFA_STATIC_FOLDER``
    (relative to eduMFA's package), the ``EDUMFA_CONFIGFILE`` environment
    variable, and its defaults when the file does not exist.
    """
    from edumfa.app import create_app

    app = create_app(config_name="production", config_file=config_file, silent=True)
    return Path(app.static_folder)
