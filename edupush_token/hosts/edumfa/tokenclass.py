"""The ``edupushplus`` token type as eduMFA sees it.

eduMFA registers only the token classes *defined* in a listed module, so
:mod:`edupush_token.edumfa_plugin` subclasses this base and adds nothing.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Optional

from flask import has_request_context
from flask import request as flask_request

from edumfa.lib.config import get_from_config
from edumfa.lib.decorators import check_token_locked
from edumfa.lib.error import ParameterError, PolicyError, ValidateError
from edumfa.lib.policy import ACTION
from edumfa.lib.token import init_token
from edumfa.lib.tokenclass import (
    AUTHENTICATIONMODE,
    CLIENTMODE,
    ROLLOUTSTATE,
    TokenClass,
)
from edumfa.lib.user import User
from edumfa.lib.utils import create_img, is_true

from ... import TOKEN_TYPE, crypto, lifecycle
from ...delivery import POLL_ONLY, DeliveryState
from ...lifecycle import ChallengeState
from ...limits import COOLDOWN, Refusal, check_push
from ...wire import WireError
from ...wire import requests as wire_requests
from ...wire.enrollment_url import enrollment_url, render_label
from ...wire.push_data import FCM_DATA_LIMIT, PushData
from ...wire.templates import render_template
from . import audit, delivery, endpoint, keypool, policies, push_wait, store
from .policies import Action
from .tokeninfo import Info

log = logging.getLogger(__name__)

WAIT_REFUSED = "edupushplus_wait_refused"
WAIT_SLOT = "edupushplus_wait_slot"


class EdupushPlusTokenBase(TokenClass):
    """A push token that speaks the eduMFA Authenticator's protocol, hardened."""

    mode = [AUTHENTICATIONMODE.AUTHENTICATE, AUTHENTICATIONMODE.CHALLENGE, AUTHENTICATIONMODE.OUTOFBAND]
    client_mode = CLIENTMODE.POLL
    is_multichallenge_enrollable = True

    def __init__(self, db_token):
        TokenClass.__init__(self, db_token)
        self.set_type(TOKEN_TYPE)
        self.hKeyRequired = False

    @staticmethod
    def get_class_type():
        return TOKEN_TYPE

    @staticmethod
    def get_class_prefix():
        return "EDPP"

    @staticmethod
    def get_class_title():
        return "Push token (edupush-token)"

    @staticmethod
    def get_class_description():
        return "PUSH+: a push notification to the eduMFA Authenticator app, hardened."

    @classmethod
    def get_class_info(cls, key=None, ret="all"):
        info = {
            "type": TOKEN_TYPE,
            "title": cls.get_class_title(),
            "description": cls.get_class_description(),
            "user": ["enroll"],
            # The web UI's form and QR code for this type come from the templates that
            # `edupush-token webui install` puts into eduMFA's static folder.
            "ui_enroll": ["admin", "user"],
            "policy": policies.definitions(),
        }
        if key:
            return info.get(key, {})
        return info if ret == "all" else ret

    # Enrollment step 1 ------------------------------------------------------

    @classmethod
    def get_default_settings(cls, g, params):
        """Policy values for /token/init; they override anything the caller sent."""
        settings = policies.read_enrollment_settings(g, getattr(flask_request, "User", None))
        return _settings_params(settings)

    def update(self, param, reset_failcount=True):
        if any(name in param for name in ("pubkey", "fbtoken", "enrollment_credential")):
            raise ParameterError(f"The phone finishes enrollment at /ttype/{TOKEN_TYPE}, not here.")
        if not wire_requests.SERIAL.fullmatch(self.token.serial):
            raise ParameterError(
                "The serial of a push token may only contain letters, digits, '.', '_' and '-': "
                "the app puts it into URLs unencoded."
            )
        if Action.REGISTRATION_URL not in param:
            raise PolicyError(f"Missing enrollment policy for {TOKEN_TYPE}: {Action.REGISTRATION_URL}")
        ttl_minutes = int(param[Action.TTL])
        TokenClass.update(self, dict(param, genkey=1, **{"2stepinit": 1}), reset_failcount)
        deadline = lifecycle.enrollment_deadline(lifecycle.utc_now(), ttl_minutes)
        self.add_tokeninfo(Info.ENROLLMENT_CREDENTIAL, lifecycle.new_enrollment_credential(), "password")
        self.add_tokeninfo(Info.ENROLLMENT_DEADLINE, deadline.isoformat())
        self.add_tokeninfo(Info.REGISTRATION_URL, param[Action.REGISTRATION_URL])
        self.add_tokeninfo(Info.SSL_VERIFY, param[Action.SSL_VERIFY])
        self.add_tokeninfo(Info.TTL, str(ttl_minutes))
        self.add_tokeninfo(Info.SERVER_KEY_SIZE, str(param[Action.SERVER_KEY_SIZE]))
        self.add_tokeninfo(Info.FIREBASE_CONFIG, param[Action.FIREBASE_CONFIG])
        keypool.refill(int(param[Action.SERVER_KEY_SIZE]))  # ready by the time the phone scans

    def get_init_detail(self, params=None, user=None):
        params = params or {}
        user = user or User()
        detail = TokenClass.get_init_detail(self, params, user)
        detail.pop("otpkey", None)
        detail["rollout_state"] = self.token.rollout_state
        if self.token.rollout_state == ROLLOUTSTATE.CLIENTWAIT:
            qr_url = self._enrollment_url(params, user)
            detail["pushurl"] = {"description": "URL for the eduMFA Authenticator", "value": qr_url, "img": create_img(qr_url)}
            detail["enrollment_credential"] = self.get_tokeninfo(Info.ENROLLMENT_CREDENTIAL)
        return detail

    def _enrollment_url(self, params, user) -> str:
        names = dict(
            serial=self.token.serial,
            user=user.login or "",
            realm=user.realm or "",
            givenname=user.info.get("givenname", "") if user.login else "",
            surname=user.info.get("surname", "") if user.login else "",
        )
        try:
            label = render_label(params.get("tokenlabel") or "<s>", **names) or self.token.serial
            issuer = render_label(params.get("tokenissuer") or "eduMFA", **names)
            return enrollment_url(
                label=label,
                serial=self.token.serial,
                registration_url=self.get_tokeninfo(Info.REGISTRATION_URL),
                enrollment_credential=self.get_tokeninfo(Info.ENROLLMENT_CREDENTIAL),
                ttl_minutes=int(self.get_tokeninfo(Info.TTL)),
                sslverify=self.get_tokeninfo(Info.SSL_VERIFY) == "1",
                issuer=issuer,
                force_app_pin=is_true(params.get(ACTION.FORCE_APP_PIN)),
                image_url=params.get(ACTION.APPIMAGEURL),
            )
        except WireError as error:
            raise PolicyError(str(error)) from None

    @classmethod
    def enroll_via_validate(cls, g, content, user_obj):
        """Enroll through /validate/check (eduMFA's enroll_via_multichallenge policy)."""
        from edumfa.api.lib.policyhelper import get_init_tokenlabel_parameters

        params = get_init_tokenlabel_parameters(g, params={}, token_type=TOKEN_TYPE, user_object=user_obj)
        params.update(_settings_params(policies.read_enrollment_settings(g, user_obj)))
        token = init_token(dict(params, type=TOKEN_TYPE, genkey=1), user=user_obj)
        validity = int(token.get_tokeninfo(Info.TTL)) * 60
        challenge = store.save_enrollment_challenge(token.token.serial, validity)
        init_detail = token.get_init_detail(params=params, user=user_obj)
        entry = {
            "transaction_id": challenge.transaction_id,
            "image": init_detail["pushurl"]["img"],
            "client_mode": CLIENTMODE.POLL,
            "serial": token.token.serial,
            "type": TOKEN_TYPE,
            "enrollment_url": init_detail["pushurl"]["value"],
            "message": "Please scan the QR code with the eduMFA Authenticator app!",
        }
        content["result"]["value"] = False
        content["result"]["authentication"] = "CHALLENGE"
        detail = content.setdefault("detail", {})
        detail["transaction_ids"] = [challenge.transaction_id]
        detail["multi_challenge"] = [entry]
        detail.update(entry)

    # The phone's endpoint: /ttype/edupushplus ---------------------------------

    @classmethod
    def api_endpoint(cls, request, g):
        return endpoint.handle(request, g)

    # Authentication ----------------------------------------------------------

    def use_for_authentication(self, options):
        return self.is_active()

    def is_challenge_request(self, passw, user=None, options=None):
        options = options or {}
        if not isinstance(passw, str):
            return False  # e.g. a JSON number as "pass": no PIN can match it
        if self._wait_seconds(options) is not None:
            # eduMFA hands these options on to authenticate() or create_challenge().
            if push_wait.reserve_slot():
                options[self._wait_slot_key()] = True
                return False  # authenticate() sends the push and waits instead
            options[WAIT_REFUSED] = True
        return self.check_pin(passw, user=user, options=options)

    def _wait_slot_key(self) -> str:
        return f"{WAIT_SLOT}:{self.token.serial}"

    def create_challenge(self, transactionid=None, options=None):
        return self._push_challenge(transactionid, options or {}, waits_here=False)

    def _push_challenge(self, transactionid, options: dict, waits_here: bool):
        store.ensure_tables()
        g = options.get("g")
        owner = options.get("user") or self.user
        settings = policies.read_auth_settings(g, owner)
        gateway_name = self.get_tokeninfo(Info.FIREBASE_CONFIG) or POLL_ONLY
        validity_seconds = self._validity_seconds(g, owner)
        refusal = self._push_refusal(g, owner, validity_seconds)
        if refusal is not None:
            self._audit_limit(g, refusal)
            if not (refusal.limit == COOLDOWN and policies.read_cooldown_allows_poll(g, owner)):
                return False, refusal.message, transactionid, {}
            gateway_name = POLL_ONLY
        context = self._login_context(g, owner)
        try:
            question = render_template(settings.question, context)
            title = render_template(settings.title, context)
        except WireError as error:
            raise PolicyError(f"{Action.MOBILE_TEXT} / {Action.MOBILE_TITLE}: {error}") from None
        push = PushData.unsigned(
            nonce=lifecycle.new_nonce(),
            url=policies.read_registration_url(g, owner) or self.get_tokeninfo(Info.REGISTRATION_URL),
            serial=self.token.serial,
            question=question,
            title=title,
            sslverify=settings.sslverify,
        )
        signature_length = crypto.signature_length(int(self.get_tokeninfo(Info.SERVER_KEY_SIZE)))
        size = push.with_signature("A" * signature_length).payload_size()
        if size > FCM_DATA_LIMIT:
            raise ValidateError(
                f"The push for this login would be {size} bytes, more than Firebase's "
                f"{FCM_DATA_LIMIT}: shorten {Action.MOBILE_TEXT} or {Action.MOBILE_TITLE}."
            )
        challenge = store.save_push_challenge(
            self.token.serial, transactionid, push, validity_seconds,
            session=options.get("session") or "", delivery_state=delivery.first_state(gateway_name),
        )
        if store.housekeeping_due():
            self.challenge_janitor()
            store.forget_old_rows()
        message = settings.challenge_text
        report = delivery.deliver(self, challenge, push, gateway_name, self._sending(g, owner, waits_here))
        if report.state is DeliveryState.FAILED:
            message += " The push notification could not be sent; open the app to find the login request."
            if is_true(options.get("exception")):
                raise ValidateError(f"Failed to send the push notification: {report.detail}")
        if refusal is not None:
            message += " No push was sent: open the app to find the login request."
        if options.get(WAIT_REFUSED):
            message += push_wait.REFUSED
        return True, message, challenge.transaction_id, {"attributes": {"hideResponseInput": True}}

    @staticmethod
    def _sending(g, owner, waits_here: bool) -> delivery.Sending:
        if policies.read_synchronous_delivery(g, owner):
            return delivery.Sending.IN_REQUEST
        return delivery.Sending.AT_ONCE if waits_here else delivery.Sending.AFTER_REQUEST

    def _login_context(self, g, owner) -> dict:
        """What the user may need to judge the login: from where, with what, for whom, when."""
        now = lifecycle.utc_now()
        return {
            "client_ip": getattr(g, "client_ip", "") if g is not None else "",
            "user_agent": flask_request.headers.get("User-Agent", "") if has_request_context() else "",
            "user": getattr(owner, "login", "") or "",
            "realm": getattr(owner, "realm", "") or "",
            "serial": self.token.serial,
            "date": f"{now:%Y-%m-%d}",
            "time": f"{now:%H:%M} UTC",
        }

    def _push_refusal(self, g, owner, validity_seconds: int) -> Optional[Refusal]:
        limits = policies.read_push_limits(g, owner)
        now = store.utcnow()
        since = now - max(limits.history_needed, timedelta(seconds=validity_seconds))
        return check_push(limits, store.push_history(self.token.id, self.token.serial, since), now)

    def _audit_limit(self, g, refusal: Refusal) -> None:
        log.warning("Token %s: push refused by the %s limit.", self.token.serial, refusal.limit)
        audit.record_event("push refused", self.token.serial, f"{refusal.limit} limit: {refusal.message}", False, refusal.limit)

    def _validity_seconds(self, g, owner) -> int:
        default = int(get_from_config("DefaultChallengeValidityTime", 120))
        configured = int(get_from_config("EdupushplusChallengeValidityTime", default))
        return policies.read_challenge_validity(g, owner, configured)

    def _wait_seconds(self, options) -> Optional[int]:
        return policies.read_wait_seconds(options.get("g"), self.user or options.get("user"))

    @check_token_locked
    def authenticate(self, passw, user=None, options=None):
        """push_wait: one /validate/check with the PIN sends the push and waits for the answer."""
        options = options or {}
        pin_match = isinstance(passw, str) and self.check_pin(passw, user=user, options=options)
        wait_seconds = self._wait_seconds(options)
        if not pin_match or wait_seconds is None or options.get("valid_token_num"):
            return pin_match, -1, None
        may_wait = options.get(self._wait_slot_key(), False)
        if not may_wait:
            options[WAIT_REFUSED] = True
        created, message, transaction_id, _attributes = self._push_challenge(None, options, waits_here=may_wait)
        if not created:
            return pin_match, -1, {"message": message}
        if not may_wait:
            return pin_match, -1, {"message": message, "transaction_id": transaction_id}
        outcome = push_wait.wait_for_answer(self.token.serial, transaction_id, wait_seconds)
        if outcome is ChallengeState.ACCEPTED:
            store.consume_transaction(transaction_id)
            return pin_match, 1, None
        reason = "declined on the phone" if outcome is ChallengeState.DECLINED else "not answered in time"
        return pin_match, -1, {"message": f"The push login was {reason}."}

    @check_token_locked
    def check_challenge_response(self, user=None, passw=None, options=None):
        options = options or {}
        transaction_id = options.get("transaction_id") or options.get("state")
        if not transaction_id:
            return -1
        status = store.transaction_status(self.token.serial, transaction_id)
        if status is not None and status.state(store.utcnow()) is ChallengeState.ACCEPTED:
            return 1
        return -1


def _settings_params(settings: policies.EnrollmentSettings) -> dict:
    return {
        Action.REGISTRATION_URL: settings.registration_url,
        Action.TTL: settings.ttl_minutes,
        Action.SSL_VERIFY: "1" if settings.sslverify else "0",
        Action.FIREBASE_CONFIG: settings.firebase_configuration,
        Action.SERVER_KEY_SIZE: settings.server_key_size,
    }
