"""Are the edupushplus policies there and consistent?"""

from __future__ import annotations

from typing import Callable, List
from urllib.parse import urlsplit

from ... import catalogue
from ...catalogue import TOKEN_TYPE, Scope
from ...errors import PolicyValueError
from ...policy_sets import PLACEHOLDER_URL
from ...service.settings import check_value
from ...wire import WireError
from ...wire.dart_url import canonical_url
from ..deployment import AUTHENTICATION, ENROLLMENT, POLL_ONLY, Deployment
from ..findings import Finding, error, warning
from ..web import Answer

REGISTRATION_URL = catalogue.REGISTRATION_URL.name
FIREBASE_CONFIGURATION = catalogue.FIREBASE_CONFIG.name
SSL_VERIFY = catalogue.ENROLL_SSL_VERIFY.name
ENDPOINT_PATH = catalogue.ENDPOINT_PATH
LOAD_HINT = "edupush-token policies load poll-only --public-url https://<your eduMFA> --config {config}"


def check_registration_policy(deployment: Deployment) -> List[Finding]:
    if deployment.action_values(ENROLLMENT, REGISTRATION_URL):
        return []
    return [
        error(
            "registration-url-missing",
            f"No active enrollment policy sets {REGISTRATION_URL}; eduMFA refuses to enroll {TOKEN_TYPE} tokens.",
            "Load the ready policy set: " + LOAD_HINT.format(config=deployment.config_file),
        )
    ]


def check_registration_urls(deployment: Deployment, get: Callable[[str], Answer]) -> List[Finding]:
    findings = []
    for policy, url in deployment.action_values(ENROLLMENT, REGISTRATION_URL):
        findings += registration_url_findings(policy, str(url), get, deployment.config_file)
    return findings


def registration_url_findings(policy: str, url: str, get: Callable[[str], Answer], config: str) -> List[Finding]:
    where = f"{REGISTRATION_URL} of policy {policy!r} is {url!r}"
    if url.startswith(PLACEHOLDER_URL):
        return [
            error(
                "registration-url-placeholder",
                f"{where}: the ready set's placeholder, which phones cannot reach.",
                "Load the set with your server's URL: " + LOAD_HINT.format(config=config),
            )
        ]
    try:
        canonical = canonical_url(url)
    except WireError as problem:
        return [
            error("registration-url-invalid", f"{where}: {problem}", f"Set it to https://<your eduMFA>{ENDPOINT_PATH}.")
        ]
    parts = urlsplit(canonical)
    findings = []
    if parts.scheme != "https":
        findings.append(
            error(
                "registration-url-not-https",
                f"{where}: phones would send their keys and answers unencrypted.",
                f"Serve eduMFA over HTTPS and set https://{parts.netloc}{parts.path}.",
            )
        )
    if parts.query or parts.fragment:
        findings.append(
            error(
                "registration-url-query",
                f"{where}: the app appends its poll parameters without encoding, "
                "so a query string or fragment breaks polling, and the plugin refuses to enroll.",
                f"Remove everything from '?' or '#': {parts.scheme}://{parts.netloc}{parts.path}.",
            )
        )
    if canonical != url:
        findings.append(
            warning(
                "registration-url-not-canonical",
                f"{where}: the app reads it as {canonical!r} and signs that "
                "form; the plugin canonicalises it, but the policy no longer shows what phones use.",
                f"Write it as {canonical}.",
            )
        )
    if not parts.path.rstrip("/").endswith(ENDPOINT_PATH):
        findings.append(
            warning(
                "registration-url-path",
                f"{where}: eduMFA serves the phones' endpoint at {ENDPOINT_PATH}.",
                f"Use {parts.scheme}://{parts.netloc}{ENDPOINT_PATH}, unless a proxy maps this path there.",
            )
        )
    return findings + reachability_findings(where, canonical, get(canonical))


def reachability_findings(where: str, url: str, answer: Answer) -> List[Finding]:
    if not answer.reached:
        return [
            error(
                "registration-url-unreachable",
                f"{where}: not reachable from here ({answer.error}).",
                "Phones must reach it from the internet: check DNS, firewall, reverse proxy and certificate "
                "(for a private CA, give the doctor --ca-bundle).",
            )
        ]
    if not is_edupushplus_answer(answer):
        return [
            error(
                "registration-url-not-edupushplus",
                f"{where}: it answers HTTP {answer.status}, but not as eduMFA's {TOKEN_TYPE} endpoint does.",
                f"Point it at the eduMFA that has the plugin, path {ENDPOINT_PATH}, and check the proxy forwards it.",
            )
        ]
    return []


def is_edupushplus_answer(answer: Answer) -> bool:
    """A poll without parameters: eduMFA's JSON refusal from our endpoint, naming a missing field."""
    body = answer.body
    if not isinstance(body, dict) or not isinstance(body.get("result"), dict):
        return False
    message = str((body["result"].get("error") or {}).get("message", ""))
    return answer.status == 400 and "serial" in message.lower()


def check_firebase_configuration(deployment: Deployment) -> List[Finding]:
    findings = []
    for policy, name in deployment.action_values(ENROLLMENT, FIREBASE_CONFIGURATION):
        if name == POLL_ONLY:
            continue
        gateway = deployment.gateways.get(name)
        if gateway is None:
            findings.append(
                error(
                    "firebase-gateway-missing",
                    f"{FIREBASE_CONFIGURATION} of policy {policy!r} names {name!r}, but eduMFA has no such gateway; "
                    "enrollment fails.",
                    f"Define a Firebase gateway named {name!r} (Config > SMS gateways, provider FirebaseProvider), "
                    f"or set {FIREBASE_CONFIGURATION}={POLL_ONLY}.",
                )
            )
        elif gateway.module != deployment.host.firebase_provider:
            findings.append(
                error(
                    "firebase-gateway-wrong-type",
                    f"{FIREBASE_CONFIGURATION} of policy {policy!r} names {name!r}, a {gateway.module} gateway.",
                    f"Name a gateway of provider {deployment.host.firebase_provider}.",
                )
            )
    return findings


def check_unknown_actions(deployment: Deployment) -> List[Finding]:
    if not deployment.known_actions:
        return []  # the plugin did not load; its own finding says so
    return [
        error(
            "unknown-action",
            f"Policy {policy!r} ({scope}) sets {action}, which the plugin does not define in that scope; "
            "eduMFA ignores it.",
            "Correct the name (see the policy reference) or move it to the right scope.",
        )
        for policy, scope, action in deployment.edupushplus_actions()
        if action not in deployment.known_actions.get(scope, frozenset())
    ]


# Policies with checks of their own, which say more than "invalid value".
OWN_CHECKS = (catalogue.REGISTRATION_URL, catalogue.FIREBASE_CONFIG, catalogue.MOBILE_TEXT, catalogue.MOBILE_TITLE)


def check_policy_values(deployment: Deployment) -> List[Finding]:
    """Every active edupushplus value as logins and enrollments will read it: type, range, allowed values."""
    findings = []
    for scope in Scope:
        for stored in deployment.active_policies(scope.value):
            for action, value in stored["action"].items():
                known = catalogue.policy_named(action, scope)
                if known is None or known in OWN_CHECKS:
                    continue
                try:
                    check_value(known, value)
                except PolicyValueError as problem:
                    findings.append(
                        error(
                            "policy-value-invalid",
                            f"Policy {stored['name']!r} ({scope.value}): {problem}",
                            "Correct the value; the logins or enrollments it applies to fail until then.",
                        )
                    )
    return findings


def check_tls_verification(deployment: Deployment) -> List[Finding]:
    return [
        warning(
            "ssl-verify-off",
            f"Policy {policy!r} ({scope}) sets {SSL_VERIFY}=0: phones accept any certificate for the "
            "registration URL, so a network attacker can answer in eduMFA's place.",
            f"Use a certificate phones trust and set {SSL_VERIFY}=1 (or remove it: 1 is the default).",
        )
        for scope in (ENROLLMENT, AUTHENTICATION)
        for policy, value in deployment.action_values(scope, SSL_VERIFY)
        if str(value).strip() == "0"
    ]


# What a push_wait login cannot do: the relying application learns nothing before the phone has answered.
NOT_WITH_PUSH_WAIT = (catalogue.REQUIRE_PRESENCE, catalogue.CODE_TO_PHONE)


def check_push_wait_combinations(deployment: Deployment) -> List[Finding]:
    """Number matching or code to phone where push_wait may apply: those logins go without them."""
    waits = [policy for policy, _value in deployment.action_values(AUTHENTICATION, catalogue.WAIT.name)]
    if not waits:
        return []
    return [
        warning(
            "presence-with-push-wait",
            f"Policy {policy!r} sets {feature.name}, and {', '.join(map(repr, waits))} sets {catalogue.WAIT.name}: "
            "a push_wait login cannot show the user an option or take a code before the phone answers, so "
            f"where both apply the login goes without {feature.name}.",
            f"Give the users of {feature.name} no {catalogue.WAIT.name} (separate policies by realm or client).",
        )
        for feature in NOT_WITH_PUSH_WAIT
        for policy, _value in deployment.action_values(AUTHENTICATION, feature.name)
    ]


def check_privacyidea_app_gateway(deployment: Deployment) -> List[Finding]:
    """privacyIDEA-app tokens with a Firebase gateway: the app's store builds use their vendor's Firebase project."""
    chosen = deployment.action_values(ENROLLMENT, catalogue.APP_PROFILE.name)
    profiles = [policy for policy, value in chosen if str(value) == catalogue.AppProfile.PRIVACYIDEA.value]
    if not profiles:
        return []
    return [
        warning(
            "privacyidea-app-firebase",
            f"Policy {policy!r} sends pushes through {name!r}, and {', '.join(map(repr, profiles))} enrolls tokens "
            "for the privacyIDEA Authenticator, whose store builds use their vendor's Firebase project: unless "
            f"{name!r} holds a service account of that project, their pushes fail and the app must poll.",
            f"Set {FIREBASE_CONFIGURATION}={POLL_ONLY} for privacyIDEA-app tokens (separate policies by realm or "
            "user), or use that project's credentials.",
        )
        for policy, name in deployment.action_values(ENROLLMENT, FIREBASE_CONFIGURATION)
        if name != POLL_ONLY
    ]
