"""Can the helpdesk enroll edupushplus tokens in eduMFA's web UI?

The plugin offers its type in eduMFA's enrollment list; without the templates
``edupush-token webui install`` puts into eduMFA's static folder, the form is
blank and no QR code appears.
"""

from __future__ import annotations

from typing import List

from ..deployment import Deployment
from ..findings import Finding, note, warning

INSTALL = "edupush-token webui install --config {config}"


def check_webui_templates(deployment: Deployment) -> List[Finding]:
    if not deployment.host.webui_templates:
        return [
            note(
                "webui-cannot-enroll",
                f"{deployment.host.name}'s web UI lists the token type but has no form for a plugin type.",
                "Enroll through the API (POST /token/init with type=edupushplus) or at login "
                "(the ready set edupushplus-enroll-at-login).",
            )
        ]
    states = dict(deployment.webui_templates)
    if "" in states:
        return [
            note(
                "webui-unknown",
                f"Cannot check the web UI's templates: {states['']}",
                "If your web server serves eduMFA's static folder itself, run "
                "edupush-token webui check --static-folder <that folder>.",
            )
        ]
    install = INSTALL.format(config=deployment.config_file)
    missing = sorted(name for name, state in states.items() if state == "missing")
    outdated = sorted(name for name, state in states.items() if state == "outdated")
    foreign = sorted(name for name, state in states.items() if state == "foreign")
    findings = []
    if missing:
        findings.append(
            warning(
                "webui-templates-missing",
                f"eduMFA's web UI lists the token type, but {', '.join(missing)} is not installed: "
                "its enrollment form is blank and shows no QR code.",
                install + " (no restart needed)",
            )
        )
    if outdated:
        findings.append(
            warning(
                "webui-templates-outdated",
                f"{', '.join(outdated)} is from another version of edupush-token.",
                install,
            )
        )
    if foreign:
        findings.append(
            warning(
                "webui-templates-foreign",
                f"{', '.join(foreign)} exists but was not installed by edupush-token.",
                "Check what put it there; remove it, then " + install,
            )
        )
    return findings
