"""checks.plugin: EDUMFA_TOKEN_MODULES lists the plugin, and every module in it imports."""

import pytest

from edupush_token.doctor.checks.plugin import check_token_modules
from edupush_token.doctor.deployment import PLUGIN_MODULE
from edupush_token.doctor.findings import Severity

from .factory import CONFIG_FILE, only


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
