"""Hand-built deployments, web answers, and the one assertion every check test makes."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence

from edupush_token.catalogue import ENGINE_OPTIONS, POOL_PRE_PING
from edupush_token.delivery.firebase import Sent
from edupush_token.doctor.checks.firebase import GOOGLE_TOKEN_URI, JSON_CONFIG_OPTION
from edupush_token.doctor.checks.policies import ENDPOINT_PATH, FIREBASE_CONFIGURATION, REGISTRATION_URL, SSL_VERIFY
from edupush_token.doctor.checks.settings import ENGINE_REGISTRY, SPEED_SETTINGS
from edupush_token.doctor.checks.texts import TEXT, TITLE
from edupush_token.doctor.checks.workers import WAIT
from edupush_token.doctor.deployment import (
    AUTHENTICATION,
    ENROLLMENT,
    FIREBASE_PROVIDER,
    PLUGIN_MODULE,
    Deployment,
    Gateway,
)
from edupush_token.doctor.findings import Finding, Severity
from edupush_token.doctor.web import Answer
from edupush_token.webui import TEMPLATE_NAMES, State

CONFIG_FILE = "/etc/edumfa/edumfa.cfg"
URL = f"https://mfa.example.edu{ENDPOINT_PATH}"
GATEWAY = "fcm"
KNOWN_ACTIONS = {
    ENROLLMENT: frozenset({REGISTRATION_URL, FIREBASE_CONFIGURATION, SSL_VERIFY}),
    AUTHENTICATION: frozenset({TEXT, TITLE, WAIT, SSL_VERIFY}),
}


def policy(scope: str, actions: Mapping[str, Any], name: str = "", active: bool = True) -> dict:
    """A policy as eduMFA's ``Policy.get()`` gives it, as far as the doctor reads it."""
    return {
        "name": name or f"edupushplus-{scope}",
        "scope": scope,
        "active": active,
        "realm": ["demo"],
        "action": dict(actions),
    }


def build(
    key_file: Path,
    enrollment: Optional[Mapping[str, Any]] = None,
    authentication: Optional[Mapping[str, Any]] = None,
    settings: Optional[Mapping[str, Any]] = None,
    **fields: Any,
) -> Deployment:
    """A deployment no check finds fault with, changed by the arguments.

    ``enrollment``, ``authentication`` and ``settings`` are merged into the sound
    ones (a value of None removes the key); ``fields`` replace Deployment fields.
    """
    clean = Deployment(
        config_file=CONFIG_FILE,
        settings=_merged(
            {
                "EDUMFA_TOKEN_MODULES": [PLUGIN_MODULE],
                "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg2://edumfa@db.example.edu/edumfa",
                ENGINE_OPTIONS: {POOL_PRE_PING: True},
                ENGINE_REGISTRY: "shared",
                **{name: True for name in SPEED_SETTINGS},
            },
            settings,
        ),
        module_import_errors={},
        policies=(
            policy(ENROLLMENT, _merged({REGISTRATION_URL: URL, FIREBASE_CONFIGURATION: GATEWAY}, enrollment)),
            policy(AUTHENTICATION, _merged({TEXT: "Log in to {realm} as {user}?", TITLE: "Login"}, authentication)),
        ),
        gateways={GATEWAY: Gateway(GATEWAY, FIREBASE_PROVIDER, {JSON_CONFIG_OPTION: str(key_file)})},
        known_actions=KNOWN_ACTIONS,
        webui_templates={name: State.CURRENT.value for name in TEMPLATE_NAMES},
    )
    return replace(clean, **fields)


def service_account(private_key_pem: str, **changes: Any) -> Dict[str, Any]:
    """A Firebase service-account key file's content; ``changes`` as in :func:`build`."""
    return _merged(
        {
            "type": "service_account",
            "project_id": "edupush-demo",
            "private_key": private_key_pem,
            "client_email": "push@edupush-demo.iam.gserviceaccount.com",
            "token_uri": GOOGLE_TOKEN_URI,
        },
        changes,
    )


def _merged(base: Dict[str, Any], changes: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
    merged = {**base, **(changes or {})}
    return {key: value for key, value in merged.items() if value is not None}


def endpoint_answer(url: str, offset: float = 0.0) -> Answer:
    """What the plugin's endpoint answers a poll without parameters; its clock ``offset`` s behind ours."""
    now = time.time()
    body = {"result": {"status": False, "error": {"message": "Missing parameter: 'serial'"}}}
    return Answer(url, 400, server_time=now - offset, local_time=now, body=body)


class FakeWeb:
    """``get`` answers from ``answers`` by URL, else as the plugin's endpoint does; ``asked`` lists the URLs."""

    def __init__(self, answers: Optional[Mapping[str, Answer]] = None):
        self.answers = dict(answers or {})
        self.asked: List[str] = []

    def get(self, url: str) -> Answer:
        self.asked.append(url)
        return self.answers.get(url) or endpoint_answer(url)


def only(findings: Sequence[Finding], code: str, severity: Severity) -> Finding:
    """The single finding, after checking it is ``code`` of ``severity``."""
    assert [(finding.code, finding.severity) for finding in findings] == [(code, severity)]
    return findings[0]


def accepting_probe(gateway, registration_token):
    """A Firebase that accepts every test send."""
    return Sent(f"projects/edupush-demo/messages/{gateway.name}")
