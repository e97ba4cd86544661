"""eduMFA's side of :mod:`edupush_token.ports`: its policies, audit, database, crypto and hooks."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable, Optional

from edumfa.lib.audit import getAudit
from edumfa.lib.config import get_from_config
from edumfa.lib.crypto import decryptPassword, encryptPassword
from edumfa.lib.lifecycle import register_request_finalizer
from edumfa.lib.policy import Match, PolicyClass
from edumfa.lib.smsprovider.SMSProvider import get_smsgateway
from edumfa.lib.token import get_one_token
from edumfa.models import Challenge, cleanup_challenges, db
from flask import current_app, has_request_context

from ... import catalogue, runtime
from ...catalogue import TOKEN_TYPE, Info, Scope
from ...crypto import ServerKeyPair
from ...delivery import DeliveryState
from ...delivery.firebase import FirebaseGateway
from ...delivery.outbox import Lease
from ...lifecycle import SystemClock
from ...matching import STANDARD, AnswerCheck
from ...ports import Ports, Runner
from ...service import sending
from ...storage.challenges import ChallengeTables, SavedChallenge, aware
from ...storage.keypool import KeyPool
from ...wire.push_data import PushData
from . import logging_bridge


class Policies:
    """eduMFA's policies for one request's user; the user is resolved only when a policy is read.

    A scope's policies are matched once (user, realm, resolver, client, time,
    conditions), and each setting is picked from that list the way eduMFA's
    own match for one action picks it: a login reads a dozen settings, and a
    match for each cost more than all the rest of the plugin's part of the login.
    """

    def __init__(self, g: Any, user: Any) -> None:
        self._g = g
        self._user = user
        self._matched: dict[Scope, list[dict[str, Any]]] = {}

    def value(self, scope: Scope, action: str) -> Optional[str]:
        if self._g is None:
            return None
        policies = [policy for policy in self._policies(scope) if _sets(policy, action)]
        values = self._g.policy_object.extract_action_values(
            policies, action, unique=True, allow_white_space_in_action=True
        )
        return next(iter(values)) if values else None

    def enabled(self, scope: Scope, action: str) -> bool:
        if self._g is None:
            return False
        return any(_sets(policy, action) for policy in self._policies(scope))

    def _policies(self, scope: Scope) -> list[dict[str, Any]]:
        if scope not in self._matched:
            match = Match.user(self._g, scope=scope.value, action=None, user_object=self._owner())
            self._matched[scope] = list(match.policies(write_to_audit_log=False))
        return self._matched[scope]

    def _owner(self) -> Any:
        return self._user() if callable(self._user) else self._user


def _sets(policy: dict[str, Any], action: str) -> bool:
    """eduMFA's test of a policy against an action (``PolicyClass.list_policies``), on a list matched without one."""
    actions = policy.get("action")
    if not actions:
        return True
    found, excluded = PolicyClass._search_value(actions, action)
    return bool(found and not excluded)


def defined_anywhere(g: Any, scope: Scope, action: str) -> bool:
    """Whether any active policy sets ``action``: no user to resolve."""
    return bool(g.policy_object.list_policies(scope=scope.value, action=action, active=True))


class Secrets:
    def encrypt(self, text: str) -> str:
        return str(encryptPassword(text))

    def decrypt(self, text: str) -> str:
        return str(decryptPassword(text))


class Audit:
    """Push events in eduMFA's audit log, which admins filter by ``edupushplus*``.

    eduMFA writes one audit entry per request, and later parts of a request may
    overwrite its ``info`` and ``success``; so an event that must stand out gets
    an entry of its own.  The common accept is noted in the phone's own request
    entry instead: an audit entry costs two database commits.
    """

    def __init__(self, g: Any = None) -> None:
        self._g = g

    def record_event(self, event: str, serial: str, info: str, success: bool, detail: str = "") -> None:
        audit = getAudit(current_app.config)
        audit.log(
            {
                "action": f"{TOKEN_TYPE} {event}",
                "action_detail": detail[:50],
                "serial": serial,
                "token_type": TOKEN_TYPE,
                "success": success,
                "info": info[:400],
            }
        )
        audit.finalize_log()

    def note_in_request(self, event: str, info: str) -> None:
        self._g.audit_object.log({"action_detail": f"{TOKEN_TYPE} {event}"[:50], "info": info[:400]})


class Config:
    """eduMFA's system config (``/system/setConfig``), then its config file (edumfa.cfg)."""

    def get(self, key: str, default: object = None) -> object:
        value = get_from_config(key)
        return current_app.config.get(key, default) if value is None else value


class Host:
    def after_request(self, callback: Callable[[], object]) -> bool:
        if not has_request_context():
            return False
        register_request_finalizer(callback)
        return True

    def context_runner(self) -> Runner:
        app = current_app._get_current_object()  # type: ignore[attr-defined]

        def run(work: Callable[[], Any]) -> Any:
            with app.app_context():
                return work()

        return run

    def firebase_gateway(self, name: str) -> Optional[FirebaseGateway]:
        definitions = get_smsgateway(identifier=name, gwtype=catalogue.EDUMFA_FIREBASE_PROVIDER)
        if len(definitions) != 1:
            return None
        config = current_app.config
        return FirebaseGateway(
            name=name,
            service_account_file=definitions[0].option_dict.get(catalogue.FIREBASE_SERVICE_ACCOUNT_OPTION, ""),
            fcm_url=config.get(catalogue.Config.FCM_URL, catalogue.DEFAULT_FCM_URL),
            http_timeout=float(config.get(catalogue.Config.FCM_TIMEOUT, catalogue.DEFAULT_FCM_TIMEOUT)),
        )


def gateway_exists(name: str) -> bool:
    return bool(get_smsgateway(identifier=name, gwtype=catalogue.EDUMFA_FIREBASE_PROVIDER))


class Store(ChallengeTables):
    """The shared queries, plus what only eduMFA's own models and functions may do."""

    def __init__(self) -> None:
        super().__init__(lambda: db.session)

    def create_push(
        self,
        serial: str,
        transaction_id: Optional[str],
        push: PushData,
        validity_seconds: int,
        session: str,
        state: DeliveryState,
        lease: Optional[Lease] = None,
        check: AnswerCheck = STANDARD,
    ) -> SavedChallenge:
        challenge = Challenge(
            serial, transaction_id=transaction_id, challenge=push.nonce, session=session, validitytime=validity_seconds
        )
        db.session.add(challenge)
        db.session.flush()
        self.add_push(challenge.id, serial, push, state, lease, check)
        saved = SavedChallenge(challenge.id, challenge.transaction_id, aware(challenge.expiration))
        db.session.commit()
        return saved

    def create_enrollment_challenge(self, serial: str, validity_seconds: int) -> str:
        challenge = Challenge(serial, session="enrollment", validitytime=validity_seconds)
        db.session.add(challenge)
        db.session.commit()
        return str(challenge.transaction_id)

    def mark_unregistered(self, serial: str) -> None:
        token = get_one_token(serial=serial, tokentype=TOKEN_TYPE, silent_fail=True)
        if token is not None:
            token.add_tokeninfo(Info.REGISTRATION_STATE, "unregistered")
            token.add_tokeninfo(Info.UNREGISTERED_AT, datetime.utcnow().isoformat(timespec="seconds") + "Z")
            token.token.save()

    def housekeep(self) -> None:
        cleanup_challenges()
        self.forget_old_rows()


class Keys:
    """The key pool in eduMFA's database, refilled by this process's key generator."""

    def take(self, key_size: int) -> Optional[ServerKeyPair]:
        return _pool().take(key_size) if _pool_size() else None

    def refill(self, key_size: int) -> None:
        runtime.key_refills.refill(
            db.engine.url.render_as_string(hide_password=False),
            key_size,
            _pool_size(),
            _pool,
            Host().context_runner(),
        )


def _pool() -> KeyPool:
    return KeyPool(lambda: db.session, Secrets())


def _pool_size() -> int:
    return max(0, int(current_app.config.get(catalogue.Config.KEY_POOL_SIZE, catalogue.DEFAULT_KEY_POOL_SIZE)))


def edumfa_ports(g: Any = None) -> Ports:
    """The ports for one request (``g`` is eduMFA's request globals; None on background threads).

    The first request of ours in a worker (a login, a phone's poll or answer)
    also starts the worker's outbox sweeps: a restarted worker takes over
    the pushes a dead one left due.
    """
    logging_bridge.connect(current_app)
    store = Store()
    ports = Ports(
        host=Host(),
        store=store,
        audit=Audit(g),
        secrets=Secrets(),
        clock=SystemClock(),
        config=Config(),
        keys=Keys(),
    )
    if has_request_context():
        store.ensure_tables()  # before the first sweep: a new database gets our tables from this request
        sending.keep_swept(ports, ports.host.context_runner())
    return ports
