"""What the doctor knows about a deployment: plain data gathered once, read by every check."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, FrozenSet, List, Mapping, Optional, Tuple

from .. import catalogue
from ..catalogue import POLL_ONLY, TOKEN_TYPE, Scope

ENROLLMENT = Scope.ENROLL.value
AUTHENTICATION = Scope.AUTH.value


@dataclass(frozen=True)
class HostFacts:
    """The host a deployment runs, in the names its config file and gateways use."""

    name: str
    config_prefix: str  # of its config keys: EDUMFA_TOKEN_MODULES, PI_TOKEN_MODULES
    plugin_module: str  # the module its admins list
    firebase_provider: str  # its Firebase gateway's provider class
    webui_templates: bool  # whether its web UI takes the plugin's enrollment templates

    @property
    def token_modules_key(self) -> str:
        return f"{self.config_prefix}_TOKEN_MODULES"


EDUMFA = HostFacts(
    "eduMFA", "EDUMFA", catalogue.EDUMFA_PLUGIN_MODULE, catalogue.EDUMFA_FIREBASE_PROVIDER, webui_templates=True
)
PRIVACYIDEA = HostFacts(
    "privacyIDEA", "PI", catalogue.PRIVACYIDEA_PLUGIN_MODULE, catalogue.PRIVACYIDEA_FIREBASE_PROVIDER, False
)
HOST_FACTS = {"edumfa": EDUMFA, "privacyidea": PRIVACYIDEA}
PLUGIN_MODULE = EDUMFA.plugin_module
FIREBASE_PROVIDER = EDUMFA.firebase_provider


@dataclass(frozen=True)
class Gateway:
    """A host's SMS-gateway definition (Firebase gateways are SMS gateways in eduMFA and privacyIDEA)."""

    name: str
    module: str
    options: Mapping[str, str]
    phone_registration_token: str = ""  # of a token enrolled with this gateway, for a dry-run send; "" if none


@dataclass(frozen=True)
class Deployment:
    config_file: str
    settings: Mapping[str, Any]  # the config file (edumfa.cfg, pi.cfg) as the host reads it
    module_import_errors: Mapping[str, str]  # token modules entry -> why it does not import
    policies: Tuple[dict, ...]  # the host's Policy.get() of every policy
    gateways: Mapping[str, Gateway] = field(default_factory=dict)
    known_actions: Mapping[str, FrozenSet[str]] = field(default_factory=dict)  # scope -> edupushplus actions
    webui_templates: Mapping[str, str] = field(default_factory=dict)  # template file -> state, or "" -> why unreadable
    host: HostFacts = EDUMFA

    @property
    def database_url(self) -> str:
        return str(self.settings.get("SQLALCHEMY_DATABASE_URI") or "")

    @property
    def token_modules(self) -> List[str]:
        modules = self.settings.get(self.host.token_modules_key) or []
        return [modules] if isinstance(modules, str) else list(modules)

    def active_policies(self, scope: str) -> List[dict]:
        return [policy for policy in self.policies if policy["active"] and policy["scope"] == scope]

    def action_values(self, scope: str, action: str) -> List[Tuple[str, Any]]:
        """(policy name, value) of every active policy of ``scope`` that sets ``action``."""
        return [
            (policy["name"], policy["action"][action])
            for policy in self.active_policies(scope)
            if action in policy["action"]
        ]

    def edupushplus_actions(self) -> List[Tuple[str, str, str]]:
        """(policy name, scope, action) of every action named ``edupushplus_*``."""
        return [
            (policy["name"], policy["scope"], action)
            for policy in self.policies
            for action in policy["action"]
            if action.startswith(TOKEN_TYPE + "_")
        ]

    def firebase_gateway_names(self) -> List[str]:
        """Gateways the enrollment policies send pushes through ("poll only" left out)."""
        names = {value for _policy, value in self.action_values(ENROLLMENT, catalogue.FIREBASE_CONFIG.name)}
        return sorted(name for name in names if name != POLL_ONLY)


@dataclass(frozen=True)
class WorkerSetup:
    """How eduMFA is served, as far as the admin told us (gunicorn config file or options)."""

    worker_class: Optional[str] = None
    threads: Optional[int] = None
    source: str = "not given"
    workers: Optional[int] = None  # processes
    starts_sweeps: Optional[bool] = None  # the config file imports the plugin's worker hook (None: no file read)

    @property
    def known(self) -> bool:
        return self.worker_class is not None or self.threads is not None
