"""The phone's endpoint, ``/ttype/edupushplus``, as eduMFA routes it: parse, call the service, answer.

Whatever fails to parse or to verify becomes eduMFA's ParameterError (HTTP
400) and changes nothing; a policy that forbids the request, or the state of a
token its phone asks about (revoked, locked, disabled), eduMFA's PolicyError (403).
"""

from __future__ import annotations

from typing import Any, Optional

from edumfa.lib.error import ParameterError, PolicyError, ResourceNotFoundError
from edumfa.lib.token import get_one_token
from edumfa.lib.tokenclass import ROLLOUTSTATE
from edumfa.lib.utils import prepare_result

from ... import catalogue
from ...catalogue import TOKEN_TYPE, Info, Scope
from ...crypto import ServerKeyPair
from ...errors import Forbidden, PolicyValueError, RequestRefused, WireError
from ...lifecycle import TokenStanding
from ...ports import Ports
from ...service import enrollment, phone, settings
from ...wire import requests as wire_requests
from . import metrics
from .ports import Policies, Store, defined_anywhere, edumfa_ports


def handle(request: Any, g: Any) -> tuple:
    """eduMFA's /ttype dispatch calls this with the Flask request."""
    ports = edumfa_ports(g)
    Store().ensure_tables()
    if request.method == "GET" and catalogue.METRICS_PARAMETER in request.all_data:
        return metrics.scrape(request.headers.get("Authorization"))
    try:
        if request.method == "GET":
            message = wire_requests.parse_poll(request.all_data)
            value, details = phone.serve_poll(ports, message, lambda: _allow_polling(g, message.serial)), {}
        elif request.method == "POST":
            value, details = _serve_post(ports, wire_requests.parse_post(request.all_data), g)
        else:
            raise ParameterError(f"Method {request.method} is not supported here.")
    except (RequestRefused, WireError) as refusal:
        raise ParameterError(str(refusal)) from None
    except (Forbidden, PolicyValueError) as refusal:
        raise PolicyError(str(refusal)) from None
    return "json", prepare_result(value, details=details)


def _serve_post(ports: Ports, message: wire_requests.PostRequest, g: Any) -> tuple:
    if isinstance(message, wire_requests.EnrollmentFinish):
        return True, enrollment.finish(ports, _enrolling(message.serial), message)
    if isinstance(message, wire_requests.ChallengeAnswer):
        return phone.receive_answer(ports, message, lambda: Policies(g, lambda: _owner(message.serial)))
    phone.check_token_update(ports, message)  # claims the update's timestamp, committed below with the token
    token = _token(message.serial)
    token.add_tokeninfo(Info.FIREBASE_TOKEN, message.new_fb_token)
    if token.get_tokeninfo(Info.REGISTRATION_STATE):  # a new Firebase token revives a dead registration
        token.del_tokeninfo(Info.REGISTRATION_STATE)
        token.del_tokeninfo(Info.UNREGISTERED_AT)
    token.token.save()
    return True, {}


def _allow_polling(g: Any, serial: str) -> catalogue.AllowPolling:
    policy = catalogue.ALLOW_POLLING
    return settings.allow_polling(
        lambda: Policies(g, lambda: _owner(serial)), defined_anywhere(g, Scope.AUTH, policy.name)
    )


def _owner(serial: str) -> Any:
    token = _token(serial)
    return token.user if token is not None else None


def _token(serial: str) -> Any:
    try:
        return get_one_token(serial=serial, tokentype=TOKEN_TYPE)
    except ResourceNotFoundError:
        return None


class _EnrollingToken:
    """An eduMFA token in enrollment, as :func:`enrollment.finish` uses it."""

    def __init__(self, token: Any) -> None:
        self._token = token
        self.id: int = token.token.id

    def waiting_for_phone(self) -> bool:
        return bool(self._token.token.rollout_state == ROLLOUTSTATE.CLIENTWAIT)

    @property
    def standing(self) -> TokenStanding:
        db_token = self._token.token
        return TokenStanding(active=bool(db_token.active), revoked=bool(db_token.revoked), locked=bool(db_token.locked))

    def info(self, key: str) -> str:
        return str(self._token.get_tokeninfo(key) or "")

    def complete(self, phone_key: str, firebase_token: str, server_key: ServerKeyPair) -> None:
        token = self._token
        token.token.rollout_state = ROLLOUTSTATE.ENROLLED
        token.add_tokeninfo(Info.PHONE_KEY, phone_key)
        token.add_tokeninfo(Info.FIREBASE_TOKEN, firebase_token)
        token.add_tokeninfo(Info.SERVER_PUBLIC_KEY, server_key.public_pem)
        token.add_tokeninfo(Info.SERVER_PRIVATE_KEY, server_key.private_pem, "password")
        token.del_tokeninfo(Info.ENROLLMENT_CREDENTIAL)
        token.del_tokeninfo(Info.ENROLLMENT_DEADLINE)
        token.token.active = True
        token.token.save()

    def set_info(self, key: str, value: str) -> None:
        self._token.add_tokeninfo(key, value)
        self._token.token.save()


def _enrolling(serial: str) -> Optional[_EnrollingToken]:
    token = _token(serial)
    return _EnrollingToken(token) if token is not None else None
