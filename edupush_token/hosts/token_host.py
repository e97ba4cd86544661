"""What a host's token class does its own way, and how the forks name it alike."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Callable

from ..ports import Ports
from .library import HostLibrary


@dataclass(frozen=True)
class TokenHost:
    """What a host's token class does its own way."""

    name: str  # the host's name, the issuer shown in the app unless a policy sets one
    library: HostLibrary
    ports: Callable[[Any], Ports]  # the ports for a request's ``g``
    parameter_error: type[Exception]  # HTTP 400
    policy_error: type[Exception]  # HTTP 403
    validate_error: type[Exception]
    remove_info: Callable[[Any, str], None]
    init_token: Callable[..., Any]
    user_class: Callable[[], Any]  # User(): the empty user
    create_img: Callable[[str], str]
    is_true: Callable[[Any], bool]
    tokenlabel_parameters: Callable[..., dict]  # get_init_tokenlabel_parameters(g, params=, token_type=, user_object=)
    prepare_result: Callable[..., Any]  # prepare_result(value, details=): the JSON body of a response
    translate: Callable[[str], Any]  # the host's gettext, for the policy descriptions
    verify_auth_token: Callable[..., Any]  # verify_auth_token(token, ["admin"]): the metrics are for admins
    answered: Callable[[Any, Any, bool], None] = lambda g, answer, applied: None  # a phone's answer, for the host's log


def fork_token_host(package: str, name: str, library: HostLibrary, **differences: Any) -> TokenHost:
    """The :class:`TokenHost` of host ``package``, whose forks keep these at the same paths.

    ``differences`` are the members whose name or shape the hosts do not share.
    """

    def named(module: str, member: str) -> Any:
        return getattr(importlib.import_module(f"{package}.{module}"), member)

    return TokenHost(
        name=name,
        library=library,
        parameter_error=named("lib.error", "ParameterError"),
        policy_error=named("lib.error", "PolicyError"),
        validate_error=named("lib.error", "ValidateError"),
        init_token=named("lib.token", "init_token"),
        user_class=named("lib.user", "User"),
        create_img=named("lib.utils", "create_img"),
        is_true=named("lib.utils", "is_true"),
        tokenlabel_parameters=named("api.lib.policyhelper", "get_init_tokenlabel_parameters"),
        prepare_result=named("lib.utils", "prepare_result"),
        translate=named("lib", "_"),
        verify_auth_token=named("api.lib.utils", "verify_auth_token"),
        **differences,
    )
