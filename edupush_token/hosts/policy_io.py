"""Policies into the host and back, through the host's own policy functions.

Loading is planned first and written only if the whole plan may be: a file
with a typo, or a policy the admin has changed since it was loaded, writes
nothing (unless forced), so configuration management can run the load again
and again without reverting anyone's work.  Policies that already match are
not written at all, which leaves the host's config timestamp (and so every
node's cache) alone.

eduMFA forked privacyIDEA: both keep ``list_policies``, ``set_policy`` and the
policy definitions at the same paths; only the node field differs (``edumfanode``,
``pinode``).  Policy files say ``edumfanode`` on both hosts.
"""

from __future__ import annotations

import enum
import importlib
from dataclasses import dataclass
from typing import Any, Dict, FrozenSet, List, Optional, Sequence

from .. import catalogue, policy_sets
from ..catalogue import TOKEN_TYPE
from ..errors import PolicyFileError
from .common import Host
from .installed import adapter, host_name, installed_host

FILE_NODE_FIELD = "edumfanode"
NODE_FIELD = {"edumfa": "edumfanode", "privacyidea": "pinode"}
_SET_POLICY_FIELDS = (
    "action",
    "active",
    "adminrealm",
    "adminuser",
    "check_all_resolvers",
    "client",
    "conditions",
    "priority",
    "realm",
    "resolver",
    "scope",
    "time",
    "user",
)


def _host(module: str, name: str) -> Any:
    return getattr(importlib.import_module(f"{installed_host()}.{module}"), name)


def _stored(name: Optional[str] = None) -> list:
    return list(_host("lib.policy", "PolicyClass")().list_policies(name=name))


def _store(entry: dict) -> None:
    """Write one file entry as ``edumfa-manage config import policy -u`` does, on either host."""
    fields = {field: entry.get(field) for field in _SET_POLICY_FIELDS}
    fields["active"] = entry.get("active", True)
    fields["check_all_resolvers"] = entry.get("check_all_resolvers", False)
    fields[NODE_FIELD[installed_host()]] = entry.get(FILE_NODE_FIELD)
    _host("lib.policy", "set_policy")(entry["name"], **fields)


def gateway_exists(name: str) -> bool:
    return Host(adapter("library").LIBRARY).gateway_exists(name)


class Outcome(str, enum.Enum):
    ADDED = "added"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    DIFFERS = "differs"  # changed in the host since; left alone unless forced


@dataclass(frozen=True)
class LoadOutcome:
    name: str
    outcome: Outcome
    changed_fields: tuple = ()
    changed_actions: tuple = ()  # "name: stored -> wanted"


@dataclass(frozen=True)
class LoadResult:
    outcomes: List[LoadOutcome]
    written: bool

    @property
    def refused(self) -> bool:
        return any(outcome.outcome is Outcome.DIFFERS for outcome in self.outcomes)


def load(policies: Sequence[dict], force: bool = False) -> LoadResult:
    """Store ``policies`` (file entries) in the host, all or none; call inside an app context.

    Raises PolicyFileError, before writing anything, for unknown actions,
    actions in the wrong scope, invalid values and Firebase gateways the host
    does not have.
    """
    found = policy_sets.problems(list(policies), host_actions()) + _missing_gateways(policies)
    if found:
        raise PolicyFileError("nothing was loaded:\n  " + "\n  ".join(found))
    outcomes = [_plan(wanted, _as_file_fields(_stored(wanted["name"]))) for wanted in policies]
    differing = any(outcome.outcome is Outcome.DIFFERS for outcome in outcomes)
    if differing and not force:
        return LoadResult(outcomes, written=False)
    to_write = [wanted for wanted, outcome in zip(policies, outcomes) if outcome.outcome is not Outcome.UNCHANGED]
    for wanted in to_write:
        _store(wanted)
    if differing:
        outcomes = [_forced(outcome) for outcome in outcomes]
    return LoadResult(outcomes, written=bool(to_write))


def _plan(wanted: dict, stored_list: list) -> LoadOutcome:
    if not stored_list:
        return LoadOutcome(wanted["name"], Outcome.ADDED)
    [stored] = stored_list
    changed = policy_sets.differences(wanted, stored)
    if not changed:
        return LoadOutcome(wanted["name"], Outcome.UNCHANGED)
    return LoadOutcome(wanted["name"], Outcome.DIFFERS, tuple(changed), _action_changes(wanted, stored))


def _forced(outcome: LoadOutcome) -> LoadOutcome:
    if outcome.outcome is not Outcome.DIFFERS:
        return outcome
    return LoadOutcome(outcome.name, Outcome.UPDATED, outcome.changed_fields, outcome.changed_actions)


def _action_changes(wanted: dict, stored: dict) -> tuple:
    want = policy_sets.actions(wanted["action"])
    have = stored["action"]
    return tuple(
        f"{name}: {_shown(have.get(name))} -> {_shown(want.get(name))}"
        for name in sorted(set(want) | set(have))
        if want.get(name) != have.get(name)
    )


def _shown(value: object) -> str:
    return "(not set)" if value is None else "(on)" if value is True else repr(str(value))


def host_actions() -> Dict[str, FrozenSet[str]]:
    """The host's action names per scope, its own and every loaded token type's."""
    static = _host("lib.policy", "get_static_policy_definitions")()
    dynamic = _host("lib.token", "get_dynamic_policy_definitions")()
    return {
        scope: frozenset(static.get(scope, {})) | frozenset(dynamic.get(scope, {}))
        for scope in set(static) | set(dynamic)
    }


def _missing_gateways(policies: Sequence[dict]) -> List[str]:
    action = catalogue.FIREBASE_CONFIG.name
    return [
        f"{policy['name']}: {action}={name!r}, but {host_name()} has no Firebase gateway of that name "
        "(define it under Config > SMS gateways, or load with --firebase-gateway NAME)"
        for policy in policies
        for name in [policy_sets.actions(policy["action"]).get(action)]
        if isinstance(name, str) and name != catalogue.POLL_ONLY and not gateway_exists(name)
    ]


def export(names: Optional[Sequence[str]] = None) -> List[dict]:
    """File entries of the named policies, or of every policy that concerns edupushplus."""
    stored = _as_file_fields(_stored())
    if names:
        by_name = {policy["name"]: policy for policy in stored}
        unknown = [name for name in names if name not in by_name]
        if unknown:
            raise policy_sets.PolicyFileError(f"{host_name()} has no policy named {', '.join(unknown)}")
        chosen = [by_name[name] for name in names]
    else:
        chosen = [policy for policy in stored if concerns_edupushplus(policy)]
    return [policy_sets.from_edumfa(policy) for policy in chosen]


def _as_file_fields(stored: list) -> list:
    """The host's stored policies with the node field named as in policy files."""
    node = NODE_FIELD[installed_host()]
    return [{**policy, FILE_NODE_FIELD: policy.get(node)} for policy in stored]


def concerns_edupushplus(policy: dict) -> bool:
    """An ``edupushplus_*`` action, or a value naming the type (e.g. enroll_via_multichallenge)."""
    return any(
        name.startswith(TOKEN_TYPE + "_") or (isinstance(value, str) and TOKEN_TYPE in value.lower())
        for name, value in policy["action"].items()
    )
