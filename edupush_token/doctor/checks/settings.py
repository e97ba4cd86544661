"""Host settings (eduMFA's ``EDUMFA_*``, privacyIDEA's ``PI_*``) a production admin wants for speed."""

from __future__ import annotations

from typing import List

from ...catalogue import PRIVACYIDEA_REDIS_CHALLENGES
from ..deployment import EDUMFA, Deployment, HostFacts
from ..findings import Finding, error, warning

# The hosts load their RSA audit key for every request and, unless told not to,
# run cryptography's full RSA key validation on it each time.  The names follow the host's prefix.
_SPEED_SETTINGS = {
    "AUDIT_NO_PRIVATE_KEY_CHECK": ("audit-key-check-on", "writing each audit entry"),
    "RESPONSE_NO_PRIVATE_KEY_CHECK": ("response-key-check-on", "signing each response"),
}


def speed_settings(host: HostFacts) -> dict:
    return {f"{host.config_prefix}_{name}": check for name, check in _SPEED_SETTINGS.items()}


def engine_registry(host: HostFacts) -> str:
    return f"{host.config_prefix}_ENGINE_REGISTRY_CLASS"


SPEED_SETTINGS = speed_settings(EDUMFA)
ENGINE_REGISTRY = engine_registry(EDUMFA)


def check_speed_settings(deployment: Deployment) -> List[Finding]:
    return _key_checks(deployment) + _engine_registry(deployment)


def _key_checks(deployment: Deployment) -> List[Finding]:
    host = deployment.host.name
    return [
        warning(
            code,
            f"{setting} is not set: {host} checks its RSA private key again when {what}, "
            "which costs CPU time on every request.",
            f"Add {setting} = True to {deployment.config_file} (the key is {host}'s own; the check "
            "only guards against a corrupt key file).",
        )
        for setting, (code, what) in speed_settings(deployment.host).items()
        if not deployment.settings.get(setting)
    ]


def _engine_registry(deployment: Deployment) -> List[Finding]:
    """The hosts' default registry ("null") builds a new audit engine, and connection, per request."""
    setting = engine_registry(deployment.host)
    if deployment.settings.get(setting, "null") == "shared":
        return []
    return [
        warning(
            "audit-connection-per-request",
            f'{setting} is not "shared": {deployment.host.name} opens a new connection to its audit database for '
            "every request; on PostgreSQL that is a TCP connection and a login each time (12 to 15 ms a "
            "request in our benchmark).",
            f'Add {setting} = "shared" to {deployment.config_file}, so each worker process keeps '
            "a pool of audit connections.",
        )
    ]


def check_challenge_store(deployment: Deployment) -> List[Finding]:
    """privacyIDEA may keep challenges in Redis; the plugin needs them in the challenge table."""
    settings = deployment.settings
    if not (settings.get("PI_REDIS_URL") and settings.get(PRIVACYIDEA_REDIS_CHALLENGES)):
        return []
    return [
        error(
            "challenges-in-redis",
            f"{PRIVACYIDEA_REDIS_CHALLENGES} keeps privacyIDEA's challenges in Redis, but edupushplus answers, "
            "polls and push_wait read and write the challenge table: every edupushplus request is refused.",
            f"Set {PRIVACYIDEA_REDIS_CHALLENGES} = False in {deployment.config_file} (other Redis caches may stay).",
        )
    ]
