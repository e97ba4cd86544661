"""checks.plugin: EDUMFA_TOKEN_MODULES lists the plugin, and every module in it imports."""

import pytest

from edupush_token.catalogue import ENDPOINT_PATH
from edupush_token.doctor.checks.plugin import check_running_nodes, check_token_modules
from edupush_token.doctor.deployment import PLUGIN_MODULE
from edupush_token.doctor.findings import Severity
from edupush_token.doctor.web import Answer

from .factory import CONFIG_FILE, FakeWeb, only


@pytest.mark.parametrize("modules", [[PLUGIN_MODULE], PLUGIN_MODULE, ["edumfa.lib.tokens.hotptoken", PLUGIN_MODULE]])
def test_registered_plugin_has_no_finding(make_deployment, modules):
    assert check_token_modules(make_deployment(settings={"EDUMFA_TOKEN_MODULES": modules})) == []


@pytest.mark.parametrize("modules", [None, [], ["edumfa.lib.tokens.hotptoken"], "edupush_token"])
def test_plugin_not_registered(make_deployment, modules):
    finding = only(
        check_token_modules(make_deployment(settings={"EDUMFA_TOKEN_MODULES": modules})),
        "plugin-not-registered",
        Severity.ERROR,
    )
    assert f"does not list {PLUGIN_MODULE}" in finding.problem
    assert f"Add to {CONFIG_FILE}" in finding.fix


def test_token_module_not_importable(make_deployment):
    deployment = make_deployment(module_import_errors={"acme.tokens": "ModuleNotFoundError: No module named 'acme'"})
    finding = only(check_token_modules(deployment), "token-module-not-importable", Severity.ERROR)
    assert "lists acme.tokens, which does not import here: ModuleNotFoundError" in finding.problem


NODE = "http://10.0.0.7:8000"
NODE_ENDPOINT = NODE + ENDPOINT_PATH
UNKNOWN_TYPE = {"result": {"status": False, "error": {"code": 905, "message": "ERR905: no such token type"}}}


def test_a_node_serving_the_plugin_has_no_finding():
    web = FakeWeb()
    assert check_running_nodes([NODE + "/"], web.get) == []
    assert web.asked == [NODE_ENDPOINT]


@pytest.mark.parametrize(
    "answer, words",
    [
        (Answer(NODE_ENDPOINT, 400, body=UNKNOWN_TYPE), "HTTP 400, not the plugin"),
        (Answer(NODE_ENDPOINT, None, error="connection refused"), "not reachable (connection refused)"),
    ],
)
def test_a_node_without_the_plugin(answer, words):
    finding = only(
        check_running_nodes([NODE], FakeWeb({NODE_ENDPOINT: answer}).get), "node-lacks-plugin", Severity.ERROR
    )
    assert f"The eduMFA node {NODE} answers {NODE_ENDPOINT} with {words}" in finding.problem
    assert PLUGIN_MODULE in finding.fix
