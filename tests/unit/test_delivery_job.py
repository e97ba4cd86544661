"""The attempt loop, with a scripted sender standing in for Firebase."""

import random
import time

import pytest

from edupush_token.delivery import DeliveryReport, DeliveryState
from edupush_token.delivery.firebase import FirebaseGateway, Permanent, Sent, Transient
from edupush_token.delivery.job import DeliveryJob, attempt, never_settled
from edupush_token.delivery.retry import Backoff
from edupush_token.metrics import series
from edupush_token.wire.push_data import PushData
from support.metrics import Counted

PUSH = PushData.unsigned(nonce="N", url="https://h/t", serial="S", question="Q", title="T", sslverify=True)
FAST = Backoff(first_delay=0.01, max_delay=0.02)


class ScriptedSender:
    def __init__(self, *results):
        self.results = list(results)
        self.calls = 0
        self.pushes = []

    def send(self, gateway, push, registration_token):
        self.calls += 1
        self.pushes.append(push)
        return self.results.pop(0)


def sign(push):
    return push.with_signature("SIGNED")


def run(sender, seconds_left=60.0, settled=never_settled, **job_fields):
    """Attempt after attempt, each when the one before said, as the outbox would; the reports recorded."""
    reports = []
    job = DeliveryJob(
        PUSH,
        "reg",
        FirebaseGateway("gw", "/sa.json"),
        time.time() + seconds_left,
        lambda report, push: reports.append(report),
        sign,
        settled=settled,
        **job_fields,
    )
    rng = random.Random(1)
    while (report := attempt(job, sender, FAST, rng)).retry_in is not None:
        time.sleep(report.retry_in)
    return reports


def test_sent_first_time():
    reports = run(ScriptedSender(Sent("projects/p/messages/1")))
    assert [(r.state, r.message_id, r.attempts) for r in reports] == [(DeliveryState.SENT, "projects/p/messages/1", 1)]


def test_transient_failures_are_retried():
    sender = ScriptedSender(Transient("UNAVAILABLE"), Transient("QUOTA"), Sent("m"))
    reports = run(sender)
    assert [r.state for r in reports] == [DeliveryState.RETRYING, DeliveryState.RETRYING, DeliveryState.SENT]
    assert reports[-1].attempts == 3


def test_retries_go_on_until_the_challenge_ends():
    sender = ScriptedSender(*[Transient("UNAVAILABLE")] * 100)
    reports = run(sender, seconds_left=0.5)
    assert reports[-1].state is DeliveryState.FAILED
    assert reports[-1].attempts == sender.calls > 6
    assert "UNAVAILABLE" in reports[-1].detail
    assert all(report.retry_in for report in reports[:-1])


def test_no_attempt_that_could_outlast_the_lease():
    reports = run(ScriptedSender(Sent("m")), lease_ends=time.time() + 1.0)  # an attempt may take 5 s
    assert reports == []


def test_permanent_failures_are_not_retried():
    sender = ScriptedSender(Permanent("UNREGISTERED", unregistered=True))
    reports = run(sender)
    assert sender.calls == 1
    assert reports[-1].state is DeliveryState.FAILED and reports[-1].unregistered


def test_no_retry_past_the_challenge():
    sender = ScriptedSender(Transient("UNAVAILABLE", retry_after=5.0))
    reports = run(sender, seconds_left=2.0)
    assert sender.calls == 1
    assert reports[-1].state is DeliveryState.FAILED


def test_no_push_for_an_expired_challenge():
    sender = ScriptedSender(Sent("m"))
    reports = run(sender, seconds_left=-1)
    assert sender.calls == 0
    assert reports[-1].state is DeliveryState.EXPIRED


def test_the_push_is_signed_once_before_it_leaves():
    signed = []
    sender = ScriptedSender(Transient("UNAVAILABLE"), Sent("m"))
    job = DeliveryJob(
        PUSH,
        "reg",
        FirebaseGateway("gw", "/sa.json"),
        time.time() + 60,
        lambda report, push: None,
        lambda push: signed.append(push) or sign(push),
    )
    while attempt(job, sender, FAST, random.Random(1)).retry_in is not None:
        pass
    assert len(signed) == 1
    assert [push.signature for push in sender.pushes] == ["SIGNED", "SIGNED"]


def test_an_expired_push_is_not_signed():
    job = DeliveryJob(
        PUSH,
        "reg",
        FirebaseGateway("gw", "/sa.json"),
        time.time() - 1,
        lambda report, push: None,
        lambda push: pytest.fail("signed a push that may not leave"),
    )
    attempt(job, ScriptedSender(), FAST, random.Random(1))


class LoginOver:
    """The store's answer to "does the login still need its push?": no, from the ``after``-th question on."""

    def __init__(self, after=1):
        self.after = after
        self.asked = []

    def __call__(self, attempts):
        self.asked.append(attempts)
        if len(self.asked) < self.after:
            return None
        return DeliveryReport(DeliveryState.ANSWERED, "approved", attempts=attempts)


def test_retries_stop_once_the_login_is_over():
    sender = ScriptedSender(Transient("UNAVAILABLE"), Transient("UNAVAILABLE"), Sent("m"))
    settled = LoginOver(after=2)
    reports = run(sender, settled=settled)
    assert sender.calls == 2 and settled.asked == [1, 2]
    assert [r.state for r in reports] == [DeliveryState.RETRYING, DeliveryState.RETRYING, DeliveryState.ANSWERED]
    assert reports[-1].attempts == 2


def test_the_first_attempt_does_not_ask_the_store():
    settled = LoginOver()
    reports = run(ScriptedSender(Sent("m")), settled=settled)
    assert settled.asked == [] and reports[-1].state is DeliveryState.SENT


def test_a_login_over_before_giving_up_is_reported_as_such():
    sender = ScriptedSender(Transient("UNAVAILABLE", retry_after=5.0))
    reports = run(sender, seconds_left=2.0, settled=LoginOver())
    assert sender.calls == 1 and reports[-1].state is DeliveryState.ANSWERED


def test_a_push_taken_over_from_the_outbox_asks_the_store_first():
    settled = LoginOver()
    sender = ScriptedSender(Sent("m"))
    reports = run(sender, settled=settled, resumed=True)
    assert sender.calls == 0 and settled.asked == [0] and reports[-1].state is DeliveryState.ANSWERED


def test_a_push_taken_over_from_the_outbox_counts_on_from_its_attempts():
    reports = run(ScriptedSender(Sent("m")), resumed=True, attempts=4)
    assert [(r.state, r.attempts) for r in reports] == [(DeliveryState.SENT, 5)]


def test_each_attempt_is_counted_as_privacyidea_counts_it():
    """ok: Firebase said 200; failed: it answered otherwise; error: it did not answer."""
    counted = Counted()
    sender = ScriptedSender(Transient("HTTP 503", answered=True), Transient("refused", answered=False), Sent("m"))
    run(sender)
    run(ScriptedSender(Permanent("HTTP 400 InvalidArgumentError")))
    for result, times in (("ok", 1), ("failed", 2), ("error", 1)):
        assert counted.delta(series.PI_DELIVERIES.name, gateway="gw", result=result) == times, result
    assert counted.delta(series.ATTEMPTS.name, gateway="gw", result="permanent") == 1
    assert counted.delta(f"{series.PI_DURATION.name}_count", gateway="gw") == 4
