"""The privacyIDEA dialect's decisions: what a login asks of the phone, and what the phone's answer does.

An eduMFA-profile token never gets here: its pushes and answers stay as
PROTOCOL.md has them, byte for byte.  push_wait logins get neither number
matching nor code to phone: the relying application learns nothing before
the phone has answered, so it could show no option and take no code.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable, Optional

from .. import catalogue, matching
from ..catalogue import AppProfile, Scope
from ..matching import STANDARD, AnswerCheck, PushMode, Verdict
from ..metrics.series import Answer
from ..ports import PolicyReader, Ports
from ..storage.challenges import CONFIRM_ANSWER, PhoneSideToken, StoredChallenge
from ..wire import requests as wire_requests
from ..wire.pi_app import presence
from ..wire.pi_app.answers import DeclineReason, answer_text
from . import settings
from .answering import Reply, Settled, refuse_if_unusable, settle, verify

log = logging.getLogger(__name__)

WRONG_OPTION = "The wrong option was pressed: this login is declined."

Policies = Optional[Callable[[], PolicyReader]]  # the token owner's, read only where needed


@dataclass(frozen=True)
class Asked:
    """What a login asks of a privacyIDEA-profile phone."""

    offered: Optional[presence.Presence] = None
    code_to_phone: bool = False

    @property
    def check(self) -> AnswerCheck:
        if self.offered is not None:
            return AnswerCheck(PushMode.PRESENCE, self.offered.answer)
        return AnswerCheck(PushMode.CODE_TO_PHONE) if self.code_to_phone else STANDARD

    def message(self, policies: PolicyReader, challenge_text: str) -> str:
        """The login's message: where the relying application shows the option, or asks for the code."""
        if self.offered is not None:
            if catalogue.PRESENCE_ANSWER_TAG in challenge_text:
                return challenge_text.replace(catalogue.PRESENCE_ANSWER_TAG, self.offered.answer)
            return challenge_text + catalogue.PRESENCE_PROMPT.format(self.offered.answer)
        if self.code_to_phone and policies.value(Scope.AUTH, catalogue.CHALLENGE_TEXT_ACTION) is None:
            return catalogue.DEFAULT_CODE_TO_PHONE_TEXT
        return challenge_text


def asked(policies: PolicyReader, profile: AppProfile, waits_here: bool) -> Optional[Asked]:
    """None for an eduMFA-profile token; number matching comes before code to phone where both are set."""
    if profile is not AppProfile.PRIVACYIDEA:
        return None
    if waits_here:
        return Asked()
    pool = settings.presence_pool(policies)
    if pool is not None:
        return Asked(offered=presence.draw(*pool))
    return Asked(code_to_phone=settings.enabled(policies, catalogue.CODE_TO_PHONE))


def receive_answer(
    ports: Ports,
    token: PhoneSideToken,
    challenge: Optional[StoredChallenge],
    message: wire_requests.ChallengeAnswer,
    policies: Policies,
) -> Settled:
    """Judge an answer of the privacyIDEA app (PROTOCOL-PIAPP.md section 4) and apply it once."""
    nonce = challenge.nonce if challenge is not None else message.nonce or ""
    signed = answer_text(nonce, message.serial, message.decline, message.decline_reason, message.presence_answer)
    verify(token.phone_key, signed, message.signature)
    refuse_if_unusable(ports.audit, token.serial, token.standing.refusal(), "an answer")
    if challenge is None:
        return settle(ports, message.serial, None, message.decline, lambda: False, lambda: (True, {}))
    confirmed = challenge.answer == CONFIRM_ANSWER
    verdict = matching.judge(
        challenge.check, confirmed, message.decline, message.decline_reason, message.presence_answer
    )
    if verdict is Verdict.DONE:
        return (True, {}), Answer.REPEATED
    if verdict is Verdict.CONFIRM:
        if confirmed:  # the app re-sent its accept: the same code again
            return (True, _code_details(challenge.check.expected, policies)), Answer.REPEATED
        code = matching.new_code()
        return settle(
            ports,
            message.serial,
            challenge,
            False,
            lambda: ports.store.confirm_code(challenge, code),
            lambda: _confirmed(ports, challenge, code, policies),
        )
    declines = verdict is not Verdict.ACCEPT
    return settle(
        ports,
        message.serial,
        challenge,
        declines,
        lambda: ports.store.apply_answer(challenge, declines, counted=verdict is not Verdict.CANCEL),
        lambda: _audited(ports, challenge, verdict, message),
    )


def _confirmed(ports: Ports, challenge: StoredChallenge, code: str, policies: Policies) -> Reply:
    ports.audit.note_in_request("push confirmed", _status(challenge, Verdict.CONFIRM))
    return True, _code_details(code, policies)


def _code_details(code: str, policies: Policies) -> dict[str, str]:
    message = settings.code_to_phone_message(policies()) if policies is not None else None
    return {"display_code": code, "message": message or str(catalogue.CODE_TO_PHONE_MESSAGE.default)}


def _audited(
    ports: Ports, challenge: StoredChallenge, verdict: Verdict, message: wire_requests.ChallengeAnswer
) -> Reply:
    """The audit entry names the answer as privacyIDEA 3.14 does ("status: declined, reason: ...")."""
    serial, reason = message.serial, message.decline_reason
    info = _status(challenge, verdict, reason)
    if verdict is Verdict.ACCEPT:
        ports.audit.note_in_request("push accepted", info)
        return True, {}
    if verdict is Verdict.CANCEL:
        ports.audit.record_event("push cancelled", serial, f"{info}: the user abandoned the login", False, reason)
        return True, {}
    if verdict is Verdict.WRONG_PRESENCE:
        log.warning("Token %s: the wrong option was pressed, possibly an attack.", serial)
        ports.audit.record_event(
            "push wrong option", serial, f"{info}: declined, possible attack (push fatigue)", False, "wrong option"
        )
        return False, {"message": WRONG_OPTION}
    if reason == DeclineReason.UNKNOWN_TRIGGER.value:
        log.warning("Token %s: the user says a push was not theirs: possible attack.", serial)
        ports.audit.record_event(
            "push declined", serial, f"{info}: the user did not start this login, possible attack", False, reason
        )
        return True, {}
    ports.audit.record_event(
        "push declined", serial, f"{info}: declined on the phone, possible attack (push fatigue)", False, reason
    )
    return True, {}


def _status(challenge: StoredChallenge, verdict: Verdict, reason: str = "") -> str:
    text = f"transaction_id: {challenge.transaction_id}, status: {verdict.value}"
    return f"{text}, reason: {reason}" if reason else text
