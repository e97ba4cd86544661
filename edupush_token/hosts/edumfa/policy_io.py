"""Policies into eduMFA and back, through eduMFA's own import and export code.

Loading goes through ``edumfa-manage import policy -u``'s function, but only for
policies that would change, so loading a set twice leaves eduMFA (and its
config timestamp, which makes every node reload) untouched the second time.
"""

from __future__ import annotations

import contextlib
import enum
import io
from dataclasses import dataclass
from typing import List, Optional, Sequence

from ... import TOKEN_TYPE, policy_sets


class Outcome(str, enum.Enum):
    ADDED = "added"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class LoadOutcome:
    name: str
    outcome: Outcome
    changed_fields: tuple = ()


def load(policies: Sequence[dict]) -> List[LoadOutcome]:
    """Store ``policies`` (file entries) in eduMFA; call inside an app context."""
    from edumfa.commands.manage.helper import get_conf_policy, import_conf_policy

    outcomes = []
    for wanted in policies:
        [stored] = get_conf_policy(wanted["name"]) or [None]
        if stored is None:
            outcome = LoadOutcome(wanted["name"], Outcome.ADDED)
        else:
            changed = policy_sets.differences(wanted, stored)
            outcome = LoadOutcome(wanted["name"], Outcome.UPDATED if changed else Outcome.UNCHANGED, tuple(changed))
        if outcome.outcome is not Outcome.UNCHANGED:
            with contextlib.redirect_stdout(io.StringIO()):  # its click.echo lines; we report ourselves
                import_conf_policy([wanted], update=True)
        outcomes.append(outcome)
    return outcomes


def export(names: Optional[Sequence[str]] = None) -> List[dict]:
    """File entries of the named policies, or of every policy that concerns edupushplus."""
    from edumfa.commands.manage.helper import get_conf_policy

    stored = get_conf_policy()
    if names:
        by_name = {policy["name"]: policy for policy in stored}
        unknown = [name for name in names if name not in by_name]
        if unknown:
            raise policy_sets.PolicyFileError(f"eduMFA has no policy named {', '.join(unknown)}")
        chosen = [by_name[name] for name in names]
    else:
        chosen = [policy for policy in stored if concerns_edupushplus(policy)]
    return [policy_sets.from_edumfa(policy) for policy in chosen]


def concerns_edupushplus(policy: dict) -> bool:
    """An ``edupushplus_*`` action, or a value naming the type (e.g. enroll_via_multichallenge)."""
    return any(
        name.startswith(TOKEN_TYPE + "_") or (isinstance(value, str) and TOKEN_TYPE in value.lower())
        for name, value in policy["action"].items()
    )
