"""A push's retries, as the service schedules them: they stop once the login no longer needs the push."""

import pytest

from edupush_token import catalogue, runtime
from edupush_token.catalogue import Info
from edupush_token.delivery import DeliveryState
from edupush_token.delivery.dispatcher import Dispatcher
from edupush_token.delivery.firebase import FirebaseGateway, Sent, Transient
from edupush_token.delivery.outbox import lease_from
from edupush_token.lifecycle import utc_now
from edupush_token.metrics import series
from edupush_token.service import sending
from edupush_token.service.push import Login, LoginContext, PushToken, start_push
from edupush_token.service.sending import Recipient
from support.metrics import Counted

from .conftest import SERIAL
from .fakes import FakePolicies

GATEWAY = "fcm"


class FirebaseDownOnce:
    def __init__(self):
        self.results = [Transient("UNAVAILABLE"), Sent("projects/p/messages/1")]
        self.calls = 0

    def send(self, gateway, push, registration_token):
        self.calls += 1
        return self.results.pop(0)


@pytest.fixture
def sender(fakes, server_key, monkeypatch):
    """Firebase fails the first attempt; the retry waits in the outbox, swept by the test."""
    fakes.clock.moment = utc_now()  # the job's deadline is wall-clock time
    fakes.host.gateways[GATEWAY] = FirebaseGateway(GATEWAY, "/sa.json")
    fakes.store.token_info[SERIAL] = {
        Info.FIREBASE_CONFIG: GATEWAY,
        Info.FIREBASE_TOKEN: "registration",
        Info.SERVER_PRIVATE_KEY: "enc:" + server_key.private_pem,
    }
    dispatcher = Dispatcher()
    scripted = FirebaseDownOnce()
    monkeypatch.setattr(runtime, "deliveries", dispatcher)
    monkeypatch.setattr(runtime, "sender", scripted)
    yield scripted
    dispatcher.wait_idle(5)
    dispatcher.shutdown()


def sweep_when_due(fakes):
    """What the outbox's poller does once the retry is due."""
    fakes.clock.advance(10)
    taken = sending.sweep(fakes.ports, fakes.host.context_runner())
    runtime.deliveries.wait_idle(5)
    return taken


def push_once(fakes, server_key):
    recipient = Recipient(SERIAL, GATEWAY, "registration", False, "enc:" + server_key.private_pem)
    token = PushToken(1, recipient, "https://mfa.example.org/ttype/edupushplus", 2048)
    policies = FakePolicies(**{catalogue.SYNCHRONOUS_DELIVERY.name: True})
    start_push(token, Login(LoginContext(user="alice")), policies, fakes.ports)
    [row] = fakes.store.rows.values()
    return row


@pytest.mark.parametrize("answer", ["accepted", "declined"])
def test_no_retry_once_the_phone_answered(fakes, server_key, sender, answer):
    row = push_once(fakes, server_key)
    setattr(row, answer, True)  # the phone polled and answered while the retry waited
    assert sweep_when_due(fakes) == 1
    assert sender.calls == 1
    assert [report.state for report in row.deliveries] == [DeliveryState.RETRYING, DeliveryState.ANSWERED]
    assert fakes.audit.events[-1] == ("push delivery", SERIAL, True)


def test_no_retry_once_the_login_used_its_challenge(fakes, server_key, sender):
    row = push_once(fakes, server_key)
    fakes.store.consume_transaction(row.transaction_id)
    assert sweep_when_due(fakes) == 1
    assert sender.calls == 1
    assert row.deliveries[-1].state is DeliveryState.ANSWERED and "used" in row.deliveries[-1].detail


def test_an_open_challenge_is_retried(fakes, server_key, sender):
    row = push_once(fakes, server_key)
    assert row.next_attempt_at > fakes.clock.now() and row.lease_owner is None  # due later, held by nobody
    assert sending.sweep(fakes.ports, fakes.host.context_runner()) == 0
    assert sweep_when_due(fakes) == 1
    assert sender.calls == 2 and row.deliveries[-1].state is DeliveryState.SENT
    assert row.next_attempt_at is None and sweep_when_due(fakes) == 0


def test_a_full_queue_leaves_the_push_to_the_outbox(fakes, server_key, sender, monkeypatch):
    monkeypatch.setattr(runtime, "deliveries", Dispatcher(capacity=0))
    recipient = Recipient(SERIAL, GATEWAY, "registration", False, "enc:" + server_key.private_pem)
    token = PushToken(1, recipient, "https://mfa.example.org/ttype/edupushplus", 2048)
    outcome = start_push(token, Login(LoginContext(user="alice"), waits_here=True), FakePolicies(), fakes.ports)
    [row] = fakes.store.rows.values()
    assert "could not be sent" not in outcome.message
    assert row.deliveries[-1].state is DeliveryState.RETRYING and "full" in row.deliveries[-1].detail
    assert row.next_attempt_at <= fakes.clock.now() and row.lease_owner is None  # any process may take it now
    assert sender.calls == 0


def test_a_new_push_is_held_by_the_process_that_sends_it(fakes, server_key, sender, monkeypatch):
    monkeypatch.setattr(runtime, "deliveries", Dispatcher(capacity=0))  # nothing is sent: the row as inserted
    monkeypatch.setattr(fakes.store, "record_delivery", lambda *args: None)
    recipient = Recipient(SERIAL, GATEWAY, "registration", False, "enc:" + server_key.private_pem)
    token = PushToken(1, recipient, "https://mfa.example.org/ttype/edupushplus", 2048)
    start_push(token, Login(LoginContext(user="alice"), waits_here=True), FakePolicies(), fakes.ports)
    [row] = fakes.store.rows.values()
    assert row.lease_owner == runtime.lease_owner() and row.lease_until > fakes.clock.now()
    assert row.next_attempt_at == row.created
    assert fakes.store.claim_overdue(lease_from("another process", fakes.clock.now()), 10) == []


def test_the_metrics_count_each_attempt_and_the_push_once(fakes, server_key, sender):
    counted = Counted()
    row = push_once(fakes, server_key)
    assert counted.delta(series.ATTEMPTS.name, gateway=GATEWAY, result="transient") == 1
    assert counted.delta(series.PUSHES.name, gateway=GATEWAY) == 0  # retrying: not over yet
    sweep_when_due(fakes)
    assert row.deliveries[-1].state is DeliveryState.SENT
    assert counted.delta(series.ATTEMPTS.name, gateway=GATEWAY, result="sent") == 1
    assert counted.delta(series.PI_DELIVERIES.name, gateway=GATEWAY) == 2
    assert counted.delta(series.PUSHES.name, gateway=GATEWAY, outcome="sent") == 1
    assert counted.delta(f"{series.DELIVERY_LATENCY.name}_count", gateway=GATEWAY) == 1


def test_an_outcome_another_process_wrote_is_not_counted_here(fakes, server_key, sender, monkeypatch):
    counted = Counted()
    push_once(fakes, server_key)
    monkeypatch.setattr(fakes.store, "record_delivery", lambda *args: False)  # our lease ran out meanwhile
    sweep_when_due(fakes)
    assert sender.calls == 2
    assert counted.delta(series.PUSHES.name, gateway=GATEWAY) == 0
