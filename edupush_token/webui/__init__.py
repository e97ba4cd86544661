"""The edupushplus enrollment form for eduMFA's web UI.

eduMFA's AngularJS UI draws the enrollment form of a token type from
``<static>/components/token/views/token.enroll.<type>.html`` and, once the token
is created, the QR code and status from ``token.enrolled.<type>.html``; for a
token in rollout state ``clientwait`` it polls the token until the phone has
finished enrollment.  eduMFA has no plugin path for these views (its
``EDUMFA_CUSTOMIZATION`` folder only holds wizard snippets and CSS), so the two
templates of this package are copied into eduMFA's static folder.

Installed files carry :data:`MARKER` in their first line: that is how
:func:`uninstall` knows a file is ours, and how :func:`inspect` tells an old
copy from a file of someone else.  Nothing here imports eduMFA; finding the
static folder of a configured eduMFA is the adapter's job
(:mod:`edupush_token.edumfa_plugin.webui_folder`).
"""

from __future__ import annotations

import enum
import os
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..catalogue import TOKEN_TYPE
from ..errors import WebUIError

VIEWS = Path("components", "token", "views")
TEMPLATE_NAMES = (f"token.enroll.{TOKEN_TYPE}.html", f"token.enrolled.{TOKEN_TYPE}.html")
MARKER = "edupush-token web UI template"
# What eduMFA's enrollment page must contain for per-type templates to be loaded
# from VIEWS: if an eduMFA upgrade changes this, our templates would never show.
ENROLL_PAGE = "token.enroll.html"
PER_TYPE_INCLUDES = ("token/views/token.enroll.'", "token/views/token.enrolled.'")


class State(enum.Enum):
    CURRENT = "current"
    MISSING = "missing"
    OUTDATED = "outdated"
    FOREIGN = "foreign"


@dataclass(frozen=True)
class Template:
    name: str
    path: Path
    state: State


def packaged_template(name: str) -> str:
    return resources.files(__name__).joinpath("templates").joinpath(name).read_text(encoding="utf-8")


def views_folder(static_folder) -> Path:
    """The views folder under ``static_folder``, after checking it is a compatible eduMFA web UI."""
    views = Path(static_folder) / VIEWS
    enroll_page = views / ENROLL_PAGE
    if not enroll_page.is_file():
        raise WebUIError(
            f"{static_folder} is not the static folder of eduMFA's web UI: {enroll_page} does not exist. "
            "Pass the edumfa.cfg of your eduMFA with --config, or the folder with --static-folder."
        )
    page = enroll_page.read_text(encoding="utf-8", errors="replace")
    if not all(include in page for include in PER_TYPE_INCLUDES):
        raise WebUIError(
            f"{enroll_page} no longer loads per-type templates from {VIEWS}; this eduMFA's web UI "
            "is not supported by this version of edupush-token: look for a newer one."
        )
    return views


def inspect(static_folder) -> list[Template]:
    """Each template's state in ``static_folder``."""
    views = views_folder(static_folder)
    return [_template(views, name) for name in TEMPLATE_NAMES]


def install(static_folder) -> list[Template]:
    """Copy missing or outdated templates; idempotent. Returns the states found before."""
    found = inspect(static_folder)
    _refuse_foreign(found, "overwrite")
    for template in found:
        if template.state is not State.CURRENT:
            _write_atomically(template.path, packaged_template(template.name))
    return found


def uninstall(static_folder) -> list[Template]:
    """Remove the templates this package installed. Returns the states found before."""
    found = inspect(static_folder)
    _refuse_foreign(found, "remove")
    for template in found:
        if template.state is not State.MISSING:
            template.path.unlink()
    return found


def _template(views: Path, name: str) -> Template:
    path = views / name
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return Template(name, path, State.MISSING)
    if text == packaged_template(name):
        return Template(name, path, State.CURRENT)
    first_line = text.split("\n", 1)[0]
    return Template(name, path, State.OUTDATED if MARKER in first_line else State.FOREIGN)


def _refuse_foreign(found: list[Template], verb: str):
    foreign = [str(template.path) for template in found if template.state is State.FOREIGN]
    if foreign:
        raise WebUIError(
            f"Will not {verb} {', '.join(foreign)}: not installed by edupush-token "
            f"(its first line lacks {MARKER!r}). Move it away if it is not needed."
        )


def _write_atomically(path: Path, text: str):
    """Write a file the web server may be serving at that moment: never half-written."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
