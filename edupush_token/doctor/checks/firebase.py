"""Can the Firebase gateways the policies name actually send?"""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Callable, List, Optional

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization

from ...catalogue import (
    ATTEMPT_REQUESTS,
    DEFAULT_FCM_TIMEOUT,
    DEFAULT_FCM_URL,
    FIREBASE_CONFIG,
    FIREBASE_SERVICE_ACCOUNT_OPTION,
    LEASE_SECONDS,
    Config,
)
from ..deployment import Deployment, Gateway
from ..findings import Finding, error, note, warning
from ..web import Answer

if TYPE_CHECKING:  # firebase-admin is imported only where a probe is actually made
    from ...delivery.firebase import FirebaseGateway, SendResult

    Probe = Callable[[FirebaseGateway, str], SendResult]

JSON_CONFIG_OPTION = FIREBASE_SERVICE_ACCOUNT_OPTION
SERVICE_ACCOUNT_FIELDS = ("type", "project_id", "private_key", "client_email", "token_uri")
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"


def check_gateways(deployment: Deployment, get: Callable[[str], Answer]) -> List[Finding]:
    names = deployment.firebase_gateway_names()
    if not names and deployment.policies:
        return [
            note(
                "poll-only",
                "No enrollment policy names a Firebase gateway: phones get no pushes and see logins only "
                "when the app polls.",
                f"For pushes, define a FirebaseProvider gateway and set {FIREBASE_CONFIG.name} to it.",
            )
        ]
    findings = []
    for name in names:
        gateway = deployment.gateways.get(name)
        if gateway is not None:  # a missing gateway is the policy check's finding
            findings += gateway_findings(gateway, get)
    return findings


def gateway_findings(gateway: Gateway, get: Callable[[str], Answer]) -> List[Finding]:
    where = f"Firebase gateway {gateway.name!r}"
    path = _key_file(gateway)
    if path is None:
        return [
            error(
                "firebase-file-not-set",
                f"{where} has no {JSON_CONFIG_OPTION!r} option.",
                f"Set {JSON_CONFIG_OPTION!r} to the service-account key file from the Firebase console "
                "(Project settings > Service accounts > Generate new private key).",
            )
        ]
    problem, account = _read_service_account(path)
    if problem:
        return [
            error(
                "firebase-file-invalid",
                f"{where}: {path} {problem}.",
                "Download the service-account key file again from the Firebase console and point "
                f"{JSON_CONFIG_OPTION!r} at it; eduMFA's user must be able to read it.",
            )
        ]
    findings = []
    if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        findings.append(
            warning(
                "firebase-file-readable-by-others",
                f"{where}: {path} holds a private key but is accessible to group or others "
                f"(mode {stat.S_IMODE(path.stat().st_mode):o}).",
                f"chmod 600 {path} (owned by the user eduMFA runs as).",
            )
        )
    findings += token_endpoint_findings(where, account["token_uri"], get(account["token_uri"]))
    return findings


def token_endpoint_findings(where: str, token_uri: str, answer: Answer) -> List[Finding]:
    if not answer.reached:
        return [
            error(
                "firebase-token-endpoint-unreachable",
                f"{where}: the service account's token endpoint {token_uri} is not reachable ({answer.error}); "
                "no push can be sent without an access token from it.",
                "Allow outgoing HTTPS from eduMFA to oauth2.googleapis.com and fcm.googleapis.com "
                "(or set the proxy variables HTTPS_PROXY for eduMFA).",
            )
        ]
    if token_uri != GOOGLE_TOKEN_URI:
        return [
            note(
                "firebase-token-uri-not-google",
                f"{where}: the service account's token_uri is {token_uri}, not Google's {GOOGLE_TOKEN_URI}.",
                "Fine for a local FCM stand-in; for production use the key file as Google issued it.",
            )
        ]
    return []


def token_uris(deployment: Deployment) -> List[str]:
    """The token endpoints of the gateways in use whose key files can be read."""
    uris = []
    for name in deployment.firebase_gateway_names():
        gateway = deployment.gateways.get(name)
        path = _key_file(gateway) if gateway is not None else None
        if path is not None:
            _problem, account = _read_service_account(path)
            if account:
                uris.append(account["token_uri"])
    return uris


def check_delivery(deployment: Deployment, probe: Optional["Probe"]) -> List[Finding]:
    """A validate_only send through each gateway in use: does Firebase accept what the plugin will send?

    ``probe`` is None where firebase-admin does not import (the plugin check says so).
    """
    if probe is None:
        return []
    from ...delivery.firebase import FirebaseGateway

    findings = []
    for name in deployment.firebase_gateway_names():
        gateway = deployment.gateways.get(name)
        path = _key_file(gateway) if gateway is not None else None
        if gateway is None or path is None or _read_service_account(path)[0]:
            continue  # the file's own findings say why
        target = FirebaseGateway(
            name,
            str(path),
            str(deployment.settings.get(Config.FCM_URL) or DEFAULT_FCM_URL),
            float(deployment.settings.get(Config.FCM_TIMEOUT) or DEFAULT_FCM_TIMEOUT),
        )
        findings += probe_findings(f"Firebase gateway {name!r}", probe(target, gateway.phone_registration_token))
    return findings


def probe_findings(where: str, result: "SendResult") -> List[Finding]:
    from ...delivery.firebase import Permanent, Transient

    if isinstance(result, Transient):
        return [
            warning(
                "firebase-probe-unavailable",
                f"{where}: a test send (validate_only) did not get through: {result.reason}.",
                "Check outgoing HTTPS to oauth2.googleapis.com and fcm.googleapis.com, and run the doctor again.",
            )
        ]
    if not isinstance(result, Permanent):
        return []
    if "SenderIdMismatch" in result.reason:
        return [
            error(
                "firebase-sender-mismatch",
                f"{where}: Firebase refuses to send to an enrolled phone with this service account: the app "
                f"registered with another Firebase project ({result.reason}).",
                "Use the service account of the Firebase project the app is built for (the eduMFA "
                "Authenticator's operator provides it).",
            )
        ]
    if result.unregistered:
        return [
            note(
                "firebase-probe-phone-unregistered",
                f"{where}: the credentials work; the enrolled phone used for the test is no longer registered "
                f"({result.reason}).",
                "Nothing to fix on the server: that phone re-registers when the app runs again.",
            )
        ]
    return [
        error(
            "firebase-send-refused",
            f"{where}: Firebase refuses a test send (validate_only): {result.reason}.",
            "A revoked or deleted key, or a key of another project: create a new key in the Firebase console "
            "(Project settings > Service accounts) and point the gateway at it.",
        )
    ]


def check_fcm_url(deployment: Deployment) -> List[Finding]:
    url = deployment.settings.get(Config.FCM_URL)
    if not url:
        return []
    return [
        warning(
            "fcm-url-overridden",
            f"{Config.FCM_URL} = {url!r}: pushes go there instead of Firebase (a setting for tests and demos).",
            f"Remove {Config.FCM_URL} from {deployment.config_file} so pushes reach phones.",
        )
    ]


def check_fcm_timeout(deployment: Deployment) -> List[Finding]:
    """An attempt is made only if it can end before the process's hold on the push does (``ATTEMPT_REQUESTS``)."""
    timeout = float(deployment.settings.get(Config.FCM_TIMEOUT) or DEFAULT_FCM_TIMEOUT)
    if ATTEMPT_REQUESTS * timeout < LEASE_SECONDS:
        return []
    return [
        error(
            "fcm-timeout-too-long",
            f"{Config.FCM_TIMEOUT} = {timeout:g}: an attempt at sending (an access token, then the push) may take "
            f"{ATTEMPT_REQUESTS * timeout:g} s, and a process holds a push for {LEASE_SECONDS:g} s: no push is ever sent.",
            f"Set {Config.FCM_TIMEOUT} below {LEASE_SECONDS / ATTEMPT_REQUESTS:g} in {deployment.config_file} "
            f"(default {DEFAULT_FCM_TIMEOUT:g}).",
        )
    ]


def _key_file(gateway: Gateway) -> Optional[Path]:
    name = (gateway.options.get(JSON_CONFIG_OPTION) or "").strip()
    return Path(name) if name else None


def _read_service_account(path: Path):
    """(problem, account): what is wrong with the key file, or its content."""
    try:
        account = json.loads(path.read_text(encoding="utf-8"))
    except OSError as problem:
        return f"cannot be read ({problem.strerror})", None
    except ValueError:
        return "is not JSON", None
    if not isinstance(account, dict):
        return "is not a service-account key file", None
    missing = [name for name in SERVICE_ACCOUNT_FIELDS if not account.get(name)]
    if missing:
        return f"is not a service-account key file (missing {', '.join(missing)})", None
    if account["type"] != "service_account":
        return f"is of type {account['type']!r}, not a service-account key", None
    key_problem = _private_key_problem(account["private_key"])
    if key_problem:
        return key_problem, None
    return None, account


def _private_key_problem(pem: object) -> Optional[str]:
    if not isinstance(pem, str):  # JSON: a number, a list... has no .encode()
        return f"has a private_key that is not a PEM string but {type(pem).__name__}"
    try:
        serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as problem:
        return f"has a private_key that does not load ({problem})"
    return None
