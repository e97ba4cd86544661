"""Run every check against one deployment and collect the findings per check."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, List, Optional, Sequence, Tuple

from .checks import clock, database, firebase, plugin, policies, settings, texts, webui, workers
from .deployment import ENROLLMENT, Deployment, WorkerSetup
from .findings import Finding, Severity, error
from .web import Web

if TYPE_CHECKING:
    from .checks.firebase import Probe


@dataclass(frozen=True)
class Report:
    config_file: str
    results: Tuple[Tuple[str, Tuple[Finding, ...]], ...]  # (check title, its findings)
    host: str = "an unknown host"  # e.g. "eduMFA 2.9.5"

    @property
    def findings(self) -> List[Finding]:
        return [finding for _title, findings in self.results for finding in findings]

    def count(self, severity: Severity) -> int:
        return sum(finding.severity is severity for finding in self.findings)

    @property
    def failed(self) -> bool:
        return self.count(Severity.ERROR) > 0


def examine(
    config_file: str,
    web: Optional[Web] = None,
    setup: WorkerSetup = WorkerSetup(),
    clock_references: Sequence[str] = (),
    nodes: Sequence[str] = (),
    probe: Optional["Probe"] = None,
) -> Report:
    """All checks; ``clock_references`` replaces the default (registration URLs and token endpoints).

    ``nodes`` are the base URLs of running eduMFA nodes to ask whether they serve the plugin;
    ``probe`` makes the Firebase test sends (firebase-admin's, by default).
    """
    web = web or Web()
    try:
        from ..hosts.inspection import UnreadableDeployment, host_description, inspect
    except Exception as problem:  # the plugin itself does not import: nothing else can be checked
        return Report(config_file, (("plugin importable", (_plugin_broken(problem),)),))
    host = host_description()
    try:
        deployment = inspect(config_file)
    except UnreadableDeployment as problem:
        return Report(
            config_file,
            (
                (
                    "deployment readable",
                    (
                        error(
                            "deployment-unreadable",
                            str(problem),
                            "Run the doctor as the user eduMFA runs as, with the same edumfa.cfg and environment.",
                        ),
                    ),
                ),
            ),
            host,
        )
    checks = [
        ("plugin importable and registered", plugin.check_token_modules(deployment)),
        ("running nodes serve the plugin", plugin.check_running_nodes(nodes, web.get, deployment.host)),
        ("enrollment policy present", policies.check_registration_policy(deployment)),
        ("registration URL", policies.check_registration_urls(deployment, web.get)),
        ("policy actions known", policies.check_unknown_actions(deployment)),
        ("policy values valid", policies.check_policy_values(deployment)),
        ("TLS verification by phones", policies.check_tls_verification(deployment)),
        ("number matching and push_wait", policies.check_push_wait_combinations(deployment)),
        ("texts on the phone", texts.check_phone_texts(deployment)),
        ("Firebase gateway named by the policies", policies.check_firebase_configuration(deployment)),
        ("Firebase for the privacyIDEA app", policies.check_privacyidea_app_gateway(deployment)),
        ("Firebase service account and token endpoint", firebase.check_gateways(deployment, web.get)),
        ("Firebase accepts a test send", firebase.check_delivery(deployment, probe or _firebase_probe())),
        ("pushes go to Firebase", firebase.check_fcm_url(deployment)),
        ("an attempt at sending ends before the push's lease", firebase.check_fcm_timeout(deployment)),
        (
            "clock",
            clock.check_clock([web.get(url) for url in clock_references or default_clock_references(deployment, web)]),
        ),
        ("worker class for push_wait", workers.check_workers(deployment, setup)),
        ("outbox sweeps from a worker's boot", workers.check_boot_hook(setup)),
        ("database", database.check_database(deployment, setup)),
        (f"{deployment.host.name} speed settings", settings.check_speed_settings(deployment)),
        ("challenges in the database", settings.check_challenge_store(deployment)),
        ("web UI enrollment", webui.check_webui_templates(deployment)),
    ]
    return Report(config_file, tuple((title, tuple(findings)) for title, findings in checks), host)


def default_clock_references(deployment: Deployment, web: Web) -> List[str]:
    """Servers the deployment talks to anyway: its registration URLs and token endpoints."""
    urls = [str(url) for _policy, url in deployment.action_values(ENROLLMENT, policies.REGISTRATION_URL)]
    urls += firebase.token_uris(deployment)
    return [url for url in dict.fromkeys(urls) if url.startswith(("http://", "https://"))]


def _plugin_broken(problem: BaseException) -> Finding:
    return error(
        "plugin-not-importable",
        f"The edupushplus plugin does not import: {type(problem).__name__}: {problem}.",
        "Reinstall it into eduMFA's Python environment: pip install --upgrade edupush-token.",
    )


def _firebase_probe() -> Optional["Probe"]:
    try:
        from ..delivery.firebase import FirebaseSender
    except ImportError:  # firebase-admin missing: the plugin check reports it
        return None
    return FirebaseSender().probe
