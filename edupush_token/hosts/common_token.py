"""The ``edupushplus`` token class's hooks, as eduMFA and privacyIDEA call them alike.

Both hosts call the same TokenClass hooks with the same arguments (privacyIDEA
3.x, and its fork eduMFA 2.x). Each adapter's token class inherits these and
its host's ``TokenClass`` (in that order) and fills :class:`TokenHost` with
what differs: its errors, its token info writers, its app name and helpers.
Each hook translates: the host's request and token in, a service call, the
host's answer or error out.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Callable, Optional

from flask import has_request_context
from flask import request as flask_request

from .. import catalogue
from ..catalogue import POLL_ONLY, TOKEN_TYPE, AppProfile, Info, RolloutState
from ..errors import DatabaseUnavailable, DeliveryFailed, PolicyValueError, PushTooLarge, WireError
from ..lifecycle import ChallengeState
from ..service import answering, enrollment, push_wait, settings
from ..service.push import Login, LoginContext, PushToken, start_push
from ..service.sending import recipient_from_info
from ..wire import requests as wire_requests
from ..wire.context_values import from_http_header
from ..wire.labels import render_label
from ..wire.qr_fields import QrFields
from . import common, common_endpoint, replies
from .library import policy_definitions
from .token_host import TokenHost

WAIT_REFUSED = f"{TOKEN_TYPE}_wait_refused"
WAIT_SLOT = f"{TOKEN_TYPE}_wait_slot"
PIN_MATCHED = f"{TOKEN_TYPE}_pin_matched"
APP_NAMES = {AppProfile.EDUMFA: "eduMFA Authenticator", AppProfile.PRIVACYIDEA: "privacyIDEA Authenticator"}
SCAN_PROMPT = "Please scan the QR code with the {} app!"
POLL = "poll"  # the hosts' CLIENTMODE.POLL / ClientMode.POLL
INTERACTIVE = "interactive"  # their CLIENTMODE.INTERACTIVE: the login page asks for a code
FORCE_APP_PIN = "force_app_pin"  # the hosts' enrollment policy actions the QR code carries
APP_IMAGE_URL = "appimageurl"


class PushTokenHooks:
    """The hooks; ``token_host`` is set by each host's token class, which also derives from its TokenClass."""

    token_host: TokenHost
    token: Any
    user: Any
    get_tokeninfo: Callable[..., Any]  # the host's TokenClass's
    client_mode: str
    set_type: Callable[[str], None]
    hKeyRequired: bool
    _spare_failcounter = False

    def __init__(self, db_token: Any) -> None:
        super().__init__(db_token)  # type: ignore[call-arg]  # the host's TokenClass
        self.set_type(TOKEN_TYPE)
        self.hKeyRequired = False

    def _base(self) -> Any:
        """The host's TokenClass, next in the method resolution order."""
        return super()

    @staticmethod
    def get_class_type() -> str:
        return TOKEN_TYPE

    @staticmethod
    def get_class_prefix() -> str:
        return catalogue.TOKEN_PREFIX

    @staticmethod
    def get_class_title() -> str:
        return "Push token (edupush-token)"

    @staticmethod
    def get_class_description() -> str:
        return "PUSH+: a push notification to the eduMFA Authenticator app, hardened."

    @classmethod
    def get_class_info(cls, key: Optional[str] = None, ret: str = "all") -> Any:
        """What the host's UI and policy editor know of the type; ``{}`` for a key it does not have."""
        info = {
            "type": TOKEN_TYPE,
            "title": cls.get_class_title(),
            "description": cls.get_class_description(),
            "user": ["enroll"],
            # eduMFA's web UI form comes from the templates `edupush-token webui install` adds.
            "ui_enroll": ["admin", "user"],
            "policy": policy_definitions(cls.token_host.library, cls.token_host.translate),
        }
        if key:
            return info.get(key, {})
        return info if ret == "all" else ret

    @classmethod
    def api_endpoint(cls, request: Any, g: Any) -> Any:
        return common_endpoint.handle(cls.token_host, request, g)

    @classmethod
    def _policies(cls, g: Any, user: Any) -> common.Policies:
        return common.Policies(cls.token_host.library, g, user)

    @classmethod
    def _store(cls) -> common.Store:
        return common.Store(cls.token_host.library)

    # Enrollment step 1 ------------------------------------------------------

    @classmethod
    def get_default_settings(cls, g: Any, params: dict) -> dict:
        """Policy values for /token/init; they override anything the caller sent."""
        return cls._enrollment_params(
            g, getattr(flask_request, "User", None), params.get(catalogue.APP_PROFILE_PARAMETER)
        )

    def update(self, param: dict, reset_failcount: bool = True) -> None:
        host = self.token_host
        if any(name in param for name in ("pubkey", "fbtoken", "enrollment_credential")):
            raise host.parameter_error(f"The phone finishes enrollment at {catalogue.ENDPOINT_PATH}, not here.")
        if not wire_requests.SERIAL.fullmatch(self.token.serial):
            raise host.parameter_error(
                "The serial of a push token may only contain letters, digits, '.', '_' and '-': "
                "the app puts it into URLs unencoded."
            )
        if catalogue.REGISTRATION_URL.name not in param:
            raise host.policy_error(f"Missing enrollment policy for {TOKEN_TYPE}: {catalogue.REGISTRATION_URL.name}")
        ttl_minutes = int(param[catalogue.TTL.name])
        self._base().update(dict(param, genkey=1, **{"2stepinit": 1}), reset_failcount)
        self._forget_the_phone()
        ports = host.ports(None)
        started = enrollment.start(ports.clock, ttl_minutes)
        host.library.write_tokeninfo(
            self,
            {
                Info.ENROLLMENT_CREDENTIAL: started.credential,
                Info.ENROLLMENT_DEADLINE: started.deadline.isoformat(),
                Info.REGISTRATION_URL: param[catalogue.REGISTRATION_URL.name],
                Info.SSL_VERIFY: param[catalogue.ENROLL_SSL_VERIFY.name],
                Info.TTL: str(ttl_minutes),
                Info.SERVER_KEY_SIZE: str(param[catalogue.SERVER_KEY_SIZE.name]),
                Info.FIREBASE_CONFIG: param[catalogue.FIREBASE_CONFIG.name],
                Info.APP_PROFILE: param.get(catalogue.APP_PROFILE.name) or AppProfile.EDUMFA.value,
            },
            secret={Info.ENROLLMENT_CREDENTIAL},
        )
        ports.keys.refill(int(param[catalogue.SERVER_KEY_SIZE.name]))  # ready by the time the phone scans

    def _forget_the_phone(self) -> None:
        """A (re-)enrollment voids what the previous phone may still do: its challenges, approvals and key."""
        self._store().void_challenges(self.token.serial)
        self.token_host.remove_info(self, Info.PHONE_KEY)
        self.token_host.remove_info(self, Info.FIREBASE_TOKEN_UPDATED)

    # Lifecycle ----------------------------------------------------------------

    def enable(self, enable: bool = True) -> None:
        """Disabling voids the token's challenges: the host's /validate/polltransaction would still say accept."""
        self._base().enable(enable)
        if not enable:
            self._store().void_challenges(self.token.serial)

    def revoke(self) -> None:
        """Revoking (which also locks and disables) voids the token's challenges, as disabling does."""
        self._base().revoke()
        self._store().void_challenges(self.token.serial)

    def get_init_detail(self, params: Optional[dict] = None, user: Any = None) -> dict:
        params = params or {}
        user = user or self.token_host.user_class()
        detail = self._base().get_init_detail(params, user)
        detail.pop("otpkey", None)
        detail["rollout_state"] = self.token.rollout_state
        if self.token.rollout_state == RolloutState.CLIENTWAIT.value:
            qr_url = self._enrollment_url(params, user)
            detail["pushurl"] = {
                "description": f"URL for the {APP_NAMES[self._profile()]}",
                "value": qr_url,
                "img": self.token_host.create_img(qr_url),
            }
            detail["enrollment_credential"] = self.get_tokeninfo(Info.ENROLLMENT_CREDENTIAL)
        return detail

    def _enrollment_url(self, params: dict, user: Any) -> str:
        login = getattr(user, "login", "") or ""
        info = user.info if login else {}
        names = dict(
            serial=self.token.serial,
            user=login,
            realm=getattr(user, "realm", "") or "",
            givenname=info.get("givenname", ""),
            surname=info.get("surname", ""),
        )
        host = self.token_host
        try:
            label = render_label(params.get("tokenlabel") or "<s>", **names) or self.token.serial
            issuer = render_label(params.get("tokenissuer") or host.name, **names)
            fields = QrFields(
                label=label,
                serial=self.token.serial,
                registration_url=self.get_tokeninfo(Info.REGISTRATION_URL),
                enrollment_credential=self.get_tokeninfo(Info.ENROLLMENT_CREDENTIAL),
                ttl_minutes=int(self.get_tokeninfo(Info.TTL)),
                sslverify=self.get_tokeninfo(Info.SSL_VERIFY) == "1",
                issuer=issuer,
                force_app_pin=host.is_true(params.get(FORCE_APP_PIN)),
                image_url=params.get(APP_IMAGE_URL),
            )
            poll_only = self.get_tokeninfo(Info.FIREBASE_CONFIG) == POLL_ONLY
            pia_scheme = host.is_true(params.get(catalogue.USE_PIA_SCHEME.name))
            return enrollment.qr_code(self._profile(), fields, poll_only, pia_scheme)
        except WireError as error:
            raise host.policy_error(str(error)) from None

    def _profile(self) -> AppProfile:
        """The token's app; tokens enrolled before there were profiles are eduMFA's."""
        return AppProfile(self.get_tokeninfo(Info.APP_PROFILE) or AppProfile.EDUMFA.value)

    @classmethod
    def enroll_via_validate(cls, g: Any, content: dict, user_obj: Any, message: Optional[str] = None) -> None:
        """Enroll through /validate/check (the host's enroll_via_multichallenge policy)."""
        host = cls.token_host
        params = host.tokenlabel_parameters(g, params={}, token_type=TOKEN_TYPE, user_object=user_obj)
        params.update(cls._enrollment_params(g, user_obj))
        token = host.init_token(dict(params, type=TOKEN_TYPE, genkey=1), user=user_obj)
        validity = int(token.get_tokeninfo(Info.TTL)) * 60
        transaction_id = cls._store().create_enrollment_challenge(token.token.serial, validity)
        init_detail = token.get_init_detail(params=params, user=user_obj)
        entry = {
            "transaction_id": transaction_id,
            "image": init_detail["pushurl"]["img"],
            "client_mode": POLL,
            "serial": token.token.serial,
            "type": TOKEN_TYPE,
            "enrollment_url": init_detail["pushurl"]["value"],
            "message": message or SCAN_PROMPT.format(APP_NAMES[token._profile()]),
        }
        content["result"]["value"] = False
        content["result"]["authentication"] = "CHALLENGE"
        detail = content.setdefault("detail", {})
        detail["transaction_ids"] = [transaction_id]
        detail["multi_challenge"] = [entry]
        detail.update(entry)

    # Authentication ----------------------------------------------------------

    def use_for_authentication(self, options: dict) -> bool:
        return bool(self._base().is_active())

    def is_challenge_request(self, passw: Any, user: Any = None, options: Optional[dict] = None) -> bool:
        """The PIN alone asks for a push; with push_wait and a slot to spare, authenticate() sends it and waits.

        The PIN is checked first, so that wrong PINs never take a wait slot.
        """
        options = options if options is not None else {}
        if not self._pin_matches(passw, user, options):
            return False
        wait_seconds = self._wait_seconds(options)
        if wait_seconds is None:
            return True
        environ = flask_request.environ if has_request_context() else {}
        ports = self.token_host.ports(None)
        process_slots = push_wait.slots(ports.config, environ)
        if push_wait.try_reserve(process_slots):
            ports.host.after_request(process_slots.give_back)
            options[self._option(WAIT_SLOT)] = wait_seconds  # the host hands the options on to authenticate()
            return False
        options[WAIT_REFUSED] = True
        return True

    def _pin_matches(self, passw: Any, user: Any, options: dict) -> bool:
        """check_pin() hashes; is_challenge_request() and authenticate() share its answer within one request."""
        key = self._option(PIN_MATCHED)
        if key not in options:
            options[key] = isinstance(passw, str) and bool(self._base().check_pin(passw, user=user, options=options))
        return bool(options[key])

    def _option(self, name: str) -> str:
        """A key of the host's options for this token: one login checks all the user's tokens with one dict."""
        return f"{name}:{self.token.serial}"

    def create_challenge(self, transactionid: Optional[str] = None, options: Optional[dict] = None) -> tuple:
        return self._push_challenge(transactionid, options or {}, waits_here=False)

    def _push_challenge(self, transaction_id: Optional[str], options: dict, waits_here: bool) -> tuple:
        host = self.token_host
        g = options.get("g")
        owner = options.get("user") or self.user
        ports = host.ports(g)
        self._store().ensure_tables()
        login = Login(
            context=_login_context(g, owner),
            transaction_id=transaction_id,
            session=options.get("session") or "",
            waits_here=waits_here,
            raise_on_failure=host.is_true(options.get("exception")),
        )
        try:
            outcome = start_push(self._push_token(), login, self._policies(g, owner), ports)
        except PolicyValueError as error:
            raise host.policy_error(str(error)) from None
        except (PushTooLarge, DeliveryFailed) as error:
            raise host.validate_error(str(error)) from None
        if not outcome.created:
            return False, outcome.message, transaction_id, {}
        message = outcome.message + (push_wait.REFUSED if options.get(WAIT_REFUSED) else "")
        # A new dict each time: the host writes the transaction id into it, and its client_mode from ours.
        reply: dict = {"attributes": {"hideResponseInput": not outcome.interactive}}
        self.client_mode = INTERACTIVE if outcome.interactive else POLL
        if outcome.presence_answer is not None:
            reply["presence_answer"] = outcome.presence_answer
        return True, message, outcome.transaction_id, reply

    def _push_token(self) -> PushToken:
        info = self.token.get_info()  # raw values, read once: each get_tokeninfo() builds this dict again
        recipient = recipient_from_info(self.token.serial, info)
        return PushToken(
            id=self.token.id,
            recipient=recipient,
            registration_url=info.get(Info.REGISTRATION_URL) or "",
            server_key_size=int(info.get(Info.SERVER_KEY_SIZE) or catalogue.DEFAULT_SERVER_KEY_SIZE),
            profile=AppProfile(info.get(Info.APP_PROFILE) or AppProfile.EDUMFA.value),
        )

    def _wait_seconds(self, options: dict) -> Optional[int]:
        g = options.get("g")
        try:
            return settings.wait_seconds(self._policies(g, self.user or options.get("user")) if g is not None else None)
        except PolicyValueError as error:
            raise self.token_host.policy_error(str(error)) from None

    def authenticate(self, passw: Any, user: Any = None, options: Optional[dict] = None) -> tuple:
        """push_wait: one /validate/check with the PIN sends the push and waits for the answer."""
        options = options if options is not None else {}
        pin_match = self._pin_matches(passw, user, options)
        wait_seconds = options.get(self._option(WAIT_SLOT))
        if not pin_match or wait_seconds is None or options.get("valid_token_num"):
            return pin_match, -1, None
        created, message, transaction_id, _attributes = self._push_challenge(None, options, waits_here=True)
        if not created:
            return self._rejected(message)
        ports = self.token_host.ports(None)
        try:
            outcome = push_wait.wait_for_answer(
                ports.store,
                ports.clock,
                self.token_host.library.db.engine,
                self.token.serial,
                transaction_id,
                wait_seconds,
            )
        except DatabaseUnavailable:
            push_wait.void_if_reachable(ports.store, transaction_id)
            return self._rejected(push_wait.DATABASE_LOST)
        # Used up if accepted; voided if not, so that a late accept completes nothing and blocks no next login.
        ports.store.consume_transaction(transaction_id)
        if outcome is ChallengeState.ACCEPTED:
            return pin_match, 1, None
        return self._rejected(push_wait.failure_text(outcome))

    def _rejected(self, message: str) -> tuple:
        """A REJECT that is no failed authentication: the user typed nothing wrong.

        Declines are counted by the decline limit, refusals are the limits at
        work, an unanswered push may simply have been missed, and a lost
        database is the server's fault; none of them may lock the token the
        way a guessed OTP does.
        """
        self._spare_failcounter = True
        replies.reject_with(message)
        return True, -1, {"message": message}

    def inc_failcount(self) -> int:
        if self._spare_failcounter:
            return int(self.token.failcount)
        return int(self._base().inc_failcount())

    def check_challenge_response(self, user: Any = None, passw: Any = None, options: Optional[dict] = None) -> int:
        options = options or {}
        transaction_id = options.get("transaction_id") or options.get("state")
        if not transaction_id:
            return -1
        ports = self.token_host.ports(options.get("g"))
        window = self._finalize_window(options)
        return (
            1 if answering.completes_login(ports, self.token.serial, transaction_id, str(passw or ""), window) else -1
        )

    def _finalize_window(self, options: dict) -> timedelta:
        try:
            return settings.finalize_window(self._policies(options.get("g"), options.get("user") or self.user))
        except PolicyValueError as error:
            raise self.token_host.policy_error(str(error)) from None

    @classmethod
    def _enrollment_params(cls, g: Any, user: Any, requested_profile: Optional[str] = None) -> dict:
        try:
            chosen = settings.enrollment_settings(
                cls._policies(g, user), common.Host(cls.token_host.library).gateway_exists, requested_profile
            )
        except PolicyValueError as error:
            raise cls.token_host.policy_error(str(error)) from None
        return {
            catalogue.REGISTRATION_URL.name: chosen.registration_url,
            catalogue.TTL.name: chosen.ttl_minutes,
            catalogue.ENROLL_SSL_VERIFY.name: "1" if chosen.sslverify else "0",
            catalogue.FIREBASE_CONFIG.name: chosen.firebase_configuration,
            catalogue.SERVER_KEY_SIZE.name: chosen.server_key_size,
            catalogue.APP_PROFILE.name: chosen.app_profile.value,
            catalogue.USE_PIA_SCHEME.name: chosen.pia_scheme,
        }


def _login_context(g: Any, owner: Any) -> LoginContext:
    return LoginContext(
        client_ip=getattr(g, "client_ip", "") if g is not None else "",
        user_agent=from_http_header(flask_request.headers.get("User-Agent", "")) if has_request_context() else "",
        user=getattr(owner, "login", "") or "",
        realm=getattr(owner, "realm", "") or "",
    )
