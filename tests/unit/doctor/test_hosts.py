"""The doctor on privacyIDEA: its config names, its Firebase provider, its web UI, its Redis challenge cache."""

from dataclasses import replace

from edupush_token import catalogue
from edupush_token.doctor.checks.plugin import check_token_modules
from edupush_token.doctor.checks.policies import check_firebase_configuration
from edupush_token.doctor.checks.settings import check_challenge_store, check_speed_settings
from edupush_token.doctor.checks.webui import check_webui_templates
from edupush_token.doctor.deployment import PRIVACYIDEA, Gateway
from edupush_token.doctor.findings import Severity

from .factory import GATEWAY, only

PI_SETTINGS = {
    "PI_TOKEN_MODULES": [catalogue.PRIVACYIDEA_PLUGIN_MODULE],
    "PI_AUDIT_NO_PRIVATE_KEY_CHECK": True,
    "PI_RESPONSE_NO_PRIVATE_KEY_CHECK": True,
    "PI_ENGINE_REGISTRY_CLASS": "shared",
}


def on_privacyidea(make_deployment, **settings):
    deployment = make_deployment(settings={**PI_SETTINGS, **settings}, host=PRIVACYIDEA)
    gateway = deployment.gateways[GATEWAY]
    gateways = {GATEWAY: Gateway(GATEWAY, catalogue.PRIVACYIDEA_FIREBASE_PROVIDER, gateway.options)}
    return replace(deployment, gateways=gateways)


def test_a_sound_privacyidea_deployment_has_no_finding(make_deployment):
    deployment = on_privacyidea(make_deployment)
    assert check_token_modules(deployment) == []
    assert check_speed_settings(deployment) == []
    assert check_firebase_configuration(deployment) == []
    assert check_challenge_store(deployment) == []


def test_the_plugin_missing_from_pi_token_modules(make_deployment):
    deployment = on_privacyidea(make_deployment, PI_TOKEN_MODULES=[])
    finding = only(check_token_modules(deployment), "plugin-not-registered", Severity.ERROR)
    assert f'PI_TOKEN_MODULES = ["{catalogue.PRIVACYIDEA_PLUGIN_MODULE}"]' in finding.fix


def test_speed_settings_by_their_privacyidea_names(make_deployment):
    deployment = on_privacyidea(make_deployment, PI_ENGINE_REGISTRY_CLASS=None)
    finding = only(check_speed_settings(deployment), "audit-connection-per-request", Severity.WARNING)
    assert 'PI_ENGINE_REGISTRY_CLASS = "shared"' in finding.fix


def test_an_edumfa_firebase_gateway_is_the_wrong_type_on_privacyidea(make_deployment):
    deployment = make_deployment(settings=PI_SETTINGS, host=PRIVACYIDEA)  # the factory's gateway is eduMFA's
    only(check_firebase_configuration(deployment), "firebase-gateway-wrong-type", Severity.ERROR)


def test_the_web_ui_cannot_enroll_on_privacyidea(make_deployment):
    only(check_webui_templates(on_privacyidea(make_deployment)), "webui-cannot-enroll", Severity.NOTE)


def test_challenges_in_redis_are_an_error(make_deployment):
    deployment = on_privacyidea(
        make_deployment, PI_REDIS_URL="redis://cache:6379", **{catalogue.PRIVACYIDEA_REDIS_CHALLENGES: True}
    )
    finding = only(check_challenge_store(deployment), "challenges-in-redis", Severity.ERROR)
    assert f"{catalogue.PRIVACYIDEA_REDIS_CHALLENGES} = False" in finding.fix
