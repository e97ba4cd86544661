"""checks.texts: the phone texts render, and the longest push they can make fits into Firebase's limit."""

import pytest

from edupush_token.doctor.checks.texts import TEXT, TITLE, check_phone_texts
from edupush_token.doctor.deployment import AUTHENTICATION
from edupush_token.doctor.findings import Severity
from edupush_token.wire.push_data import FCM_DATA_LIMIT

from .factory import only, policy

TOO_LONG = "{user_agent} " * 40  # every variable may stand for 100 characters


@pytest.mark.parametrize("texts", [{}, {TEXT: None, TITLE: None}, {TEXT: "{{literal}} at {time} from {client_ip}"}])
def test_texts_that_render_and_fit_have_no_finding(make_deployment, texts):
    assert check_phone_texts(make_deployment(authentication=texts)) == []


@pytest.mark.parametrize(
    "action, template, says",
    [
        (TEXT, "Login from {ip}?", "unknown variable {ip}"),
        (TITLE, "Login {user", "Invalid text template 'Login {user'"),
        (TEXT, "Login {0}", "unknown variable {0}"),
    ],
)
def test_phone_text_invalid(make_deployment, action, template, says):
    deployment = make_deployment(authentication={action: template, TEXT if action == TITLE else TITLE: TOO_LONG})
    finding = only(check_phone_texts(deployment), "phone-text-invalid", Severity.ERROR)
    assert f"{action} of policy 'edupushplus-authentication': " in finding.problem
    assert says in finding.problem


@pytest.mark.parametrize("action", [TEXT, TITLE])
def test_phone_text_too_long(make_deployment, action):
    findings = check_phone_texts(make_deployment(authentication={action: TOO_LONG}))
    finding = only(findings, "phone-text-too-long", Severity.ERROR)
    assert f"{action} of policy 'edupushplus-authentication'" in finding.problem
    assert "can make a push of " in finding.problem
    assert f"more than Firebase's {FCM_DATA_LIMIT}" in finding.problem


def test_inactive_policy_texts_are_not_checked(make_deployment):
    inactive = policy(AUTHENTICATION, {TEXT: "{nope}", TITLE: TOO_LONG}, name="old-texts", active=False)
    assert check_phone_texts(make_deployment(policies=make_deployment().policies + (inactive,))) == []
