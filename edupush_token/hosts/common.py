"""What eduMFA and privacyIDEA do alike, written once: the ports over the host's library.

eduMFA 2.x is a fork of privacyIDEA 3.x: the functions an adapter calls (policy
matching, audit, config, secret encryption, request finalizers, SMS gateways,
the challenge model) have the same names and shapes in both.  Each adapter
hands its host's functions in as a :class:`HostLibrary` and keeps only what
differs.  This module imports no host.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable, Optional

from flask import current_app, has_request_context

from .. import catalogue, runtime
from ..catalogue import TOKEN_TYPE, Info, Scope
from ..crypto import ServerKeyPair
from ..delivery import DeliveryState
from ..delivery.firebase import FirebaseGateway
from ..delivery.outbox import Lease
from ..lifecycle import SystemClock
from ..matching import STANDARD, AnswerCheck
from ..ports import Ports, Runner
from ..service import sending
from ..storage.challenge_statements import aware
from ..storage.challenges import ENROLLMENT_SESSION, ChallengeTables, SavedChallenge
from ..storage.keypool import KeyPool
from ..wire.push_data import PushData
from .library import HostLibrary


class Policies:
    """The host's policies for one request's user; the user is resolved only when a policy is read.

    A scope's policies are matched once (user, realm, resolver, client, time,
    conditions), and each setting is picked from that list the way the host's
    own match for one action picks it: a login reads a dozen settings, and a
    match for each cost more than all the rest of the plugin's part of the login.
    """

    def __init__(self, library: HostLibrary, g: Any, user: Any) -> None:
        self._library = library
        self._g = g
        self._user = user
        self._matched: dict[Scope, list[dict[str, Any]]] = {}

    def value(self, scope: Scope, action: str) -> Optional[str]:
        if self._g is None:
            return None
        policies = [policy for policy in self._policies(scope) if self._sets(policy, action)]
        values = self._g.policy_object.extract_action_values(
            policies, action, unique=True, allow_white_space_in_action=True
        )
        return next(iter(values)) if values else None

    def enabled(self, scope: Scope, action: str) -> bool:
        if self._g is None:
            return False
        return any(self._sets(policy, action) for policy in self._policies(scope))

    def _policies(self, scope: Scope) -> list[dict[str, Any]]:
        if scope not in self._matched:
            owner = self._user() if callable(self._user) else self._user
            match = self._library.match.user(self._g, scope=scope.value, action=None, user_object=owner)
            self._matched[scope] = list(match.policies(write_to_audit_log=False))
        return self._matched[scope]

    def _sets(self, policy: dict[str, Any], action: str) -> bool:
        """The host's test of a policy against an action (``PolicyClass.list_policies``), on a list matched without one."""
        actions = policy.get("action")
        if not actions:
            return True
        found, excluded = self._library.policy_class._search_value(actions, action)
        return bool(found and not excluded)


def defined_anywhere(g: Any, scope: Scope, action: str) -> bool:
    """Whether any active policy sets ``action``: no user to resolve."""
    return bool(g.policy_object.list_policies(scope=scope.value, action=action, active=True))


class Secrets:
    def __init__(self, library: HostLibrary) -> None:
        self._library = library

    def encrypt(self, text: str) -> str:
        return str(self._library.encrypt(text))

    def decrypt(self, text: str) -> str:
        return str(self._library.decrypt(text))


class Audit:
    """Push events in the host's audit log, which admins filter by ``edupushplus*``.

    The host writes one audit entry per request, and later parts of a request may
    overwrite its ``info`` and ``success``; so an event that must stand out gets
    an entry of its own.  The common accept is noted in the phone's own request
    entry instead: an audit entry costs two database commits.
    """

    def __init__(self, library: HostLibrary, g: Any = None) -> None:
        self._library = library
        self._g = g

    def record_event(self, event: str, serial: str, info: str, success: bool, detail: str = "") -> None:
        audit = self._library.get_audit(current_app.config)
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
    """The host's system config (its admin API's setConfig), then its config file."""

    def __init__(self, library: HostLibrary) -> None:
        self._library = library

    def get(self, key: str, default: object = None) -> object:
        value = self._library.get_from_config(key)
        return current_app.config.get(key, default) if value is None else value


class Host:
    def __init__(self, library: HostLibrary) -> None:
        self._library = library

    def after_request(self, callback: Callable[[], object]) -> bool:
        if not has_request_context():
            return False
        self._library.register_finalizer(callback)
        return True

    def context_runner(self) -> Runner:
        app = current_app._get_current_object()  # type: ignore[attr-defined]

        def run(work: Callable[[], Any]) -> Any:
            with app.app_context():
                return work()

        return run

    def firebase_gateway(self, name: str) -> Optional[FirebaseGateway]:
        definitions = self._library.get_smsgateway(identifier=name, gwtype=self._library.firebase_provider)
        if len(definitions) != 1:
            return None
        config = current_app.config
        return FirebaseGateway(
            name=name,
            service_account_file=definitions[0].option_dict.get(catalogue.FIREBASE_SERVICE_ACCOUNT_OPTION, ""),
            fcm_url=config.get(catalogue.Config.FCM_URL, catalogue.DEFAULT_FCM_URL),
            http_timeout=float(config.get(catalogue.Config.FCM_TIMEOUT, catalogue.DEFAULT_FCM_TIMEOUT)),
        )

    def gateway_exists(self, name: str) -> bool:
        return bool(self._library.get_smsgateway(identifier=name, gwtype=self._library.firebase_provider))


class Store(ChallengeTables):
    """The shared queries, plus what only the host's own models and functions may do."""

    def __init__(self, library: HostLibrary) -> None:
        super().__init__(lambda: library.db.session, library.layout)
        self._library = library

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
        db = self._library.db
        challenge = self._library.challenge_model(
            serial, transaction_id=transaction_id, challenge=push.nonce, session=session, validitytime=validity_seconds
        )
        db.session.add(challenge)
        db.session.flush()
        self.add_push(challenge.id, serial, push, state, lease, check)
        saved = SavedChallenge(challenge.id, challenge.transaction_id, aware(challenge.expiration))
        db.session.commit()
        return saved

    def create_enrollment_challenge(self, serial: str, validity_seconds: int) -> str:
        db = self._library.db
        challenge = self._library.challenge_model(serial, session=ENROLLMENT_SESSION, validitytime=validity_seconds)
        db.session.add(challenge)
        db.session.commit()
        return str(challenge.transaction_id)

    def mark_unregistered(self, serial: str) -> None:
        token = self._library.get_one_token(serial=serial, tokentype=TOKEN_TYPE, silent_fail=True)
        if token is not None:
            unregistered_at = datetime.utcnow().isoformat(timespec="seconds") + "Z"
            self._library.write_tokeninfo(
                token, {Info.REGISTRATION_STATE: "unregistered", Info.UNREGISTERED_AT: unregistered_at}
            )
            token.token.save()

    def housekeep(self) -> None:
        self._library.cleanup_challenges()
        self.forget_old_rows()


class Keys:
    """The key pool in the host's database, refilled by this process's key generator."""

    def __init__(self, library: HostLibrary) -> None:
        self._library = library

    def take(self, key_size: int) -> Optional[ServerKeyPair]:
        return self._pool().take(key_size) if _pool_size() else None

    def refill(self, key_size: int) -> None:
        runtime.key_refills.refill(
            self._library.db.engine.url.render_as_string(hide_password=False),
            key_size,
            _pool_size(),
            self._pool,
            Host(self._library).context_runner(),
        )

    def _pool(self) -> KeyPool:
        return KeyPool(lambda: self._library.db.session, Secrets(self._library))


def _pool_size() -> int:
    return max(0, int(current_app.config.get(catalogue.Config.KEY_POOL_SIZE, catalogue.DEFAULT_KEY_POOL_SIZE)))


def host_ports(library: HostLibrary, g: Any = None) -> Ports:
    """The ports for one request (``g`` is the host's request globals; None on background threads).

    The first request of ours in a worker (a login, a phone's poll or answer)
    also starts the worker's outbox sweeps: a restarted worker takes over
    the pushes a dead one left due.
    """
    store = Store(library)
    ports = Ports(
        host=Host(library),
        store=store,
        audit=Audit(library, g),
        secrets=Secrets(library),
        clock=SystemClock(),
        config=Config(library),
        keys=Keys(library),
    )
    if has_request_context():
        store.ensure_tables()  # before the first sweep: a new database gets our tables from this request
        sending.keep_swept(ports, ports.host.context_runner())
    return ports
