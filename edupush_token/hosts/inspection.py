"""What ``edupush-token doctor`` reads from a deployment of the installed host, as plain data.

The settings come from the config file (``edumfa.cfg``, ``pi.cfg``) the way the
host reads it (a Python file), the token modules are imported here (the doctor
runs with the host's Python), and policies and gateways come from the host's
database through its own library, which eduMFA and privacyIDEA keep at the same paths.
"""

from __future__ import annotations

import importlib
from importlib import metadata
from pathlib import Path

from ..catalogue import TOKEN_TYPE, Info, RolloutState
from ..doctor.deployment import HOST_FACTS, Deployment, Gateway
from ..errors import UnreadableDeployment
from .installed import adapter, host_name, installed_host
from .library import policy_definitions


def inspect(config_file) -> Deployment:
    settings = read_settings(config_file)
    facts = HOST_FACTS[installed_host()]
    modules = settings.get(facts.token_modules_key) or []
    import_errors = {
        module: reason
        for module in ([modules] if isinstance(modules, str) else modules)
        if (reason := _import_error(module))
    }
    try:
        policies, gateways, known_actions = _read_database(config_file)
    except Exception as problem:  # whatever the database driver raises: say it, the doctor cannot go on
        raise UnreadableDeployment(
            f"cannot read {host_name()}'s database: {type(problem).__name__}: {problem}"
        ) from problem
    templates = _webui_templates(config_file) if facts.webui_templates else {}
    return Deployment(
        str(config_file), settings, import_errors, policies, gateways, known_actions, templates, host=facts
    )


def host_description() -> str:
    """The host as the doctor's report names it: the host installed here, and its version."""
    try:
        return f"{host_name()} {metadata.version(installed_host())}"
    except metadata.PackageNotFoundError:
        return f"{host_name()} (version unknown)"


def _webui_templates(config_file) -> dict:
    from .. import webui
    from .edumfa.webui_folder import static_folder

    try:
        return {template.name: template.state.value for template in webui.inspect(static_folder(str(config_file)))}
    except webui.WebUIError as problem:
        return {"": str(problem)}


def read_settings(config_file) -> dict:
    from flask import Config

    path = Path(config_file)
    if not path.is_file():
        raise UnreadableDeployment(f"no {host_name()} configuration at {config_file}")
    config = Config(str(path.parent))
    try:
        config.from_pyfile(str(path.resolve()))
    except Exception as problem:  # a Python file: any error is the admin's to see
        raise UnreadableDeployment(f"{config_file} does not load: {type(problem).__name__}: {problem}") from problem
    return dict(config)


def _import_error(module: str):
    try:
        importlib.import_module(module)
    except Exception as problem:  # the hosts catch every exception here too
        return f"{type(problem).__name__}: {problem}"
    return None


def _read_database(config_file):
    library = adapter("library").LIBRARY
    with adapter("app").app_context(config_file):
        stored = tuple(library.policy_class().list_policies())
        gateways = {
            gateway.identifier: Gateway(
                gateway.identifier,
                gateway.providermodule,
                dict(gateway.option_dict),
                _phone_registration_token(gateway.identifier),
            )
            for gateway in library.get_smsgateway()
        }
        known = {scope: frozenset(actions) for scope, actions in policy_definitions(library, str).items()}
    return stored, gateways, known


def _phone_registration_token(gateway_name: str) -> str:
    """The Firebase registration token of the newest enrolled token that is pushed through this gateway."""
    from sqlalchemy.orm import aliased

    models = importlib.import_module(f"{installed_host()}.models")
    Token, TokenInfo, db = models.Token, models.TokenInfo, models.db  # noqa: N806

    gateway_info, registration = aliased(TokenInfo), aliased(TokenInfo)
    row = (
        db.session.query(registration.Value)
        .join(Token, Token.id == registration.token_id)
        .join(gateway_info, gateway_info.token_id == Token.id)
        .filter(
            Token.tokentype == TOKEN_TYPE,
            Token.rollout_state == RolloutState.ENROLLED.value,
            gateway_info.Key == Info.FIREBASE_CONFIG,
            gateway_info.Value == gateway_name,
            registration.Key == Info.FIREBASE_TOKEN,
            registration.Value != "",
        )
        .order_by(Token.id.desc())
        .first()
    )
    return str(row[0]) if row else ""
