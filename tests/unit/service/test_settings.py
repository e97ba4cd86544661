"""Policy values as the service reads them: defaults, bounds and clear errors."""

from datetime import timedelta

import pytest

from edupush_token import catalogue
from edupush_token.catalogue import AllowPolling
from edupush_token.errors import PolicyValueError
from edupush_token.limits import PushLimits
from edupush_token.service import settings

from .fakes import FakePolicies

URL = "https://mfa.example.org/ttype/edupushplus"


def enrollment(**values):
    return settings.enrollment_settings(FakePolicies(**values), gateway_exists=lambda name: name == "fcm")


def test_unset_limits_are_the_catalogues_defaults():
    assert settings.push_limits(FakePolicies()) == PushLimits()
    assert PushLimits().min_interval == timedelta(seconds=int(catalogue.MIN_INTERVAL.default))


def test_enrollment_defaults_need_only_the_registration_url():
    chosen = enrollment(**{catalogue.REGISTRATION_URL.name: URL})
    assert (
        chosen.registration_url,
        chosen.ttl_minutes,
        chosen.sslverify,
        chosen.firebase_configuration,
        chosen.server_key_size,
    ) == (URL, 10, True, catalogue.POLL_ONLY, catalogue.DEFAULT_SERVER_KEY_SIZE)


@pytest.mark.parametrize(
    "values, message",
    [
        ({}, "Missing enrollment policy"),
        ({catalogue.REGISTRATION_URL.name: URL + "?a=b"}, "query string"),
        ({catalogue.REGISTRATION_URL.name: URL, catalogue.FIREBASE_CONFIG.name: "nope"}, "no Firebase gateway"),
        ({catalogue.REGISTRATION_URL.name: URL, catalogue.TTL.name: "0"}, "from 1 to 1440"),
        ({catalogue.REGISTRATION_URL.name: URL, catalogue.TTL.name: "ten"}, "whole number"),
        ({catalogue.REGISTRATION_URL.name: URL, catalogue.SERVER_KEY_SIZE.name: "2500"}, "one of"),
        ({catalogue.REGISTRATION_URL.name: URL, catalogue.ENROLL_SSL_VERIFY.name: "yes"}, "0 or 1"),
    ],
)
def test_unusable_enrollment_policies_are_named(values, message):
    with pytest.raises(PolicyValueError, match=message):
        enrollment(**values)


def test_push_wait_is_off_unless_a_policy_sets_it():
    assert settings.wait_seconds(None) is None
    assert settings.wait_seconds(FakePolicies()) is None
    assert settings.wait_seconds(FakePolicies(**{catalogue.WAIT.name: "20"})) == 20
    with pytest.raises(PolicyValueError, match=catalogue.WAIT.name):
        settings.wait_seconds(FakePolicies(**{catalogue.WAIT.name: "3000"}))


def test_polling_is_read_only_where_a_policy_might_forbid_it():
    def never_read():
        raise AssertionError("the owner's policies were read")

    assert settings.allow_polling(never_read, defined_anywhere=False) is AllowPolling.ALLOW
    denying = FakePolicies(**{catalogue.ALLOW_POLLING.name: "deny"})
    assert settings.allow_polling(lambda: denying, defined_anywhere=True) is AllowPolling.DENY
    with pytest.raises(PolicyValueError, match="allow, deny, token"):
        settings.allow_polling(lambda: FakePolicies(**{catalogue.ALLOW_POLLING.name: "maybe"}), True)


def test_every_policy_describes_its_default_and_bounds():
    assert "(default 1; 1 to 10)" in catalogue.MAX_OPEN.describe()
    names = [policy.name for policy in catalogue.POLICIES]
    assert len(set((policy.scope, policy.name) for policy in catalogue.POLICIES)) == len(names)
