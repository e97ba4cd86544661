"""eduMFA settings a production admin wants for speed."""

from __future__ import annotations

from typing import List

from ..deployment import Deployment
from ..findings import Finding, warning

# eduMFA loads its RSA audit key for every request and, unless told not to,
# runs cryptography's full RSA key validation on it each time.
SPEED_SETTINGS = {
    "EDUMFA_AUDIT_NO_PRIVATE_KEY_CHECK": ("audit-key-check-on", "writing each audit entry"),
    "EDUMFA_RESPONSE_NO_PRIVATE_KEY_CHECK": ("response-key-check-on", "signing each response"),
}


ENGINE_REGISTRY = "EDUMFA_ENGINE_REGISTRY_CLASS"


def check_speed_settings(deployment: Deployment) -> List[Finding]:
    return _key_checks(deployment) + _engine_registry(deployment)


def _key_checks(deployment: Deployment) -> List[Finding]:
    return [
        warning(
            code,
            f"{setting} is not set: eduMFA checks its RSA private key again when {what}, "
            "which costs CPU time on every request.",
            f"Add {setting} = True to {deployment.config_file} (the key is eduMFA's own; the check "
            "only guards against a corrupt key file).",
        )
        for setting, (code, what) in SPEED_SETTINGS.items()
        if not deployment.settings.get(setting)
    ]


def _engine_registry(deployment: Deployment) -> List[Finding]:
    """eduMFA's default registry ("null") builds a new audit engine, and connection, per request."""
    if deployment.settings.get(ENGINE_REGISTRY, "null") == "shared":
        return []
    return [
        warning(
            "audit-connection-per-request",
            f'{ENGINE_REGISTRY} is not "shared": eduMFA opens a new connection to its audit database for '
            "every request; on PostgreSQL that is a TCP connection and a login each time (12 to 15 ms a "
            "request in our benchmark).",
            f'Add {ENGINE_REGISTRY} = "shared" to {deployment.config_file}, so each worker process keeps '
            "a pool of audit connections.",
        )
    ]
