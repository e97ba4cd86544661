"""The ready-made policy sets and the file format they share with exports.

A policy file is ``{"policy": [ {...}, ... ]}``, each policy with the fields of
eduMFA's ``set_policy`` and its ``action`` as eduMFA's ``"name=value, flag"``
string.  Files without ``true``/``false``/``null`` are also Python literals,
which is what ``edumfa-manage config import policy`` reads.

The sets live once, in the repository's top-level ``policies/``;
``edupush_token/policies`` links there, so a wheel carries them as package
data and a source checkout reads the same files.
"""

from __future__ import annotations

import ast
import difflib
import json
from importlib import resources
from pathlib import Path
from typing import Collection, Dict, List, Mapping, Optional

from . import catalogue
from .catalogue import TOKEN_TYPE, Scope
from .errors import PolicyFileError, PolicyValueError
from .service.settings import check_value

PLACEHOLDER_URL = "https://edumfa.example.org"
FILE_SUFFIX = ".json"
STRING_LIST_FIELDS = ("realm", "adminrealm", "adminuser", "resolver", "edumfanode", "user", "client")
OPTIONAL_FIELDS = STRING_LIST_FIELDS + ("time", "conditions")
DEFAULTS = {"active": True, "check_all_resolvers": False}


def ready_sets_directory() -> Path:
    return Path(str(resources.files("edupush_token") / "policies"))


def ready_sets() -> Dict[str, Path]:
    """Name (file name without ``.json``) -> path of every ready-made set."""
    return {path.stem: path for path in sorted(ready_sets_directory().glob("*" + FILE_SUFFIX))}


def resolve(name_or_path: str) -> Path:
    """A ready set's name (``edupushplus-poll-only``, ``poll-only``) or a file path."""
    sets = ready_sets()
    for candidate in (name_or_path, "edupushplus-" + name_or_path):
        if candidate in sets:
            return sets[candidate]
    path = Path(name_or_path)
    if path.is_file():
        return path
    raise PolicyFileError(f"{name_or_path!r} is neither a policy file nor a ready set; ready sets: {', '.join(sets)}")


def read(path: Path) -> List[dict]:
    """The policies of a file: JSON, or the Python literal ``edumfa-manage config export`` writes."""
    text = Path(path).read_text(encoding="utf-8")
    try:
        content = json.loads(text)
    except ValueError:
        try:
            content = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            raise PolicyFileError(f"{path}: neither JSON nor a Python literal") from None
    policies = content.get("policy") if isinstance(content, dict) else content
    if not isinstance(policies, list) or not all(isinstance(p, dict) for p in policies):
        raise PolicyFileError(f'{path}: expected {{"policy": [{{...}}, ...]}}')
    for policy in policies:
        missing = {"name", "scope", "action"} - set(policy)
        if missing:
            raise PolicyFileError(f"{path}: policy {policy.get('name', '?')!r} lacks {', '.join(sorted(missing))}")
    return policies


def with_public_url(policies: List[dict], public_url: Optional[str]) -> List[dict]:
    """Replace the sets' placeholder server URL with the real one (no trailing slash)."""
    if public_url is None:
        return policies
    public_url = public_url.rstrip("/")
    return [
        {**policy, "action": policy["action"].replace(PLACEHOLDER_URL, public_url)}
        if isinstance(policy["action"], str)
        else policy
        for policy in policies
    ]


def with_firebase_gateway(policies: List[dict], gateway: Optional[str]) -> List[dict]:
    """Point every policy that names a Firebase configuration at ``gateway`` (or "poll only")."""
    if gateway is None:
        return policies
    action = catalogue.FIREBASE_CONFIG.name
    if not any(action in actions(policy["action"]) for policy in policies):
        raise PolicyFileError(f"None of these policies sets {action}, so --firebase-gateway has nothing to change.")
    return [
        {**policy, "action": action_string({**actions(policy["action"]), action: gateway})}
        if action in actions(policy["action"])
        else policy
        for policy in policies
    ]


def problems(policies: List[dict], host_actions: Mapping[str, Collection[str]]) -> List[str]:
    """Everything wrong with these policies, found before any is written.

    ``edupushplus_*`` actions are checked against the catalogue (name, scope,
    value); the host's own actions against ``host_actions`` (scope -> names).
    """
    found = []
    for policy in policies:
        scope = policy["scope"]
        if scope not in host_actions:
            found.append(f"{policy['name']}: unknown scope {scope!r}{_did_you_mean(scope, list(host_actions))}")
            continue
        for action, value in actions(policy["action"]).items():
            problem = _action_problem(action, value, scope, host_actions[scope])
            if problem:
                found.append(f"{policy['name']} ({scope}): {problem}")
    return found


def _action_problem(action: str, value: object, scope: str, known: Collection[str]) -> Optional[str]:
    if not action.startswith(TOKEN_TYPE + "_"):
        return None if action in known else f"unknown action {action}{_did_you_mean(action, known)}"
    ours = catalogue.policy_named(action, Scope(scope)) if scope in {each.value for each in Scope} else None
    if ours is None:
        elsewhere = [other.value for other in Scope if catalogue.policy_named(action, other)]
        if elsewhere:
            return f"{action} belongs in the {' or '.join(elsewhere)} scope"
        names = [policy.name for policy in catalogue.POLICIES]
        return f"unknown action {action}{_did_you_mean(action, names)}"
    try:
        check_value(ours, value)
    except PolicyValueError as error:
        return str(error)
    return None


def _did_you_mean(name: str, candidates: Collection[str]) -> str:
    close = difflib.get_close_matches(name, list(candidates), n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def placeholders(policies: List[dict]) -> List[str]:
    """Names of policies that still point at the placeholder URL."""
    return [policy["name"] for policy in policies if PLACEHOLDER_URL in str(policy["action"])]


def actions(action) -> Dict[str, object]:
    """eduMFA's reading of an action string: ``name=value`` -> value, a bare flag -> True."""
    if isinstance(action, dict):
        return dict(action)
    parsed: Dict[str, object] = {}
    for item in str(action).split(","):
        name, equals, value = item.strip().partition("=")
        if name:
            parsed[name] = value if equals else True
    return parsed


def action_string(parsed: Dict[str, object]) -> str:
    return ", ".join(name if value is True else f"{name}={value}" for name, value in parsed.items())


def from_edumfa(policy: dict) -> dict:
    """eduMFA's ``Policy.get()`` as a file entry: default flags and empty fields left out."""
    entry = {
        "name": policy["name"],
        "scope": policy["scope"],
        "action": action_string(policy["action"]),
        "priority": policy["priority"],
    }
    for field, default in DEFAULTS.items():
        if policy.get(field, default) != default:
            entry[field] = policy[field]
    for field in STRING_LIST_FIELDS:
        if policy.get(field):
            entry[field] = ", ".join(policy[field])
    if policy.get("time"):
        entry["time"] = policy["time"]
    if policy.get("conditions"):
        entry["conditions"] = [list(condition) for condition in policy["conditions"]]
    return entry


def differences(wanted: dict, stored: dict) -> List[str]:
    """Fields in which loading ``wanted`` would change the stored ``Policy.get()``.

    Mirrors eduMFA's ``set_policy`` on update: fields missing from ``wanted`` (or
    None) are kept, except ``active`` and ``check_all_resolvers``, which it always sets.
    """
    changed = []
    if stored["scope"] != wanted["scope"]:
        changed.append("scope")
    if actions(wanted["action"]) != stored["action"]:
        changed.append("action")
    for field, default in DEFAULTS.items():
        if _normal(field, wanted.get(field, default)) != _normal(field, stored[field]):
            changed.append(field)
    for field in OPTIONAL_FIELDS + ("priority",):
        if (
            field in wanted
            and wanted[field] is not None
            and _normal(field, wanted[field]) != _normal(field, stored[field])
        ):
            changed.append(field)
    return changed


def _normal(field: str, value):
    if field in STRING_LIST_FIELDS:
        items = value if isinstance(value, list) else str(value or "").split(",")
        return [item.strip() for item in items if item.strip()]
    if field == "conditions":
        return [tuple(condition) for condition in value or []]
    if field == "priority":
        return int(value)
    if field in ("active", "check_all_resolvers"):
        return value in (1, "1", True, "True", "true", "TRUE")
    return value


def file_text(policies: List[dict]) -> str:
    return json.dumps({"policy": policies}, indent=2, ensure_ascii=False) + "\n"
