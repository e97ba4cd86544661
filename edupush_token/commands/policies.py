"""``edupush-token policies load|export``: the ready policy sets into eduMFA and back."""

from __future__ import annotations

import enum
import sys
from pathlib import Path
from typing import List, Optional, Sequence

from .. import policy_sets

DEFAULT_SET = "edupushplus-poll-only"


class LoadStatus(enum.IntEnum):
    """``policies load``'s exit status, for configuration management (Terraform's and Puppet's convention)."""

    UNCHANGED = 0  # eduMFA already had every policy as loaded
    REFUSED = 1  # nothing written: a problem in the policies, a changed policy without --force, or wrong usage
    CHANGED = 2  # policies added or updated


def policies_to_load(sources: Sequence[str], public_url: Optional[str], gateway: Optional[str] = None) -> List[dict]:
    """The policies of the named sets or files, with the placeholder server URL and the gateway replaced.

    Refuses to load the placeholder itself: phones would be sent to edumfa.example.org.
    """
    policies = []
    for source in sources:
        policies += policy_sets.read(policy_sets.resolve(source))
    policies = policy_sets.with_firebase_gateway(policy_sets.with_public_url(policies, public_url), gateway)
    left = policy_sets.placeholders(policies)
    if left:
        raise policy_sets.PolicyFileError(
            f"{', '.join(left)} would send phones to {policy_sets.PLACEHOLDER_URL}; "
            "pass --public-url with your eduMFA's public URL, e.g. --public-url https://mfa.example.edu"
        )
    return policies


def load_into(config_file, policies: Sequence[dict], force: bool = False):
    from ..hosts import policy_io
    from ..hosts.installed import adapter

    with adapter("app").app_context(config_file):
        return policy_io.load(policies, force)


def describe(outcome, indent: str = "") -> str:
    """One policy's line: what happened, and for a changed policy, how it differs (indented under ``indent``)."""
    line = outcome.outcome.value
    if outcome.changed_fields:
        line += f" ({', '.join(outcome.changed_fields)})"
    return "".join([line, *(f"\n{indent}    {change}" for change in outcome.changed_actions)])


def load(
    config_file: str, sources: Sequence[str], public_url: Optional[str], gateway: Optional[str], force: bool
) -> int:
    try:
        policies = policies_to_load(sources or [DEFAULT_SET], public_url, gateway)
        result = load_into(config_file, policies, force)
    except (policy_sets.PolicyFileError, FileNotFoundError) as problem:
        print(f"edupush-token policies load: {problem}", file=sys.stderr)
        return LoadStatus.REFUSED
    for outcome in result.outcomes:
        print(f"{outcome.name}: {describe(outcome)}")
    if result.refused and not result.written:
        print(
            "edupush-token policies load: nothing was written: a policy differs from what eduMFA has "
            "(shown above as stored -> loaded). Keep eduMFA's values in your policy file, or pass --force "
            "to overwrite them.",
            file=sys.stderr,
        )
        return LoadStatus.REFUSED
    return LoadStatus.CHANGED if result.written else LoadStatus.UNCHANGED


def export(config_file: str, names: Sequence[str], output: Optional[Path]) -> int:
    from ..hosts import policy_io
    from ..hosts.installed import adapter

    try:
        with adapter("app").app_context(config_file):
            policies = policy_io.export(names)
    except (policy_sets.PolicyFileError, FileNotFoundError) as problem:
        print(f"edupush-token policies export: {problem}", file=sys.stderr)
        return 2
    text = policy_sets.file_text(policies)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        print(f"{len(policies)} policies written to {output}", file=sys.stderr)
    return 0


def list_ready_sets() -> int:
    for name, path in policy_sets.ready_sets().items():
        print(f"{name}: " + ", ".join(policy["name"] for policy in policy_sets.read(path)))
    return 0
