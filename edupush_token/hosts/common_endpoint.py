"""The phone's endpoint, ``/ttype/edupushplus``, as both hosts route it: parse, call the service, answer.

Whatever fails to parse or to verify becomes the host's ParameterError (HTTP
400) and changes nothing; a policy that forbids the request, or the state of a
token its phone asks about (revoked, locked, disabled), the host's PolicyError (403).
"""

from __future__ import annotations

from typing import Any, Optional

from .. import catalogue
from ..catalogue import TOKEN_TYPE, Info, RolloutState, Scope
from ..crypto import ServerKeyPair
from ..errors import Forbidden, PolicyValueError, RequestRefused, WireError
from ..lifecycle import TokenStanding
from ..ports import Ports
from ..service import enrollment, phone, settings
from ..wire import requests as wire_requests
from . import common, metrics
from .token_host import TokenHost


def handle(host: TokenHost, request: Any, g: Any) -> tuple:
    """The host's /ttype dispatch calls this with the Flask request."""
    ports = host.ports(g)
    common.Store(host.library).ensure_tables()
    if request.method == "GET" and catalogue.METRICS_PARAMETER in request.all_data:
        return metrics.scrape(host.library, host.verify_auth_token, request.headers.get("Authorization"))
    try:
        if request.method == "GET":
            message = wire_requests.parse_poll(request.all_data)
            allow = lambda: _allow_polling(host, g, message.serial)  # noqa: E731
            value, details = phone.serve_poll(ports, message, allow), {}
        elif request.method == "POST":
            posted = wire_requests.parse_post(request.all_data)
            value, details = _serve_post(host, ports, posted, g)
            if isinstance(posted, wire_requests.ChallengeAnswer):
                host.answered(g, posted, bool(value))
        else:
            raise host.parameter_error(f"Method {request.method} is not supported here.")
    except (RequestRefused, WireError) as refusal:
        raise host.parameter_error(str(refusal)) from None
    except (Forbidden, PolicyValueError) as refusal:
        raise host.policy_error(str(refusal)) from None
    return "json", host.prepare_result(value, details=details)


def _serve_post(host: TokenHost, ports: Ports, message: wire_requests.PostRequest, g: Any) -> tuple:
    if isinstance(message, wire_requests.EnrollmentFinish):
        return True, enrollment.finish(ports, _enrolling(host, message.serial), message)
    if isinstance(message, wire_requests.ChallengeAnswer):
        owner_policies = lambda: common.Policies(host.library, g, lambda: _owner(host, message.serial))  # noqa: E731
        return phone.receive_answer(ports, message, owner_policies)
    phone.check_token_update(ports, message)  # claims the update's timestamp, committed below with the token
    token = _token(host, message.serial)
    host.library.write_tokeninfo(token, {Info.FIREBASE_TOKEN: message.new_fb_token})
    if token.get_tokeninfo(Info.REGISTRATION_STATE):  # a new Firebase token revives a dead registration
        host.remove_info(token, Info.REGISTRATION_STATE)
        host.remove_info(token, Info.UNREGISTERED_AT)
    token.token.save()
    return True, {}


def _allow_polling(host: TokenHost, g: Any, serial: str) -> catalogue.AllowPolling:
    policy = catalogue.ALLOW_POLLING
    return settings.allow_polling(
        lambda: common.Policies(host.library, g, lambda: _owner(host, serial)),
        common.defined_anywhere(g, Scope.AUTH, policy.name),
    )


def _owner(host: TokenHost, serial: str) -> Any:
    token = _token(host, serial)
    return token.user if token is not None else None


def _token(host: TokenHost, serial: str) -> Any:
    return host.library.get_one_token(serial=serial, tokentype=TOKEN_TYPE, silent_fail=True)


class _EnrollingToken:
    """A host's token in enrollment, as :func:`enrollment.finish` uses it."""

    def __init__(self, host: TokenHost, token: Any) -> None:
        self._host = host
        self._token = token
        self.id: int = token.token.id

    def waiting_for_phone(self) -> bool:
        return bool(self._token.token.rollout_state == RolloutState.CLIENTWAIT.value)

    @property
    def standing(self) -> TokenStanding:
        db_token = self._token.token
        return TokenStanding(active=bool(db_token.active), revoked=bool(db_token.revoked), locked=bool(db_token.locked))

    def info(self, key: str) -> str:
        return str(self._token.get_tokeninfo(key) or "")

    def complete(self, phone_key: str, firebase_token: str, server_key: ServerKeyPair) -> None:
        token, remove = self._token, self._host.remove_info
        token.token.rollout_state = RolloutState.ENROLLED.value
        self._host.library.write_tokeninfo(
            token,
            {
                Info.PHONE_KEY: phone_key,
                Info.FIREBASE_TOKEN: firebase_token,
                Info.SERVER_PUBLIC_KEY: server_key.public_pem,
                Info.SERVER_PRIVATE_KEY: server_key.private_pem,
            },
            secret={Info.SERVER_PRIVATE_KEY},
        )
        remove(token, Info.ENROLLMENT_CREDENTIAL)
        remove(token, Info.ENROLLMENT_DEADLINE)
        token.token.active = True
        token.token.save()

    def set_info(self, key: str, value: str) -> None:
        self._host.library.write_tokeninfo(self._token, {key: value})
        self._token.token.save()


def _enrolling(host: TokenHost, serial: str) -> Optional[_EnrollingToken]:
    token = _token(host, serial)
    return _EnrollingToken(host, token) if token is not None else None
