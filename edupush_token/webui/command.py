"""``edupush-token webui install|check|uninstall``: the enrollment form in eduMFA's web UI."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from ..catalogue import EDUMFA_CONFIG_FILE, EDUMFA_CONFIG_FILE_VARIABLE
from . import TEMPLATE_NAMES, VIEWS, State, WebUIError, inspect, install, uninstall

INSTALL_WORDS = {State.MISSING: "installed", State.OUTDATED: "updated", State.CURRENT: "up to date"}
UNINSTALL_WORDS = {State.MISSING: "not there", State.OUTDATED: "removed", State.CURRENT: "removed"}
CHECK_WORDS = {
    State.CURRENT: "up to date",
    State.MISSING: "missing",
    State.OUTDATED: "outdated (from another version of edupush-token)",
    State.FOREIGN: "not installed by edupush-token",
}

ACTIONS = {
    "install": "copy the edupushplus enrollment templates into eduMFA's web UI (idempotent)",
    "check": "tell whether the templates are installed and current (exit status 0) or not (1)",
    "uninstall": "remove the templates that install put there",
}


def register(commands) -> None:
    """Add the ``webui`` command to the ``edupush-token`` subcommands."""
    webui = commands.add_parser(
        "webui",
        help="make edupushplus tokens enrollable in eduMFA's web UI (QR code, live status)",
        description=(
            f"eduMFA's web UI draws a token type's enrollment form and QR code from per-type templates "
            f"in {VIEWS} of its static folder: {', '.join(TEMPLATE_NAMES)}. These commands put the "
            "edupushplus templates there, check them, and take them away; no restart of eduMFA is "
            "needed. After an upgrade of eduMFA or edupush-token, check tells whether to install again."
        ),
    )
    actions = webui.add_subparsers(dest="webui_action", required=True, metavar="ACTION")
    for name, text in ACTIONS.items():
        action = actions.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")
        location = action.add_mutually_exclusive_group()
        location.add_argument(
            "--config",
            help="edumfa.cfg of the eduMFA whose static folder (EDUMFA_STATIC_FOLDER) to use (default: "
            f"${EDUMFA_CONFIG_FILE_VARIABLE}, else {EDUMFA_CONFIG_FILE}, or eduMFA's built-in folder if that file "
            "does not exist)",
        )
        location.add_argument("--static-folder", type=Path, help="the folder eduMFA's web server serves /static from")


def run(args: argparse.Namespace) -> int:
    try:
        static_folder = _static_folder(args)
        if args.webui_action == "check":
            return _check(static_folder, args)
        if args.webui_action == "install":
            _report(install(static_folder), INSTALL_WORDS)
            print("Reload the web UI in the browser: edupushplus is in the token type list of the enrollment page.")
            return 0
        _report(uninstall(static_folder), UNINSTALL_WORDS)
        return 0
    except (WebUIError, OSError) as error:
        print(f"edupush-token webui {args.webui_action}: {error}", file=sys.stderr)
        return 2


def _static_folder(args) -> Path:
    if args.static_folder is not None:
        return args.static_folder
    from ..hosts.installed import default_host

    if default_host() != "edumfa":
        raise WebUIError(
            "privacyIDEA's web UI is compiled and takes no templates; enroll edupushplus tokens through its API "
            "(POST /token/init with type=edupushplus) or at login (docs/privacyidea.md)"
        )
    if args.config is not None and not Path(args.config).is_file():
        raise WebUIError(f"no eduMFA configuration at {args.config}")
    from ..hosts.edumfa.app import default_config_file
    from ..hosts.edumfa.webui_folder import static_folder

    config = args.config or default_config_file()
    folder = static_folder(config)
    origin = config if Path(config).is_file() else f"eduMFA's app factory without {config}, which does not exist"
    print(f"eduMFA's web UI static folder, from {origin}: {folder}")
    return folder


def _check(static_folder: Path, args) -> int:
    found = inspect(static_folder)
    _report(found, CHECK_WORDS)
    if all(template.state is State.CURRENT for template in found):
        return 0
    location = (
        ["--static-folder", str(args.static_folder)]
        if args.static_folder
        else (["--config", args.config] if args.config else [])
    )
    print("Fix: " + shlex.join(["edupush-token", "webui", "install", *location]))
    return 1


def _report(found, words) -> None:
    for template in found:
        print(f"  {words[template.state]:<11} {template.path}")
