"""What ``edupush-token doctor`` reads from a deployment, as plain data.

The settings come from ``edumfa.cfg`` the way eduMFA reads it (a Python file),
the token modules are imported here (the doctor runs with eduMFA's Python), and
policies and gateways come from eduMFA's database through its own library.
"""

from __future__ import annotations

import importlib
from importlib import metadata
from pathlib import Path

from ...catalogue import TOKEN_TYPE, Info, RolloutState
from ...doctor.deployment import Deployment, Gateway
from ...errors import UnreadableDeployment


def inspect(config_file) -> Deployment:
    settings = read_settings(config_file)
    modules = settings.get("EDUMFA_TOKEN_MODULES") or []
    import_errors = {
        module: reason
        for module in ([modules] if isinstance(modules, str) else modules)
        if (reason := _import_error(module))
    }
    try:
        policies, gateways, known_actions = _read_database(config_file)
    except Exception as problem:  # whatever the database driver raises: say it, the doctor cannot go on
        raise UnreadableDeployment(f"cannot read eduMFA's database: {type(problem).__name__}: {problem}") from problem
    return Deployment(
        str(config_file), settings, import_errors, policies, gateways, known_actions, _webui_templates(config_file)
    )


def host_description() -> str:
    """The host as the doctor's report names it: eduMFA and the version installed here."""
    try:
        return f"eduMFA {metadata.version('edumfa')}"
    except metadata.PackageNotFoundError:
        return "eduMFA (version unknown)"


def _webui_templates(config_file) -> dict:
    from ... import webui
    from .webui_folder import static_folder

    try:
        return {template.name: template.state.value for template in webui.inspect(static_folder(str(config_file)))}
    except webui.WebUIError as problem:
        return {"": str(problem)}


def read_settings(config_file) -> dict:
    from flask import Config

    path = Path(config_file)
    if not path.is_file():
        raise UnreadableDeployment(f"no eduMFA configuration at {config_file}")
    config = Config(str(path.parent))
    try:
        config.from_pyfile(str(path.resolve()))
    except Exception as problem:  # a Python file: any error is the admin's to see
        raise UnreadableDeployment(f"{config_file} does not load: {type(problem).__name__}: {problem}") from problem
    return dict(config)


def _import_error(module: str):
    try:
        importlib.import_module(module)
    except Exception as problem:  # eduMFA catches every exception here too
        return f"{type(problem).__name__}: {problem}"
    return None


def _read_database(config_file):
    from edumfa.commands.manage.helper import get_conf_policy
    from edumfa.lib.smsprovider.SMSProvider import get_smsgateway

    from . import policies
    from .app import app_context

    with app_context(config_file):
        stored = tuple(get_conf_policy())
        gateways = {
            gateway.identifier: Gateway(
                gateway.identifier,
                gateway.providermodule,
                dict(gateway.option_dict),
                _phone_registration_token(gateway.identifier),
            )
            for gateway in get_smsgateway()
        }
        known = {scope: frozenset(actions) for scope, actions in policies.definitions().items()}
    return stored, gateways, known


def _phone_registration_token(gateway_name: str) -> str:
    """The Firebase registration token of the newest enrolled token that is pushed through this gateway."""
    from edumfa.models import Token, TokenInfo, db
    from sqlalchemy.orm import aliased

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
