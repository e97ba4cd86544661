"""checks.settings: the eduMFA settings that save CPU time and connections on every request."""

import pytest

from edupush_token.doctor.checks.settings import ENGINE_REGISTRY, check_speed_settings
from edupush_token.doctor.findings import Severity

from .factory import CONFIG_FILE, only


def test_speed_settings_set_have_no_finding(make_deployment):
    assert check_speed_settings(make_deployment()) == []


@pytest.mark.parametrize(
    "setting, code",
    [
        ("EDUMFA_AUDIT_NO_PRIVATE_KEY_CHECK", "audit-key-check-on"),
        ("EDUMFA_RESPONSE_NO_PRIVATE_KEY_CHECK", "response-key-check-on"),
    ],
)
@pytest.mark.parametrize("value", [None, False])
def test_private_key_check_on(make_deployment, setting, code, value):
    finding = only(check_speed_settings(make_deployment(settings={setting: value})), code, Severity.WARNING)
    assert f"{setting} is not set" in finding.problem
    assert f"Add {setting} = True to {CONFIG_FILE}" in finding.fix


@pytest.mark.parametrize("registry", [None, "null", "Shared"])
def test_audit_connection_per_request(make_deployment, registry):
    deployment = make_deployment(settings={ENGINE_REGISTRY: registry})
    finding = only(check_speed_settings(deployment), "audit-connection-per-request", Severity.WARNING)
    assert f'{ENGINE_REGISTRY} is not "shared"' in finding.problem
