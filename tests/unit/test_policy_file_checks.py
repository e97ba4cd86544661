"""policy_sets: a policy file checked before anything is written, without a host."""

import pytest

from edupush_token import catalogue, policy_sets
from edupush_token.errors import PolicyFileError

HOST_ACTIONS = {"authentication": frozenset({"otppin", catalogue.WAIT.name}), "enrollment": frozenset()}


def one(scope, action):
    return [{"name": "p", "scope": scope, "action": action}]


def test_sound_policies_have_no_problem():
    assert (
        policy_sets.problems(one("authentication", f"{catalogue.WAIT.name}=20, otppin=userstore"), HOST_ACTIONS) == []
    )


@pytest.mark.parametrize(
    "scope, action, problem",
    [
        ("authentication", "otpin=userstore", "p (authentication): unknown action otpin (did you mean otppin?)"),
        ("enrollment", f"{catalogue.WAIT.name}=20", f"{catalogue.WAIT.name} belongs in the authentication scope"),
        ("authentication", f"{catalogue.WAIT.name}=0", "whole number from 1 to 300, not '0'"),
        ("authentcation", "otppin=userstore", "p: unknown scope 'authentcation' (did you mean authentication?)"),
    ],
)
def test_each_problem_is_named(scope, action, problem):
    [found] = policy_sets.problems(one(scope, action), HOST_ACTIONS)
    assert problem in found


def test_the_firebase_gateway_replaces_the_sets_value():
    policies = one("enrollment", f"{catalogue.FIREBASE_CONFIG.name}=poll only, {catalogue.TTL.name}=10")
    [policy] = policy_sets.with_firebase_gateway(policies, "fcm")
    assert policy_sets.actions(policy["action"]) == {catalogue.FIREBASE_CONFIG.name: "fcm", catalogue.TTL.name: "10"}


def test_a_gateway_for_policies_without_one_is_refused():
    with pytest.raises(PolicyFileError, match="nothing to change"):
        policy_sets.with_firebase_gateway(one("authentication", "otppin=userstore"), "fcm")
