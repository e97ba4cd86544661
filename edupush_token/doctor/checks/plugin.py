"""Is the plugin installed where eduMFA runs, and does eduMFA load it?"""

from __future__ import annotations

from typing import List

from ..deployment import PLUGIN_MODULE, Deployment
from ..findings import Finding, error


def check_token_modules(deployment: Deployment) -> List[Finding]:
    findings = []
    if PLUGIN_MODULE not in deployment.token_modules:
        findings.append(
            error(
                "plugin-not-registered",
                f"EDUMFA_TOKEN_MODULES in {deployment.config_file} does not list {PLUGIN_MODULE}, "
                "so eduMFA knows no edupushplus token type.",
                f'Add to {deployment.config_file}: EDUMFA_TOKEN_MODULES = ["{PLUGIN_MODULE}"] '
                "(keep any other modules in the list) and restart eduMFA.",
            )
        )
    for module, reason in deployment.module_import_errors.items():
        findings.append(
            error(
                "token-module-not-importable",
                f"EDUMFA_TOKEN_MODULES lists {module}, which does not import here: {reason}. "
                "eduMFA only logs a warning and runs without it.",
                "Fix the module name, or install the package into the Python environment eduMFA runs in "
                "(pip install edupush-token) and run the doctor with that environment's Python.",
            )
        )
    return findings
