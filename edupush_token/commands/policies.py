"""``edupush-token policies load|export``: the ready policy sets into eduMFA and back."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional, Sequence

from .. import policy_sets

DEFAULT_SET = "edupushplus-poll-only"


def policies_to_load(sources: Sequence[str], public_url: Optional[str]) -> List[dict]:
    """The policies of the named sets or files, with the placeholder server URL replaced.

    Refuses to load the placeholder itself: phones would be sent to edumfa.example.org.
    """
    policies = []
    for source in sources:
        policies += policy_sets.read(policy_sets.resolve(source))
    policies = policy_sets.with_public_url(policies, public_url)
    left = policy_sets.placeholders(policies)
    if left:
        raise policy_sets.PolicyFileError(
            f"{', '.join(left)} would send phones to {policy_sets.PLACEHOLDER_URL}; "
            "pass --public-url with your eduMFA's public URL, e.g. --public-url https://mfa.example.edu"
        )
    return policies


def load_into(config_file, policies: Sequence[dict]):
    from ..hosts.edumfa import policy_io
    from ..hosts.edumfa.app import app_context

    with app_context(config_file):
        return policy_io.load(policies)


def describe(outcome) -> str:
    if outcome.changed_fields:
        return f"{outcome.outcome.value} ({', '.join(outcome.changed_fields)})"
    return outcome.outcome.value


def load(config_file: str, sources: Sequence[str], public_url: Optional[str]) -> int:
    try:
        policies = policies_to_load(sources or [DEFAULT_SET], public_url)
        outcomes = load_into(config_file, policies)
    except (policy_sets.PolicyFileError, FileNotFoundError) as problem:
        print(f"edupush-token policies load: {problem}", file=sys.stderr)
        return 2
    for outcome in outcomes:
        print(f"{outcome.name}: {describe(outcome)}")
    return 0


def export(config_file: str, names: Sequence[str], output: Optional[Path]) -> int:
    from ..hosts.edumfa import policy_io
    from ..hosts.edumfa.app import app_context

    try:
        with app_context(config_file):
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
