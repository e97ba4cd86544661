"""The catalogue: the names admins write, pinned; how a policy describes itself; lookups and bounds.

Admins have these names in their edumfa.cfg, their policies, their scripts and
their enrolled phones: policy actions, tokeninfo keys, config keys, the token
type and the phones' endpoint.  Renaming one breaks every deployment that
uses it, without an error.  So a rename must be a conscious change, worth a
line in the changelog: make it here as well, on purpose.  This is the only
place the tests spell these names; every other test reads them from
``edupush_token.catalogue``.
"""

import pytest

from edupush_token import catalogue
from edupush_token.catalogue import Config, Info, Kind, Policy, Scope, policies_in, policy_named

POLICY_NAMES = [
    ("authentication", "edupushplus_allow_polling"),
    ("authentication", "edupushplus_challenge_validity"),
    ("authentication", "edupushplus_code_to_phone"),
    ("authentication", "edupushplus_code_to_phone_message"),
    ("authentication", "edupushplus_cooldown_allows_poll"),
    ("authentication", "edupushplus_decline_cooldown"),
    ("authentication", "edupushplus_decline_limit"),
    ("authentication", "edupushplus_decline_window"),
    ("authentication", "edupushplus_finalize_window"),
    ("authentication", "edupushplus_max_open_requests"),
    ("authentication", "edupushplus_max_per_hour"),
    ("authentication", "edupushplus_min_interval"),
    ("authentication", "edupushplus_presence_custom_options"),
    ("authentication", "edupushplus_presence_num_options"),
    ("authentication", "edupushplus_presence_options"),
    ("authentication", "edupushplus_require_presence"),
    ("authentication", "edupushplus_ssl_verify"),
    ("authentication", "edupushplus_synchronous_delivery"),
    ("authentication", "edupushplus_text_on_mobile"),
    ("authentication", "edupushplus_title_on_mobile"),
    ("authentication", "edupushplus_wait"),
    ("enrollment", "edupushplus_app_profile"),
    ("enrollment", "edupushplus_firebase_configuration"),
    ("enrollment", "edupushplus_force_app_pin"),
    ("enrollment", "edupushplus_registration_url"),
    ("enrollment", "edupushplus_server_key_size"),
    ("enrollment", "edupushplus_ssl_verify"),
    ("enrollment", "edupushplus_ttl"),
    ("enrollment", "edupushplus_use_pia_scheme"),
]

CONFIG_KEYS = {
    "PUSH_WAIT_SLOTS": "EDUPUSH_PUSH_WAIT_SLOTS",
    "KEY_POOL_SIZE": "EDUPUSH_KEY_POOL_SIZE",
    "FCM_URL": "EDUPUSH_FCM_URL",
    "FCM_TIMEOUT": "EDUPUSH_FCM_TIMEOUT",
    "CHALLENGE_VALIDITY": "EdupushplusChallengeValidityTime",
    "HOST_CHALLENGE_VALIDITY": "DefaultChallengeValidityTime",
}

TOKENINFO_KEYS = {
    "PHONE_KEY": "public_key_smartphone",
    "FIREBASE_TOKEN": "firebase_token",
    "SERVER_PUBLIC_KEY": "public_key_server",
    "SERVER_PRIVATE_KEY": "private_key_server",
    "ENROLLMENT_CREDENTIAL": "enrollment_credential",
    "ENROLLMENT_DEADLINE": "enrollment_deadline",
    "REGISTRATION_URL": "registration_url",
    "SSL_VERIFY": "sslverify",
    "TTL": "ttl_minutes",
    "SERVER_KEY_SIZE": "server_key_size",
    "FIREBASE_CONFIG": "edupushplus_firebase_configuration",
    "POLLING_ALLOWED": "polling_allowed",
    "REGISTRATION_STATE": "firebase_token_state",
    "UNREGISTERED_AT": "firebase_token_unregistered_at",
    "FIREBASE_TOKEN_UPDATED": "firebase_token_updated_at",
    "APP_PROFILE": "app_profile",
    "APP_CAPABILITIES": "app_capabilities",
}


def keys_of(names: type) -> dict:
    return {attribute: value for attribute, value in vars(names).items() if not attribute.startswith("_")}


# --------------------------------------------------------------------------- the names, spelled out


def test_the_policy_names_admins_write():
    assert sorted((policy.scope.value, policy.name) for policy in catalogue.POLICIES) == POLICY_NAMES


def test_the_config_keys_admins_write():
    assert keys_of(Config) == CONFIG_KEYS


def test_the_tokeninfo_keys_admins_see():
    assert keys_of(Info) == TOKENINFO_KEYS


def test_the_other_names_in_admins_configs_and_on_enrolled_phones():
    assert catalogue.TOKEN_TYPE == "edupushplus"
    assert catalogue.ENDPOINT_PATH == "/ttype/edupushplus"
    assert catalogue.POLL_ONLY == "poll only"
    assert catalogue.EDUMFA_PLUGIN_MODULE == "edupush_token.edumfa_plugin"


# --------------------------------------------------------------------------- describe, lookups, bounds


@pytest.mark.parametrize(
    "facts, described",
    [
        (dict(default=30, low=1, high=1000), "Pushes per hour (default 30; 1 to 1000)."),
        (dict(low=1, high=300), "Pushes per hour (1 to 300)."),
        (dict(default="many"), "Pushes per hour (default many)."),
        (dict(default="as many as needed"), "Pushes per hour."),  # a default with spaces is left out
        (dict(default=False), "Pushes per hour."),
        (dict(default=""), "Pushes per hour."),
        (dict(), "Pushes per hour."),
    ],
)
def test_describe_adds_the_default_and_the_bounds(facts, described):
    assert Policy("example", Scope.AUTH, Kind.INT, "Pushes per hour", **facts).describe() == described


def test_policies_in_splits_the_catalogue_by_scope():
    enrollment, authentication = policies_in(Scope.ENROLL), policies_in(Scope.AUTH)
    assert {policy.scope for policy in enrollment} == {Scope.ENROLL}
    assert {policy.scope for policy in authentication} == {Scope.AUTH}
    assert len(enrollment) + len(authentication) == len(catalogue.POLICIES)
    assert set(enrollment) | set(authentication) == set(catalogue.POLICIES)


def test_policy_named_looks_in_the_given_scope_only():
    assert policy_named(catalogue.WAIT.name, Scope.AUTH) is catalogue.WAIT
    assert policy_named(catalogue.WAIT.name, Scope.ENROLL) is None
    ssl_verify = catalogue.ENROLL_SSL_VERIFY.name  # one name, a policy in each scope
    assert policy_named(ssl_verify, Scope.ENROLL) is catalogue.ENROLL_SSL_VERIFY
    assert policy_named(ssl_verify, Scope.AUTH) is catalogue.AUTH_SSL_VERIFY
    assert policy_named("no_such_policy", Scope.AUTH) is None


BOUNDED = [policy for policy in catalogue.POLICIES if policy.low is not None or policy.high is not None]


def test_every_limit_is_bounded():
    assert set(catalogue.LIMITS) <= set(BOUNDED)


@pytest.mark.parametrize("policy", BOUNDED, ids=lambda policy: f"{policy.scope.value}-{policy.name}")
def test_a_default_lies_within_the_bounds(policy):
    assert policy.low is not None and policy.high is not None
    assert policy.low <= policy.high
    if isinstance(policy.default, int) and not isinstance(policy.default, bool):
        assert policy.low <= policy.default <= policy.high
