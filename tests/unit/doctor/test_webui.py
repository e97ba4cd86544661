"""checks.webui: the enrollment templates in eduMFA's static folder."""

import pytest

from edupush_token.doctor.checks.webui import check_webui_templates
from edupush_token.doctor.findings import Severity
from edupush_token.webui import TEMPLATE_NAMES, State

from .factory import CONFIG_FILE, only

ENROLL, ENROLLED = TEMPLATE_NAMES


def test_current_templates_have_no_finding(make_deployment):
    assert check_webui_templates(make_deployment()) == []


def test_static_folder_unreadable_is_a_note(make_deployment):
    deployment = make_deployment(webui_templates={"": "/srv/static is not the static folder of eduMFA's web UI"})
    finding = only(check_webui_templates(deployment), "webui-unknown", Severity.NOTE)
    assert "/srv/static is not the static folder" in finding.problem


@pytest.mark.parametrize(
    "state, code, says",
    [
        (State.MISSING, "webui-templates-missing", "is not installed"),
        (State.OUTDATED, "webui-templates-outdated", "is from another version"),
        (State.FOREIGN, "webui-templates-foreign", "exists but was not installed by edupush-token"),
    ],
)
def test_template_not_current(make_deployment, state, code, says):
    deployment = make_deployment(webui_templates={ENROLL: State.CURRENT.value, ENROLLED: state.value})
    finding = only(check_webui_templates(deployment), code, Severity.WARNING)
    assert f"{ENROLLED} {says}" in finding.problem
    assert f"edupush-token webui install --config {CONFIG_FILE}" in finding.fix
