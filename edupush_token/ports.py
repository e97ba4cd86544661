"""What the service needs from a host, as ``typing.Protocol`` interfaces.

Each host adapter fills these with its own calls (eduMFA's in
:mod:`edupush_token.hosts.edumfa`); the unit tests fill them with in-memory
fakes (``tests/unit/service/fakes.py``).  Datetimes crossing a port are aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, ContextManager, Optional, Protocol, Sequence

from .catalogue import Scope
from .crypto import ServerKeyPair
from .delivery import DeliveryReport, DeliveryState
from .delivery.outbox import DuePush, Lease
from .lifecycle import ChallengeStatus, TokenStanding
from .limits import PushHistory
from .matching import STANDARD, AnswerCheck
from .wire.push_data import PushData

if TYPE_CHECKING:  # firebase-admin only where pushes are sent: the doctor must run without it
    from .delivery.firebase import FirebaseGateway
    from .storage.challenges import PhoneSideToken, SavedChallenge, StoredChallenge

Runner = Callable[[Callable[[], Any]], Any]  # runs a function in the host's context


class PolicyReader(Protocol):
    """The host's policies as they apply to one request (its user, realm, client)."""

    def value(self, scope: Scope, action: str) -> Optional[str]:
        """The one value the matching policies give ``action``, or None where none sets it."""

    def enabled(self, scope: Scope, action: str) -> bool:
        """Whether a matching policy sets the boolean ``action``."""


class SecretBox(Protocol):
    """The host's encryption of token secrets."""

    def encrypt(self, text: str) -> str: ...

    def decrypt(self, text: str) -> str: ...


class Audit(Protocol):
    def record_event(self, event: str, serial: str, info: str, success: bool, detail: str = "") -> None:
        """An audit entry of its own, action ``edupushplus <event>``."""

    def note_in_request(self, event: str, info: str) -> None:
        """Describe the event in the current request's own audit entry."""


class HostConfig(Protocol):
    def get(self, key: str, default: object = None) -> object: ...


class Clock(Protocol):
    def now(self) -> datetime: ...


class Host(Protocol):
    """The host's process-level hooks: after-request callbacks, its context on our threads, its gateways."""

    def after_request(self, callback: Callable[[], object]) -> bool:
        """Run ``callback`` once the current request has ended; False outside a request."""

    def context_runner(self) -> Runner:
        """A runner of functions in the current application's context, usable from any thread."""

    def firebase_gateway(self, name: str) -> Optional[FirebaseGateway]:
        """The host's Firebase gateway definition called ``name``; call in the host's context."""


class Store(Protocol):
    """Challenges, push records and tokens as the service reads and writes them."""

    def push_lock(self, token_id: int) -> ContextManager[None]:
        """Keep other logins of the token's owner from reading the push history or storing a push.

        Taken before :meth:`push_history`; released by :meth:`create_push`'s commit, or on
        leaving by rolling the transaction back, so a refused login holds no lock while audited.
        """

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
        """The host's challenge row and our push record, committed together; ``lease``: held by this process.

        ``check``: what the answer is checked against (number matching, code to phone), kept with the push.
        """

    def push_history(self, token_id: int, serial: str, since: datetime) -> PushHistory: ...

    def record_delivery(
        self, challenge_id: int, nonce: str, report: DeliveryReport, push: PushData, holder: Optional[str] = None
    ) -> bool:
        """Record an outcome; with ``holder``, only while no other process holds the push; False if not recorded."""

    def claim_overdue(self, lease: Lease, limit: int) -> list[DuePush]:
        """Take over pushes that are due and held by nobody, or by a lease that ran out."""

    def release_leases(self, owner: str) -> int:
        """Let go of the pushes ``owner`` holds, for other processes to take at once."""

    def tokens_info(self, serials: Sequence[str], keys: Sequence[str]) -> dict[str, dict[str, str]]:
        """Some raw tokeninfo of tokens of ours, by serial."""

    def mark_unregistered(self, serial: str) -> None:
        """Firebase says the phone's registration is gone: pushes wait for its next token update."""

    def housekeep(self) -> None:
        """Remove expired challenges and old push records."""

    def phone_side(
        self,
        serial: str,
        nonce: Optional[str] = None,
    ) -> tuple[Optional[PhoneSideToken], Optional[StoredChallenge]]: ...

    def apply_answer(self, stored: StoredChallenge, decline: bool, counted: bool = True) -> bool:
        """Accept or decline an open challenge; True if this call won. A decline not ``counted`` is a cancel."""

    def confirm_code(self, stored: StoredChallenge, code: str) -> bool:
        """Code to phone: record the phone's confirmation and its code if the push is still open; True if won."""

    def transaction_challenge(self, serial: str, transaction_id: str) -> Optional[StoredChallenge]:
        """The token's challenge in a transaction, with what its answer is checked against."""

    def open_pushes(self, serial: str) -> list[PushData]: ...

    def keep_signature(self, push: PushData) -> None: ...

    def transaction_status(self, serial: str, transaction_id: str) -> Optional[ChallengeStatus]: ...

    def challenge_status(self, challenge_id: int, nonce: str) -> Optional[ChallengeStatus]:
        """A push challenge's state, read fresh; None once the challenge is gone."""

    def consume_transaction(self, transaction_id: str) -> None: ...

    def claim_token_update(self, token_id: int, stamp: str) -> bool:
        """Record a Firebase token update's time if it is newer than the last; False leaves all unchanged."""

    def claim_enrollment(self, token_id: int) -> bool: ...

    def mark_enrollment_answered(self, serial: str) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None:
        """End the transaction without its writes, so a refused request holds no lock."""


class ServerKeys(Protocol):
    """Server key pairs made ahead of time."""

    def take(self, key_size: int) -> Optional[ServerKeyPair]: ...

    def refill(self, key_size: int) -> None: ...


class EnrollingToken(Protocol):
    """A token in enrollment as the host holds it."""

    @property
    def id(self) -> int: ...

    def waiting_for_phone(self) -> bool: ...

    @property
    def standing(self) -> TokenStanding: ...

    def info(self, key: str) -> str:
        """A tokeninfo value, decrypted if the host stores it encrypted; "" where unset."""

    def complete(self, phone_key: str, firebase_token: str, server_key: ServerKeyPair) -> None:
        """Store the keys and activate the token, in the current transaction."""

    def set_info(self, key: str, value: str) -> None:
        """Store a tokeninfo value, in the current transaction."""


@dataclass(frozen=True)
class Ports:
    """Everything a request's service call may use, built once per request by the adapter."""

    host: Host
    store: Store
    audit: Audit
    secrets: SecretBox
    clock: Clock
    config: HostConfig
    keys: ServerKeys
