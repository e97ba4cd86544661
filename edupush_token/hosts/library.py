"""The host's library as the adapters call it, and what needs no more than that.

eduMFA 2.x is a fork of privacyIDEA 3.x: the functions an adapter calls (policy
matching, audit, config, secret encryption, request finalizers, SMS gateways,
the challenge model) have the same names and paths in both.  This module
imports neither host nor anything that sends pushes (firebase-admin): the
doctor reads a deployment through it even where the plugin does not import.
"""

from __future__ import annotations

import contextlib
import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Collection, Iterator, Mapping

from .. import catalogue
from ..catalogue import Policy, Scope
from ..storage.challenge_statements import ChallengeLayout


@dataclass(frozen=True)
class HostLibrary:
    """The host's own functions and classes that the shared adapter code calls."""

    match: Any  # Match: Match.user(g, scope=, action=, user_object=)
    policy_class: Any  # PolicyClass: its _search_value(actions, action)
    get_audit: Callable[[Any], Any]
    get_from_config: Callable[[str], Any]
    encrypt: Callable[[str], Any]
    decrypt: Callable[[str], Any]
    register_finalizer: Callable[[Callable[[], object]], None]
    get_smsgateway: Callable[..., Any]
    firebase_provider: str  # the class path of the host's Firebase gateway
    db: Any  # the host's Flask-SQLAlchemy object
    challenge_model: Any  # Challenge(serial, transaction_id=, challenge=, session=, validitytime=)
    get_one_token: Callable[..., Any]
    # (token, {key: value}, secret keys=()): the host's server-side writer, owned keys too, in one commit
    write_tokeninfo: Callable[..., None]
    cleanup_challenges: Callable[[], None]  # removes expired challenges
    layout: ChallengeLayout


SECRET_TYPE = "password"  # the hosts' token info type of a value they keep encrypted


def typed_info(
    values: Mapping[str, str], secret: Collection[str], encrypt: Callable[[str], Any] = str
) -> dict[str, str]:
    """Token info as the hosts' bulk writers take it: each ``secret`` key's value typed "password".

    ``encrypt`` for a writer that stores values as given (eduMFA's ``set_info``); privacyIDEA's
    ``add_tokeninfo_dict`` encrypts by the type itself.
    """
    info = {key: str(encrypt(value)) if key in secret else value for key, value in values.items()}
    info.update({f"{key}.type": SECRET_TYPE for key in secret})
    return info


def fork_library(package: str, **differences: Any) -> HostLibrary:
    """The library of host ``package`` ("edumfa", "privacyidea"), whose forks keep these at the same paths.

    ``differences`` are the members whose name or shape the hosts do not share.
    """

    def named(module: str, name: str) -> Any:
        return getattr(importlib.import_module(f"{package}.{module}"), name)

    return HostLibrary(
        match=named("lib.policy", "Match"),
        policy_class=named("lib.policy", "PolicyClass"),
        get_audit=named("lib.audit", "getAudit"),
        get_from_config=named("lib.config", "get_from_config"),
        encrypt=named("lib.crypto", "encryptPassword"),
        decrypt=named("lib.crypto", "decryptPassword"),
        get_smsgateway=named("lib.smsprovider.SMSProvider", "get_smsgateway"),
        db=named("models", "db"),
        challenge_model=named("models", "Challenge"),
        get_one_token=named("lib.token", "get_one_token"),
        **differences,
    )


@contextlib.contextmanager
def app_context(
    library: HostLibrary, create_app: Callable[[Any], Any], config_file: Any, host_name: str
) -> Iterator[object]:
    """The host's app for ``config_file``, with its context pushed; the database connections are closed afterwards.

    Both hosts ignore a missing config file, or only warn, and would then use a
    database inside their own installation, so a missing one is an error here.
    """
    if not Path(config_file).is_file():
        raise FileNotFoundError(f"no {host_name} configuration at {config_file}")
    app = create_app(config_file)
    with app.app_context():
        try:
            yield app
        finally:
            library.db.session.remove()
            library.db.engine.dispose()


def policy_definitions(library: HostLibrary, translate: Callable[[str], Any]) -> dict[str, Any]:
    """The host's ``get_class_info("policy")``: scope -> action -> definition, from the catalogue."""
    return {
        scope.value: {policy.name: _definition(library, translate, policy) for policy in catalogue.policies_in(scope)}
        for scope in Scope
    }


def _definition(library: HostLibrary, translate: Callable[[str], Any], policy: Policy) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "type": policy.kind.value,
        "desc": translate(policy.describe()),
        "group": catalogue.POLICY_GROUP,
    }
    values = _choices(library, policy)
    if values:
        entry["value"] = values
    if policy.required:
        entry["required"] = True
    return entry


def _choices(library: HostLibrary, policy: Policy) -> list[Any]:
    if policy is catalogue.FIREBASE_CONFIG:
        gateways = library.get_smsgateway(gwtype=library.firebase_provider)
        return [catalogue.POLL_ONLY] + [gateway.identifier for gateway in gateways]
    if policy.kind is catalogue.Kind.INT:
        return [int(value) for value in policy.allowed]
    return list(policy.allowed)
