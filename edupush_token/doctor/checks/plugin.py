"""Is the plugin installed where the host (eduMFA, privacyIDEA) runs, and does the host load it?"""

from __future__ import annotations

from typing import Callable, List, Sequence

from ...catalogue import ENDPOINT_PATH, TOKEN_TYPE
from ..deployment import EDUMFA, Deployment, HostFacts
from ..findings import Finding, error
from ..web import Answer
from .policies import is_edupushplus_answer


def check_token_modules(deployment: Deployment) -> List[Finding]:
    findings = []
    host = deployment.host
    key, module_name = host.token_modules_key, host.plugin_module
    if module_name not in deployment.token_modules:
        findings.append(
            error(
                "plugin-not-registered",
                f"{key} in {deployment.config_file} does not list {module_name}, "
                f"so {host.name} knows no edupushplus token type.",
                f'Add to {deployment.config_file}: {key} = ["{module_name}"] '
                f"(keep any other modules in the list) and restart {host.name}.",
            )
        )
    for module, reason in deployment.module_import_errors.items():
        findings.append(
            error(
                "token-module-not-importable",
                f"{key} lists {module}, which does not import here: {reason}. "
                f"{host.name} only logs a warning and runs without it.",
                f"Fix the module name, or install the package into the Python environment {host.name} runs in "
                "(pip install edupush-token) and run the doctor with that environment's Python.",
            )
        )
    return findings


def check_running_nodes(nodes: Sequence[str], get: Callable[[str], Answer], host: HostFacts = EDUMFA) -> List[Finding]:
    """Each running node (its own URL, not the load balancer's) serves the plugin's endpoint.

    The config file says what a node will load at its next start; a node
    started before the line was added, or from another file, does not.
    """
    findings = []
    for node in nodes:
        url = node.rstrip("/") + ENDPOINT_PATH
        answer = get(url)
        if answer.reached and is_edupushplus_answer(answer):
            continue
        what = f"not reachable ({answer.error})" if not answer.reached else f"HTTP {answer.status}, not the plugin"
        findings.append(
            error(
                "node-lacks-plugin",
                f"The {host.name} node {node} answers {url} with {what}: it runs without the {TOKEN_TYPE} type, so the "
                'requests it serves fail ("The user has no tokens assigned", HTTP 500 on /token/init, ERR905 '
                "on the phone).",
                f"On that node, install the package into {host.name}'s environment, list {host.plugin_module} "
                f"in its {host.token_modules_key} and restart {host.name}.",
            )
        )
    return findings
