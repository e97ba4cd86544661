"""The ``edupushplus_*`` policies as eduMFA's policy editor shows them, from the catalogue."""

from __future__ import annotations

from typing import Any

from edumfa.lib import _
from edumfa.lib.smsprovider.SMSProvider import get_smsgateway

from ... import catalogue
from ...catalogue import Policy, Scope


def definitions() -> dict:
    """eduMFA's ``get_class_info("policy")``: scope -> action -> definition."""
    return {
        scope.value: {policy.name: _definition(policy) for policy in catalogue.policies_in(scope)} for scope in Scope
    }


def _definition(policy: Policy) -> dict:
    entry: dict[str, Any] = {"type": policy.kind.value, "desc": _(policy.describe()), "group": catalogue.POLICY_GROUP}
    values = _choices(policy)
    if values:
        entry["value"] = values
    if policy.required:
        entry["required"] = True
    return entry


def _choices(policy: Policy) -> list:
    if policy is catalogue.FIREBASE_CONFIG:
        gateways = get_smsgateway(gwtype=catalogue.EDUMFA_FIREBASE_PROVIDER)
        return [catalogue.POLL_ONLY] + [gateway.identifier for gateway in gateways]
    if policy.kind is catalogue.Kind.INT:
        return [int(value) for value in policy.allowed]
    return list(policy.allowed)
