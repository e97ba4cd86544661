"""checks.firebase: the gateways the policies name can get access tokens, and pushes go to Firebase."""

import pytest

from edupush_token.catalogue import DEFAULT_FCM_URL, Config
from edupush_token.delivery.firebase import Permanent, Transient
from edupush_token.doctor.checks.firebase import (
    GOOGLE_TOKEN_URI,
    JSON_CONFIG_OPTION,
    check_delivery,
    check_fcm_timeout,
    check_fcm_url,
    check_gateways,
    token_uris,
)
from edupush_token.doctor.checks.policies import FIREBASE_CONFIGURATION
from edupush_token.doctor.deployment import FIREBASE_PROVIDER, POLL_ONLY, Gateway
from edupush_token.doctor.findings import Severity
from edupush_token.doctor.web import Answer

from .factory import CONFIG_FILE, GATEWAY, FakeWeb, accepting_probe, only

STAND_IN = "http://127.0.0.1:8765/token"
# PKCS#8 of version 0, algorithm OID 1.2.3.4 with NULL parameters, key bytes 01 02: cryptography
# raises UnsupportedAlgorithm for it, which is no ValueError.
UNKNOWN_ALGORITHM_KEY = "-----BEGIN PRIVATE KEY-----\nMBACAQAwBwYDKgMEBQAEAgEC\n-----END PRIVATE KEY-----\n"


def test_sound_gateway_has_no_finding(make_deployment, web):
    deployment = make_deployment()
    assert check_gateways(deployment, web.get) == []
    assert web.asked == [GOOGLE_TOKEN_URI]
    assert token_uris(deployment) == [GOOGLE_TOKEN_URI]


@pytest.mark.parametrize("configuration", [POLL_ONLY, None])
def test_poll_only(make_deployment, web, configuration):
    deployment = make_deployment(enrollment={FIREBASE_CONFIGURATION: configuration})
    finding = only(check_gateways(deployment, web.get), "poll-only", Severity.NOTE)
    assert "No enrollment policy names a Firebase gateway" in finding.problem


@pytest.mark.parametrize("changes", [dict(policies=()), dict(gateways={})])
def test_nothing_to_check(make_deployment, web, changes):
    """No policies at all, or a gateway that does not exist: other checks say so."""
    assert check_gateways(make_deployment(**changes), web.get) == []


@pytest.mark.parametrize("options", [{}, {JSON_CONFIG_OPTION: "  "}])
def test_firebase_file_not_set(make_deployment, web, options):
    deployment = make_deployment(gateways={GATEWAY: Gateway(GATEWAY, FIREBASE_PROVIDER, options)})
    finding = only(check_gateways(deployment, web.get), "firebase-file-not-set", Severity.ERROR)
    assert f"Firebase gateway {GATEWAY!r} has no {JSON_CONFIG_OPTION!r} option" in finding.problem


@pytest.mark.parametrize(
    "content, says",
    [
        (dict(text="{not json"), "is not JSON"),
        (dict(text="[]"), "is not a service-account key file"),
        (dict(client_email=None, token_uri=""), "is not a service-account key file (missing client_email, token_uri)"),
        (dict(type="authorized_user"), "is of type 'authorized_user', not a service-account key"),
        (
            dict(private_key="-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
            "has a private_key that does not load",
        ),
        (dict(private_key=UNKNOWN_ALGORITHM_KEY), "has a private_key that does not load (Unknown key type: 1.2.3.4)"),
        (dict(private_key=12345), "has a private_key that is not a PEM string but int"),
        (dict(private_key=["-----BEGIN PRIVATE KEY-----"]), "has a private_key that is not a PEM string but list"),
    ],
)
def test_firebase_file_invalid(make_deployment, web, write_key_file, content, says):
    path = write_key_file(**content)
    finding = only(check_gateways(make_deployment(), web.get), "firebase-file-invalid", Severity.ERROR)
    assert f"Firebase gateway {GATEWAY!r}: {path} {says}" in finding.problem
    assert web.asked == []


def test_firebase_file_that_cannot_be_read(make_deployment, web, tmp_path):
    path = tmp_path / "nowhere.json"
    gateway = Gateway(GATEWAY, FIREBASE_PROVIDER, {JSON_CONFIG_OPTION: str(path)})
    deployment = make_deployment(gateways={GATEWAY: gateway})
    finding = only(check_gateways(deployment, web.get), "firebase-file-invalid", Severity.ERROR)
    assert f"{path} cannot be read (No such file or directory)" in finding.problem
    assert token_uris(deployment) == []


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660])
def test_firebase_file_readable_by_others(make_deployment, web, write_key_file, mode):
    path = write_key_file(mode=mode)
    finding = only(check_gateways(make_deployment(), web.get), "firebase-file-readable-by-others", Severity.WARNING)
    assert f"accessible to group or others (mode {mode:o})" in finding.problem
    assert finding.fix.startswith(f"chmod 600 {path}")


def test_firebase_token_endpoint_unreachable(make_deployment):
    web = FakeWeb({GOOGLE_TOKEN_URI: Answer(GOOGLE_TOKEN_URI, error="Connection timed out")})
    finding = only(check_gateways(make_deployment(), web.get), "firebase-token-endpoint-unreachable", Severity.ERROR)
    assert f"token endpoint {GOOGLE_TOKEN_URI} is not reachable (Connection timed out)" in finding.problem


def test_firebase_token_uri_not_google(make_deployment, web, write_key_file):
    write_key_file(token_uri=STAND_IN)
    finding = only(check_gateways(make_deployment(), web.get), "firebase-token-uri-not-google", Severity.NOTE)
    assert f"token_uri is {STAND_IN}, not Google's {GOOGLE_TOKEN_URI}" in finding.problem
    assert web.asked == [STAND_IN]


def test_pushes_go_to_firebase(make_deployment):
    assert check_fcm_url(make_deployment()) == []
    assert check_fcm_url(make_deployment(settings={Config.FCM_URL: ""})) == []


def test_fcm_url_overridden(make_deployment):
    finding = only(
        check_fcm_url(make_deployment(settings={Config.FCM_URL: STAND_IN})), "fcm-url-overridden", Severity.WARNING
    )
    assert f"{Config.FCM_URL} = {STAND_IN!r}: pushes go there instead of Firebase" in finding.problem
    assert f"Remove {Config.FCM_URL} from {CONFIG_FILE}" in finding.fix


@pytest.mark.parametrize(
    "result, code, severity",
    [
        (Permanent("HTTP 403 SenderIdMismatchError: SenderId mismatch"), "firebase-sender-mismatch", Severity.ERROR),
        (Permanent("bad service account credentials: invalid_grant"), "firebase-send-refused", Severity.ERROR),
        (
            Permanent("HTTP 404 UnregisteredError", unregistered=True),
            "firebase-probe-phone-unregistered",
            Severity.NOTE,
        ),
        (Transient("HTTP 503 UnavailableError"), "firebase-probe-unavailable", Severity.WARNING),
    ],
)
def test_a_refused_test_send(make_deployment, result, code, severity):
    asked = []

    def probe(gateway, registration_token):
        asked.append((gateway.name, registration_token))
        return result

    finding = only(check_delivery(make_deployment(), probe), code, severity)
    assert f"Firebase gateway '{GATEWAY}'" in finding.problem
    assert asked == [(GATEWAY, "")]


def test_an_accepted_test_send_uses_an_enrolled_phones_token(make_deployment, key_file):
    asked = []

    def probe(gateway, registration_token):
        asked.append((gateway.service_account_file, gateway.fcm_url, registration_token))
        return accepting_probe(gateway, registration_token)

    gateway = Gateway(GATEWAY, FIREBASE_PROVIDER, {JSON_CONFIG_OPTION: str(key_file)}, "phone-registration-token")
    assert check_delivery(make_deployment(gateways={GATEWAY: gateway}), probe) == []
    assert asked == [(str(key_file), DEFAULT_FCM_URL, "phone-registration-token")]


def test_no_probe_without_firebase_admin(make_deployment):
    assert check_delivery(make_deployment(), None) == []


@pytest.mark.parametrize("timeout, refused", [(None, False), ("14", False), ("15", True), (60, True)])
def test_an_fcm_timeout_that_leaves_no_attempt_within_a_lease_is_an_error(make_deployment, timeout, refused):
    findings = check_fcm_timeout(make_deployment(settings={Config.FCM_TIMEOUT: timeout}))
    assert bool(findings) is refused
    if refused:
        assert "no push is ever sent" in only(findings, "fcm-timeout-too-long", Severity.ERROR).problem
