"""checks.policies, all but the registration URL's own findings (test_registration_url)."""

import pytest

from edupush_token import catalogue
from edupush_token.catalogue import TOKEN_TYPE
from edupush_token.doctor.checks.policies import (
    FIREBASE_CONFIGURATION,
    REGISTRATION_URL,
    SSL_VERIFY,
    check_firebase_configuration,
    check_policy_values,
    check_privacyidea_app_gateway,
    check_push_wait_combinations,
    check_registration_policy,
    check_tls_verification,
    check_unknown_actions,
)
from edupush_token.doctor.deployment import AUTHENTICATION, ENROLLMENT, POLL_ONLY, Gateway
from edupush_token.doctor.findings import Severity

from .factory import CONFIG_FILE, GATEWAY, URL, only, policy

ALL_CHECKS = (
    check_registration_policy,
    check_unknown_actions,
    check_policy_values,
    check_tls_verification,
    check_firebase_configuration,
    check_push_wait_combinations,
    check_privacyidea_app_gateway,
)


@pytest.mark.parametrize("check", ALL_CHECKS)
def test_sound_policies_have_no_finding(make_deployment, check):
    assert check(make_deployment()) == []


@pytest.mark.parametrize("policies", [(), (policy(ENROLLMENT, {REGISTRATION_URL: URL}, active=False),)])
def test_registration_url_missing(make_deployment, policies):
    findings = check_registration_policy(make_deployment(policies=policies))
    finding = only(findings, "registration-url-missing", Severity.ERROR)
    assert f"No active enrollment policy sets {REGISTRATION_URL}" in finding.problem
    assert f"--config {CONFIG_FILE}" in finding.fix


@pytest.mark.parametrize(
    "changes, scope, action",
    [
        (dict(enrollment={REGISTRATION_URL[:-1]: URL}), ENROLLMENT, REGISTRATION_URL[:-1]),
        (dict(authentication={REGISTRATION_URL: URL}), AUTHENTICATION, REGISTRATION_URL),
    ],
)
def test_unknown_action(make_deployment, changes, scope, action):
    finding = only(check_unknown_actions(make_deployment(**changes)), "unknown-action", Severity.ERROR)
    assert f"Policy 'edupushplus-{scope}' ({scope}) sets {action}, which the plugin does not define" in finding.problem


def test_unknown_actions_unchecked_when_the_plugin_did_not_load(make_deployment):
    assert check_unknown_actions(make_deployment(enrollment={f"{TOKEN_TYPE}_bogus": "1"}, known_actions={})) == []


@pytest.mark.parametrize("scope", [ENROLLMENT, AUTHENTICATION])
@pytest.mark.parametrize("value", ["0", 0, " 0"])
def test_ssl_verify_off(make_deployment, scope, value):
    findings = check_tls_verification(make_deployment(**{scope: {SSL_VERIFY: value}}))
    finding = only(findings, "ssl-verify-off", Severity.WARNING)
    assert f"Policy 'edupushplus-{scope}' ({scope}) sets {SSL_VERIFY}=0" in finding.problem


def test_ssl_verify_on_has_no_finding(make_deployment):
    assert check_tls_verification(make_deployment(enrollment={SSL_VERIFY: "1"}, authentication={SSL_VERIFY: 1})) == []


def test_poll_only_names_no_gateway(make_deployment):
    deployment = make_deployment(enrollment={FIREBASE_CONFIGURATION: POLL_ONLY}, gateways={})
    assert check_firebase_configuration(deployment) == []


def test_firebase_gateway_missing(make_deployment):
    deployment = make_deployment(enrollment={FIREBASE_CONFIGURATION: "fcm-prod"})
    finding = only(check_firebase_configuration(deployment), "firebase-gateway-missing", Severity.ERROR)
    assert "names 'fcm-prod', but eduMFA has no such gateway" in finding.problem
    assert f"{FIREBASE_CONFIGURATION}={POLL_ONLY}" in finding.fix


def test_firebase_gateway_wrong_type(make_deployment):
    sms = "edumfa.lib.smsprovider.HttpSMSProvider.HttpSMSProvider"
    deployment = make_deployment(gateways={GATEWAY: Gateway(GATEWAY, sms, {})})
    finding = only(check_firebase_configuration(deployment), "firebase-gateway-wrong-type", Severity.ERROR)
    assert f"names {GATEWAY!r}, a {sms} gateway" in finding.problem


@pytest.mark.parametrize(
    "scope, action, value, words",
    [
        (AUTHENTICATION, catalogue.WAIT.name, "twenty", "whole number from 1 to 300, not 'twenty'"),
        (AUTHENTICATION, catalogue.MAX_OPEN.name, "0", "whole number from 1 to 10"),
        (AUTHENTICATION, catalogue.ALLOW_POLLING.name, "sometimes", "one of allow, deny, token"),
        (AUTHENTICATION, catalogue.SYNCHRONOUS_DELIVERY.name, "false", "is a switch"),
        (ENROLLMENT, catalogue.SERVER_KEY_SIZE.name, "1024", "from 2048 to 4096"),
        (ENROLLMENT, catalogue.TTL.name, True, "needs a value"),
    ],
)
def test_policy_value_invalid(make_deployment, scope, action, value, words):
    finding = only(
        check_policy_values(make_deployment(**{scope: {action: value}})), "policy-value-invalid", Severity.ERROR
    )
    assert f"Policy 'edupushplus-{scope}' ({scope}): {action}" in finding.problem
    assert words in finding.problem


def test_inactive_policies_values_are_not_judged(make_deployment):
    stored = policy(AUTHENTICATION, {catalogue.WAIT.name: "twenty"}, active=False)
    assert check_policy_values(make_deployment(policies=(stored,))) == []


@pytest.mark.parametrize("feature", [catalogue.REQUIRE_PRESENCE, catalogue.CODE_TO_PHONE])
def test_number_matching_or_code_to_phone_with_push_wait_is_warned_about(make_deployment, feature):
    policies = (
        policy(ENROLLMENT, {REGISTRATION_URL: URL}),
        policy(AUTHENTICATION, {feature.name: True}, name="matching"),
        policy(AUTHENTICATION, {catalogue.WAIT.name: "10"}, name="waiting"),
    )
    finding = only(
        check_push_wait_combinations(make_deployment(policies=policies)), "presence-with-push-wait", Severity.WARNING
    )
    assert "'matching'" in finding.problem and "'waiting'" in finding.problem
    assert check_push_wait_combinations(make_deployment(policies=policies[:2])) == []


def test_privacyidea_app_tokens_with_a_firebase_gateway_are_warned_about(make_deployment):
    app = policy(ENROLLMENT, {catalogue.APP_PROFILE.name: catalogue.AppProfile.PRIVACYIDEA.value}, name="pi-app")
    pushed = policy(ENROLLMENT, {REGISTRATION_URL: URL, FIREBASE_CONFIGURATION: GATEWAY}, name="pushed")
    polled = policy(ENROLLMENT, {REGISTRATION_URL: URL, FIREBASE_CONFIGURATION: POLL_ONLY}, name="polled")
    finding = only(
        check_privacyidea_app_gateway(make_deployment(policies=(app, pushed))),
        "privacyidea-app-firebase",
        Severity.WARNING,
    )
    assert "'pushed'" in finding.problem and "'pi-app'" in finding.problem
    assert check_privacyidea_app_gateway(make_deployment(policies=(app, polled))) == []
    assert check_privacyidea_app_gateway(make_deployment(policies=(pushed,))) == []
