"""The policy reference, generated from the token class so that it cannot drift from the code.

``{edupushplus-policies}`` renders every policy the token class announces to
eduMFA (``get_class_info("policy")``, what eduMFA's policy editor shows) with
its scope, type, allowed values, default and description. The defaults are
not copied from the code: they are what the plugin's own policy readers return
in a throwaway eduMFA where no policy is set but the registration URL that
enrollment requires. A policy this module cannot give a default for, or a
description whose "(default N)" disagrees with the observed default, is a
build warning, and the docs build treats warnings as errors.

``{edupushplus-policy-sets}`` renders the ready-made sets in ``policies/``.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import logging as std_logging
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from docutils import nodes
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

log = logging.getLogger(__name__)

REPOSITORY = Path(__file__).resolve().parents[2]
POLICY_SETS = REPOSITORY / "policies"
EXAMPLE_REGISTRATION_URL = "https://edumfa.example.org/ttype/edupushplus"
STATED_DEFAULT = re.compile(r"\(default (\w+)")


@dataclass(frozen=True)
class PolicyDoc:
    scope: str
    name: str
    kind: str
    values: str
    default: str
    description: str


@functools.cache
def documented_policies() -> tuple[PolicyDoc, ...]:
    """Every policy of the token class, with the default the code applies when it is not set."""
    from edumfa.models import db

    from edupush_token.devtools.local_instance import LocalInstance
    from edupush_token.edumfa_plugin import EdupushPlusTokenClass

    with tempfile.TemporaryDirectory() as directory, _quiet():
        app = LocalInstance(directory).prepare().create_app()
        with app.app_context():
            definitions = EdupushPlusTokenClass.get_class_info("policy")
            defaults = _observed_defaults()
            db.session.remove()
            db.engine.dispose()
    return tuple(
        PolicyDoc(
            scope=scope,
            name=name,
            kind=entry["type"],
            values=_allowed_values(scope, name, entry),
            default=_default(scope, name, entry, defaults),
            description=str(entry["desc"]),
        )
        for scope, entries in definitions.items()
        for name, entry in entries.items()
    )


@contextlib.contextmanager
def _quiet():
    """eduMFA's set-up talks (print, and INFO logging to the root logger, which the theme's
    accessible-pygments configures); keep that out of the build output unless it fails."""
    output = io.StringIO()
    root = std_logging.getLogger()
    handlers = root.handlers
    root.handlers = [std_logging.StreamHandler(output)]
    try:
        with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
            yield
    except Exception:
        sys.stderr.write(output.getvalue())
        raise
    finally:
        root.handlers = handlers


def _observed_defaults() -> dict:
    """(scope, policy) -> what the plugin uses when no policy sets it, read through the plugin's own code."""
    from edumfa.lib.policy import PolicyClass, delete_policy, set_policy
    from flask import g

    from edupush_token import catalogue
    from edupush_token.hosts.common import Host, Policies
    from edupush_token.hosts.edumfa.library import LIBRARY
    from edupush_token.service import settings

    for policy in PolicyClass().list_policies():
        delete_policy(policy["name"])
    set_policy(
        "docs-registration-url",
        scope=catalogue.Scope.ENROLL.value,
        action=f"{catalogue.REGISTRATION_URL.name}={EXAMPLE_REGISTRATION_URL}",
    )
    g.policy_object, g.client_ip, g.serial = PolicyClass(), None, None
    reader = Policies(LIBRARY, g, None)
    enrollment = settings.enrollment_settings(reader, Host(LIBRARY).gateway_exists)
    auth = settings.auth_settings(reader)
    limits = settings.push_limits(reader)
    wait = settings.wait_seconds(reader)
    matching = settings.presence_settings(reader)
    observed = {
        catalogue.REGISTRATION_URL: "none: required",
        catalogue.FIREBASE_CONFIG: enrollment.firebase_configuration,
        catalogue.TTL: enrollment.ttl_minutes,
        catalogue.ENROLL_SSL_VERIFY: _bit(enrollment.sslverify),
        catalogue.SERVER_KEY_SIZE: enrollment.server_key_size,
        catalogue.MOBILE_TEXT: auth.question,
        catalogue.MOBILE_TITLE: auth.title,
        catalogue.AUTH_SSL_VERIFY: _bit(auth.sslverify),
        catalogue.WAIT: "off: no push_wait" if wait is None else wait,
        catalogue.SYNCHRONOUS_DELIVERY: _on_off(settings.enabled(reader, catalogue.SYNCHRONOUS_DELIVERY)),
        catalogue.ALLOW_POLLING: settings.allow_polling(lambda: reader, defined_anywhere=True).value,
        # The token class falls back on eduMFA's settings here (edumfa.cfg or the config table).
        catalogue.CHALLENGE_VALIDITY: (
            f"{catalogue.Config.CHALLENGE_VALIDITY}, else {catalogue.Config.HOST_CHALLENGE_VALIDITY}, "
            f"else {catalogue.DEFAULT_CHALLENGE_VALIDITY}"
        ),
        catalogue.MAX_OPEN: limits.max_open,
        catalogue.MIN_INTERVAL: _seconds(limits.min_interval),
        catalogue.MAX_PER_HOUR: limits.max_per_hour,
        catalogue.DECLINE_LIMIT: limits.decline_limit,
        catalogue.DECLINE_WINDOW: _seconds(limits.decline_window),
        catalogue.DECLINE_COOLDOWN: _seconds(limits.cooldown),
        catalogue.COOLDOWN_ALLOWS_POLL: _on_off(settings.enabled(reader, catalogue.COOLDOWN_ALLOWS_POLL)),
        catalogue.FINALIZE_WINDOW: _seconds(settings.finalize_window(reader)),
        catalogue.APP_PROFILE: enrollment.app_profile.value,
        catalogue.PRESENCE_OPTIONS: matching.kind.value,
        catalogue.PRESENCE_CUSTOM_OPTIONS: "none: required for CUSTOM",
        catalogue.PRESENCE_NUM_OPTIONS: matching.count,
        catalogue.CODE_TO_PHONE_MESSAGE: settings.code_to_phone_message(reader),
    }
    return {(policy.scope.value, policy.name): value for policy, value in observed.items()}


def _bit(flag: bool) -> str:
    return "1" if flag else "0"


def _on_off(flag: bool) -> str:
    return "on" if flag else "off"


def _seconds(span) -> int:
    return int(span.total_seconds())


def _allowed_values(scope: str, name: str, entry: dict) -> str:
    from edupush_token import catalogue

    policy = catalogue.policy_named(name, catalogue.Scope(scope))
    if policy is catalogue.FIREBASE_CONFIG:
        return f"{catalogue.POLL_ONLY}, or the identifier of an eduMFA Firebase gateway"
    if "value" in entry:
        return ", ".join(str(value) for value in entry["value"])
    if policy is not None and policy.low is not None:
        return f"{policy.low} to {policy.high}"
    if entry["type"] == "bool":
        return "set or not set"
    if entry["type"] == "int":
        log.warning("policy reference: no range known for the int policy %s; add it to the catalogue", name)
    return "text"


def _default(scope: str, name: str, entry: dict, defaults: dict) -> str:
    if (scope, name) in defaults:
        default = str(defaults[(scope, name)])
    elif entry["type"] == "bool":
        default = "off"  # an eduMFA bool policy that is not set is off
    else:
        log.warning("policy reference: no default known for %s policy %s; add it to %s", scope, name, __file__)
        return "?"
    stated = STATED_DEFAULT.search(str(entry["desc"]))
    if stated and stated.group(1) != default:
        log.warning("policy reference: %s says default %s, but the code uses %s", name, stated.group(1), default)
    return default


class PolicyReference(SphinxDirective):
    """``{edupushplus-policies} <scope>``: the token class's policies in one scope, one entry each."""

    required_arguments = 1

    def run(self):
        scope = self.arguments[0]
        policies = [policy for policy in documented_policies() if policy.scope == scope]
        if not policies:
            return [
                self.state.document.reporter.warning(
                    f"The token class has no policies in scope {scope!r}.", line=self.lineno
                )
            ]
        entries = nodes.definition_list()
        for policy in policies:
            entries += self._entry(policy)
        return [entries]

    def _entry(self, policy: PolicyDoc):
        """Name (a link target ``<scope>-<name>`` for other pages), description, type, values, default."""
        node_id = nodes.make_id(f"{policy.scope}-{policy.name}")
        self.env.get_domain("std").note_hyperlink_target(node_id, self.env.docname, node_id, policy.name)
        term = nodes.term("", "", nodes.literal(text=policy.name), ids=[node_id])
        facts = nodes.paragraph()
        for label, value in (("Type", policy.kind), ("Values", policy.values), ("Default", policy.default)):
            if label != "Type":
                facts += nodes.Text(" · ")
            facts += [nodes.strong(text=f"{label}: "), nodes.Text(value)]
        definition = nodes.definition("", nodes.paragraph(text=policy.description), facts)
        return nodes.definition_list_item("", term, definition)


class PolicySets(SphinxDirective):
    """``{edupushplus-policy-sets}``: each ready-made set in ``policies/``, policy by policy."""

    def run(self):
        result = []
        for path in sorted(POLICY_SETS.glob("*.json")):
            self.env.note_dependency(str(path))
            try:
                policies = json.loads(path.read_text())["policy"]
            except (ValueError, KeyError) as error:
                log.warning("policy sets: %s is not a policy set: %s", path, error)
                continue
            entries = nodes.definition_list()
            for policy in policies:
                entries += _policy_entry(policy)
            result += [nodes.rubric(text=f"policies/{path.name}"), entries]
        if not result:
            log.warning("policy sets: no *.json in %s", POLICY_SETS)
        return result


def _policy_entry(policy: dict):
    """One policy of a set: its name, scope and priority, and its actions one per line."""
    summary = nodes.paragraph(text=f"scope {policy['scope']}, priority {policy.get('priority', '-')}")
    actions = nodes.bullet_list()
    for action in policy["action"].split(", "):
        actions += nodes.list_item("", nodes.paragraph("", "", nodes.literal(text=action)))
    term = nodes.term("", "", nodes.strong(text=policy["name"]))
    return nodes.definition_list_item("", term, nodes.definition("", summary, actions))


def setup(app):
    app.add_directive("edupushplus-policies", PolicyReference)
    app.add_directive("edupushplus-policy-sets", PolicySets)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
