"""Planning and storing a push: limits, texts, size and when it leaves."""

from datetime import timedelta

import pytest

from edupush_token import catalogue
from edupush_token.delivery import DeliveryState
from edupush_token.errors import DeliveryFailed, PolicyValueError, PushTooLarge
from edupush_token.service.push import NOT_PUSHED, NOT_SENT, Login, LoginContext, PushToken, start_push
from edupush_token.service.sending import Recipient

from .conftest import SERIAL
from .fakes import FakePolicies

GATEWAY = "fcm"


def token(gateway: str = catalogue.POLL_ONLY, **changes) -> PushToken:
    recipient = Recipient(
        serial=SERIAL,
        gateway_name=gateway,
        registration_token="registration",
        unregistered=False,
        encrypted_server_key="enc:key",
    )
    return PushToken(
        id=1,
        recipient=recipient,
        registration_url="https://mfa.example.org/ttype/edupushplus",
        server_key_size=2048,
        **changes,
    )


def login(**changes) -> Login:
    return Login(context=LoginContext(client_ip="192.0.2.1", user_agent="curl", user="alice", realm="demo"), **changes)


def test_a_poll_only_push_is_stored_with_the_templates_filled(fakes):
    policies = FakePolicies(**{catalogue.MOBILE_TEXT.name: "Login of {user} from {client_ip}?"})
    outcome = start_push(token(), login(), policies, fakes.ports)
    assert outcome.created and outcome.message == catalogue.DEFAULT_CHALLENGE_TEXT
    [row] = fakes.store.rows.values()
    assert row.push.question == "Login of alice from 192.0.2.1?"
    assert row.state is DeliveryState.POLL_ONLY and row.deliveries == []
    assert row.expiration - row.created == timedelta(seconds=catalogue.DEFAULT_CHALLENGE_VALIDITY)


def test_the_hosts_challenge_validity_applies_unless_a_policy_sets_one(fakes):
    fakes.config[catalogue.Config.HOST_CHALLENGE_VALIDITY] = "300"
    start_push(token(), login(), FakePolicies(), fakes.ports)
    fakes.clock.advance(10)
    start_push(
        token(),
        login(),
        FakePolicies(**{catalogue.CHALLENGE_VALIDITY.name: 30, catalogue.MAX_OPEN.name: 2}),
        fakes.ports,
    )
    first, second = fakes.store.rows.values()
    assert first.expiration - first.created == timedelta(seconds=300)
    assert second.expiration - second.created == timedelta(seconds=30)


def test_an_open_request_refuses_the_next_push_and_is_audited(fakes):
    start_push(token(), login(), FakePolicies(), fakes.ports)
    fakes.clock.advance(60)
    refused = start_push(token(), login(transaction_id="given"), FakePolicies(), fakes.ports)
    assert not refused.created and "already waiting" in refused.message
    assert refused.transaction_id == "given"
    assert len(fakes.store.rows) == 1
    assert fakes.audit.names() == ["push refused"]


def test_the_limits_are_judged_and_the_push_stored_under_one_lock(fakes):
    start_push(token(), login(), FakePolicies(), fakes.ports)
    assert fakes.store.calls == ["lock", "push_history", "create_push", "unlock"]


def test_a_refusal_is_audited_once_the_lock_is_released(fakes, monkeypatch):
    start_push(token(), login(), FakePolicies(), fakes.ports)
    fakes.store.calls.clear()
    locked_when_audited = []
    record_event = fakes.audit.record_event
    monkeypatch.setattr(
        fakes.audit,
        "record_event",
        lambda *event: locked_when_audited.append(set(fakes.store.locked)) or record_event(*event),
    )
    assert not start_push(token(), login(), FakePolicies(), fakes.ports).created
    assert fakes.store.calls == ["lock", "push_history", "unlock"]
    assert locked_when_audited == [set()]


def test_a_decline_cooldown_may_still_create_a_poll_only_request(fakes):
    policies = FakePolicies(**{catalogue.DECLINE_LIMIT.name: 1, catalogue.COOLDOWN_ALLOWS_POLL.name: True})
    start_push(token(GATEWAY), login(), policies, fakes.ports)
    [first] = fakes.store.rows.values()
    first.declined, first.answered = True, fakes.clock.now()
    fakes.clock.advance(60)
    outcome = start_push(token(GATEWAY), login(), policies, fakes.ports)
    assert outcome.created and outcome.message.endswith(NOT_PUSHED)
    assert list(fakes.store.rows.values())[-1].state is DeliveryState.POLL_ONLY


def test_a_bad_template_names_the_policies(fakes):
    policies = FakePolicies(**{catalogue.MOBILE_TITLE.name: "{unknown}"})
    with pytest.raises(PolicyValueError, match=catalogue.MOBILE_TITLE.name):
        start_push(token(), login(), policies, fakes.ports)
    assert fakes.store.rows == {}
    assert fakes.store.calls[-1] == "unlock"


def test_a_push_firebase_would_refuse_is_refused_before_it_is_stored(fakes):
    policies = FakePolicies(**{catalogue.MOBILE_TEXT.name: "x" * 4000})
    with pytest.raises(PushTooLarge, match="4096"):
        start_push(token(), login(), policies, fakes.ports)
    assert fakes.store.rows == {}


def test_a_push_leaves_only_when_the_request_has_ended(fakes):
    outcome = start_push(token(GATEWAY), login(), FakePolicies(), fakes.ports)
    [row] = fakes.store.rows.values()
    assert outcome.created and row.state is DeliveryState.QUEUED and row.deliveries == []
    assert len(fakes.host.finalizers) == 1


def test_synchronous_delivery_reports_a_failure_in_the_response(fakes):
    policies = FakePolicies(**{catalogue.SYNCHRONOUS_DELIVERY.name: True})
    outcome = start_push(token("no-such-gateway"), login(), policies, fakes.ports)
    assert outcome.message.endswith(NOT_SENT)
    [row] = fakes.store.rows.values()
    assert [report.state for report in row.deliveries] == [DeliveryState.FAILED]
    assert fakes.audit.names() == ["push delivery"]
    with pytest.raises(DeliveryFailed, match="no Firebase gateway"):
        start_push(
            token("no-such-gateway"),
            login(raise_on_failure=True),
            policies.set(catalogue.MAX_OPEN.name, 5).set(catalogue.MIN_INTERVAL.name, 0),
            fakes.ports,
        )


def test_a_phone_firebase_gave_up_on_gets_no_push(fakes):
    unregistered = token(GATEWAY)
    unregistered = PushToken(
        unregistered.id,
        Recipient(**{**unregistered.recipient.__dict__, "unregistered": True}),
        unregistered.registration_url,
        unregistered.server_key_size,
    )
    start_push(unregistered, login(), FakePolicies(), fakes.ports)
    [row] = fakes.store.rows.values()
    assert [report.state for report in row.deliveries] == [DeliveryState.SKIPPED]
    assert fakes.host.finalizers == []


def test_housekeeping_runs_at_most_once_a_minute(fakes):
    policies = FakePolicies(**{catalogue.MAX_OPEN.name: 5, catalogue.MIN_INTERVAL.name: 0})
    for _login in range(3):
        start_push(token(), login(), policies, fakes.ports)
    assert fakes.store.housekept == 1
