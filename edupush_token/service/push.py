"""Plan and store the push for one login: limits, context, texts, size, then delivery.

The challenge is always stored before anything is sent, so the phone can
poll for it whatever happens to the push.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Optional, Union

from .. import catalogue, crypto, lifecycle, runtime
from ..catalogue import POLL_ONLY, AppProfile
from ..delivery import DeliveryState
from ..delivery.outbox import Lease
from ..errors import DeliveryFailed, PolicyValueError, PushTooLarge, WireError
from ..limits import Limit, Refusal, check_push
from ..matching import STANDARD
from ..metrics.recorder import recorder
from ..ports import PolicyReader, Ports
from ..wire.push_data import FCM_DATA_LIMIT, PushData
from ..wire.templates import render_template
from . import pi_app, sending, settings
from .sending import Recipient, Sending

if TYPE_CHECKING:
    from ..storage.challenges import SavedChallenge

log = logging.getLogger(__name__)

NOT_SENT = " The push notification could not be sent; open the app to find the login request."
NOT_PUSHED = " No push was sent: open the app to find the login request."


@dataclass(frozen=True)
class PushToken:
    """The token as a login needs it."""

    id: int
    recipient: Recipient
    registration_url: str
    server_key_size: int
    profile: AppProfile = AppProfile.EDUMFA


@dataclass(frozen=True)
class LoginContext:
    """What the user may need to judge the login: from where, with what, for whom."""

    client_ip: str = ""
    user_agent: str = ""
    user: str = ""
    realm: str = ""


@dataclass(frozen=True)
class Login:
    """One login's request for a push."""

    context: LoginContext
    transaction_id: Optional[str] = None
    session: str = ""
    waits_here: bool = False  # push_wait: the request waits for the answer, so its push leaves at once
    raise_on_failure: bool = False  # the host's "exception" option: a failed send is an error


@dataclass(frozen=True)
class PushOutcome:
    created: bool
    message: str
    transaction_id: Optional[str]
    presence_answer: Optional[str] = None  # number matching: the option the relying application shows
    interactive: bool = False  # code to phone: the relying application asks the user for the code


def sending_for(policies: PolicyReader, waits_here: bool) -> Sending:
    if settings.enabled(policies, catalogue.SYNCHRONOUS_DELIVERY):
        return Sending.IN_REQUEST
    return Sending.AT_ONCE if waits_here else Sending.AFTER_REQUEST


def start_push(token: PushToken, login: Login, policies: PolicyReader, ports: Ports) -> PushOutcome:
    """Store a push challenge for this login and send it, unless a limit refuses it."""
    auth = settings.auth_settings(policies)
    validity = settings.challenge_validity(policies, host_validity(ports))
    asked = pi_app.asked(policies, token.profile, login.waits_here)
    judged = _store_within_limits(token, login, auth, policies, ports, validity, asked)
    refusal = judged if isinstance(judged, Refusal) else judged.refusal
    if refusal is not None:
        log.warning("Token %s: push refused by the %s limit.", token.recipient.serial, refusal.limit.value)
        recorder.limit_refused(refusal.limit)
        ports.audit.record_event(
            "push refused",
            token.recipient.serial,
            f"{refusal.limit.value} limit: {refusal.message}",
            False,
            refusal.limit.value,
        )
    if isinstance(judged, Refusal):
        return PushOutcome(False, judged.message, login.transaction_id)
    if runtime.housekeeping_due():
        ports.store.housekeep()
    report = sending.deliver(
        ports,
        judged.recipient,
        judged.saved.id,
        sending.seconds_from_now(judged.saved.expiration),
        judged.push,
        sending_for(policies, login.waits_here),
        judged.lease,
    )
    message = asked.message(policies, auth.challenge_text) if asked is not None else auth.challenge_text
    if report.state is DeliveryState.FAILED:
        message += NOT_SENT
        if login.raise_on_failure:
            raise DeliveryFailed(f"Failed to send the push notification: {report.detail}")
    if refusal is not None:
        message += NOT_PUSHED
    if asked is None:
        return PushOutcome(True, message, judged.saved.transaction_id)
    offered = asked.offered.answer if asked.offered is not None else None
    return PushOutcome(True, message, judged.saved.transaction_id, offered, asked.code_to_phone)


@dataclass(frozen=True)
class _StoredPush:
    push: PushData
    saved: SavedChallenge
    recipient: Recipient
    refusal: Optional[Refusal]  # the cool-down's, where it still lets the phone poll
    lease: Optional[Lease]  # this process's hold on the push, written with it


def _store_within_limits(
    token: PushToken,
    login: Login,
    auth: settings.AuthSettings,
    policies: PolicyReader,
    ports: Ports,
    validity: int,
    asked: Optional[pi_app.Asked],
) -> Union[Refusal, _StoredPush]:
    """Judge the limits and store the push they allow under the owner's push lock, or the refusal.

    Concurrent logins of one user are so judged one after another, each on a
    history that holds the pushes of those before it.  The lock is released
    by the push's commit, or by the rollback of a refusal before it is audited.
    """
    limits = settings.push_limits(policies)
    with ports.store.push_lock(token.id):
        now = ports.clock.now()
        since = now - max(limits.history_needed, timedelta(seconds=validity))
        refusal = check_push(limits, ports.store.push_history(token.id, token.recipient.serial, since), now)
        gateway_name = token.recipient.gateway_name
        if refusal is not None:
            if not (refusal.limit is Limit.COOLDOWN and settings.enabled(policies, catalogue.COOLDOWN_ALLOWS_POLL)):
                return refusal
            gateway_name = POLL_ONLY
        push = _push_data(token, auth, policies, login.context, now, asked)
        lease = sending.first_lease(gateway_name, now)
        saved = ports.store.create_push(
            token.recipient.serial,
            login.transaction_id,
            push,
            validity,
            login.session,
            sending.first_state(gateway_name),
            lease,
            asked.check if asked is not None else STANDARD,
        )
    recipient = dataclasses.replace(token.recipient, gateway_name=gateway_name)
    return _StoredPush(push, saved, recipient, refusal, lease)


def host_validity(ports: Ports) -> int:
    """The host's challenge validity for this token type, as its config sets it."""
    default = ports.config.get(catalogue.Config.HOST_CHALLENGE_VALIDITY, catalogue.DEFAULT_CHALLENGE_VALIDITY)
    return int(str(ports.config.get(catalogue.Config.CHALLENGE_VALIDITY, default)))


def _push_data(
    token: PushToken,
    auth: settings.AuthSettings,
    policies: PolicyReader,
    context: LoginContext,
    now: datetime,
    asked: Optional[pi_app.Asked],
) -> PushData:
    variables = {
        "client_ip": context.client_ip,
        "user_agent": context.user_agent,
        "user": context.user,
        "realm": context.realm,
        "serial": token.recipient.serial,
        "date": f"{now:%Y-%m-%d}",
        "time": f"{now:%H:%M} UTC",
    }
    try:
        question = render_template(auth.question, variables)
        title = render_template(auth.title, variables)
    except WireError as error:
        raise PolicyValueError(f"{catalogue.MOBILE_TEXT.name} / {catalogue.MOBILE_TITLE.name}: {error}") from None
    push = PushData.unsigned(
        nonce=lifecycle.new_nonce(),
        url=settings.registration_url(policies) or token.registration_url,
        serial=token.recipient.serial,
        question=question,
        title=title,
        sslverify=auth.sslverify,
    )
    if asked is not None:
        push = push.for_pi_app(asked.offered)
    check_size(push, token.server_key_size)
    return push


def check_size(push: PushData, server_key_size: int) -> None:
    """Refuse a push Firebase would refuse, with the policies that make it too long."""
    size = crypto.signed_size(push, server_key_size)
    if size > FCM_DATA_LIMIT:
        raise PushTooLarge(
            f"The push for this login would be {size} bytes, more than Firebase's {FCM_DATA_LIMIT}: shorten "
            f"{catalogue.MOBILE_TEXT.name} or {catalogue.MOBILE_TITLE.name}."
        )
