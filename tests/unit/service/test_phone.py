"""The phone's answers, polls and token updates, judged by the service."""

from dataclasses import replace
from datetime import timedelta

import pytest

from edupush_token.catalogue import AllowPolling
from edupush_token.errors import ClockSkewError, Forbidden, RequestRefused, TokenUnusable
from edupush_token.lifecycle import TokenStanding
from edupush_token.service import phone as service
from edupush_token.service.push import Login, LoginContext, PushToken, start_push
from edupush_token.service.sending import Recipient
from edupush_token.wire.requests import ChallengeAnswer, FirebaseTokenUpdate, Poll
from edupush_token.wire.signed_text import answer_text, poll_text, token_update_text

from .conftest import SERIAL
from .fakes import FakePolicies

ALLOW = lambda: AllowPolling.ALLOW  # noqa: E731


@pytest.fixture
def push(fakes, phone):
    """One open push to the enrolled token; returns its stored row."""
    recipient = Recipient(SERIAL, "poll only", "", False, fakes.store.tokens[SERIAL].encrypted_server_key)
    token = PushToken(1, recipient, "https://mfa.example.org/ttype/edupushplus", 2048)
    start_push(token, Login(LoginContext()), FakePolicies(), fakes.ports)
    return next(iter(fakes.store.rows.values()))


def answer(phone, nonce: str, decline: bool = False, signer=None) -> ChallengeAnswer:
    signature = (signer or phone).sign(answer_text(nonce, SERIAL, decline))
    return ChallengeAnswer(SERIAL, nonce, signature, decline)


def poll(phone, moment) -> Poll:
    timestamp = moment.isoformat()
    return Poll(SERIAL, timestamp, phone.sign(poll_text(SERIAL, timestamp)))


def test_an_accept_is_applied_once_and_noted_in_the_request(fakes, phone, push):
    assert service.receive_answer(fakes.ports, answer(phone, push.push.nonce)) == (True, {})
    assert push.accepted and fakes.audit.notes == ["push accepted"]
    assert service.receive_answer(fakes.ports, answer(phone, push.push.nonce)) == (True, {})  # a repeat
    assert fakes.audit.notes == ["push accepted"]


def test_a_decline_is_final_and_audited_as_a_possible_attack(fakes, phone, push):
    service.receive_answer(fakes.ports, answer(phone, push.push.nonce, decline=True))
    value, details = service.receive_answer(fakes.ports, answer(phone, push.push.nonce))
    assert push.declined and not push.accepted
    assert value is False and "answered differently" in details["message"]
    assert fakes.audit.names() == ["push declined", "push answer refused"]


def test_a_late_answer_changes_nothing(fakes, phone, push):
    fakes.clock.advance(3600)
    value, details = service.receive_answer(fakes.ports, answer(phone, push.push.nonce))
    assert value is False and "expired" in details["message"] and not push.accepted
    assert fakes.audit.names() == ["push expired"]


def test_an_unknown_nonce_is_not_an_error_but_changes_nothing(fakes, phone, push):
    value, details = service.receive_answer(fakes.ports, answer(phone, "UNKNOWN"))
    assert value is False and "unknown" in details["message"]


def test_a_foreign_signature_is_refused_like_an_unknown_token(fakes, phone, push):
    from .fakes import Phone

    with pytest.raises(RequestRefused, match="verify"):
        service.receive_answer(fakes.ports, answer(phone, push.push.nonce, signer=Phone()))
    fakes.store.tokens.clear()
    with pytest.raises(RequestRefused, match="verify"):
        service.receive_answer(fakes.ports, answer(phone, push.push.nonce))
    assert not push.accepted


def test_a_poll_signs_each_open_push_once(fakes, phone, push):
    [served] = service.serve_poll(fakes.ports, poll(phone, fakes.clock.now()), ALLOW)
    assert served["nonce"] == push.push.nonce and served["signature"]
    assert push.push.signature == served["signature"]  # kept: later polls serve it as stored
    assert service.serve_poll(fakes.ports, poll(phone, fakes.clock.now()), ALLOW) == [served]


def test_a_poll_with_a_wrong_clock_is_told_so(fakes, phone, push):
    with pytest.raises(ClockSkewError):
        service.serve_poll(fakes.ports, poll(phone, fakes.clock.now() + timedelta(minutes=5)), ALLOW)


@pytest.mark.parametrize(
    "allowed, per_token, refused",
    [
        (AllowPolling.DENY, "True", True),
        (AllowPolling.TOKEN, "False", True),
        (AllowPolling.TOKEN, "True", False),
    ],
)
def test_polling_policies(fakes, phone, push, allowed, per_token, refused):
    fakes.store.tokens[SERIAL] = replace(fakes.store.tokens[SERIAL], polling_allowed=per_token)
    request = poll(phone, fakes.clock.now())
    if refused:
        with pytest.raises(Forbidden):
            service.serve_poll(fakes.ports, request, lambda: allowed)
    else:
        assert len(service.serve_poll(fakes.ports, request, lambda: allowed)) == 1


def test_a_token_update_must_be_recent_and_signed_by_the_phone(fakes, phone):
    timestamp = fakes.clock.now().isoformat()
    signature = phone.sign(token_update_text("new-token", SERIAL, timestamp))
    service.check_token_update(fakes.ports, FirebaseTokenUpdate(SERIAL, "new-token", timestamp, signature))
    with pytest.raises(RequestRefused):
        service.check_token_update(fakes.ports, FirebaseTokenUpdate(SERIAL, "other-token", timestamp, signature))
    fakes.clock.advance(600)
    with pytest.raises(ClockSkewError):
        service.check_token_update(fakes.ports, FirebaseTokenUpdate(SERIAL, "new-token", timestamp, signature))


def token_update(phone, moment, new_token: str = "new-token") -> FirebaseTokenUpdate:
    timestamp = moment.isoformat()
    return FirebaseTokenUpdate(
        SERIAL, new_token, timestamp, phone.sign(token_update_text(new_token, SERIAL, timestamp))
    )


def test_an_older_token_update_cannot_undo_a_newer_one(fakes, phone):
    now = fakes.clock.now()
    service.check_token_update(fakes.ports, token_update(phone, now, "newer"))
    fakes.store.tokens[SERIAL] = replace(fakes.store.tokens[SERIAL], last_token_update=fakes.store.token_updates[1])
    for moment in (now - timedelta(seconds=1), now):
        with pytest.raises(RequestRefused, match="not newer"):
            service.check_token_update(fakes.ports, token_update(phone, moment, "older"))
    assert fakes.audit.names() == ["token update refused", "token update refused"]
    service.check_token_update(fakes.ports, token_update(phone, now + timedelta(seconds=1), "newest"))


def test_of_two_concurrent_token_updates_the_store_lets_only_a_newer_one_through(fakes, phone):
    """Both read the same last update; the store's claim decides, as the database's conditional update does."""
    now = fakes.clock.now()
    service.check_token_update(fakes.ports, token_update(phone, now))
    with pytest.raises(RequestRefused, match="not newer"):
        service.check_token_update(fakes.ports, token_update(phone, now - timedelta(seconds=1)))


REQUESTS = {
    "answer": lambda fakes, phone, push: service.receive_answer(fakes.ports, answer(phone, push.push.nonce)),
    "poll": lambda fakes, phone, push: service.serve_poll(fakes.ports, poll(phone, fakes.clock.now()), ALLOW),
    "token update": lambda fakes, phone, push: service.check_token_update(
        fakes.ports, token_update(phone, fakes.clock.now())
    ),
}


@pytest.mark.parametrize("request_kind", sorted(REQUESTS))
@pytest.mark.parametrize(
    "standing, reason",
    [
        (TokenStanding(active=False), "disabled"),
        (TokenStanding(active=False, revoked=True, locked=True), "revoked"),
        (TokenStanding(locked=True), "locked"),
    ],
)
def test_the_phone_of_an_unusable_token_is_told_why_and_it_is_audited(
    fakes, phone, push, request_kind, standing, reason
):
    fakes.store.tokens[SERIAL] = replace(fakes.store.tokens[SERIAL], standing=standing)
    with pytest.raises(TokenUnusable, match=reason):
        REQUESTS[request_kind](fakes, phone, push)
    assert fakes.audit.events == [("phone request refused", SERIAL, False)]
    assert not push.accepted and fakes.store.token_updates == {}


@pytest.mark.parametrize("request_kind", sorted(REQUESTS))
def test_anyone_but_the_phone_gets_the_generic_refusal_for_an_unusable_token(fakes, phone, push, request_kind):
    from .fakes import Phone

    fakes.store.tokens[SERIAL] = replace(fakes.store.tokens[SERIAL], standing=TokenStanding(active=False))
    with pytest.raises(RequestRefused, match="verify"):
        REQUESTS[request_kind](fakes, Phone(), push)
    assert fakes.audit.events == []
