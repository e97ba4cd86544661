"""What the service counts: limit refusals by limit, answers by outcome, poll-only pushes, push_waits."""

import pytest

from edupush_token import catalogue
from edupush_token.catalogue import Config
from edupush_token.errors import RequestRefused
from edupush_token.limits import Limit
from edupush_token.metrics import series
from edupush_token.service import push_wait
from edupush_token.service.phone import receive_answer
from edupush_token.service.push import Login, LoginContext, PushToken, start_push
from edupush_token.service.sending import Recipient
from edupush_token.wire.requests import ChallengeAnswer
from edupush_token.wire.signed_text import answer_text
from support.metrics import Counted, from_registry, value

from .conftest import SERIAL
from .fakes import FakePolicies, Phone

ONE_OPEN = FakePolicies(**{catalogue.MAX_OPEN.name: 1, catalogue.MIN_INTERVAL.name: catalogue.MIN_INTERVAL.low})


def login(fakes, policies=ONE_OPEN):
    recipient = Recipient(SERIAL, catalogue.POLL_ONLY, "", False, fakes.store.tokens[SERIAL].encrypted_server_key)
    token = PushToken(1, recipient, "https://mfa.example.org/ttype/edupushplus", 2048)
    return start_push(token, Login(LoginContext()), policies, fakes.ports)


def answer(phone, nonce, decline=False):
    return ChallengeAnswer(SERIAL, nonce, phone.sign(answer_text(nonce, SERIAL, decline)), decline)


def test_a_poll_only_push_and_a_limit_refusal_are_counted(fakes, phone):
    counted = Counted()
    assert login(fakes).created and not login(fakes).created
    assert counted.delta(series.PUSHES.name, gateway=catalogue.POLL_ONLY, outcome="poll-only") == 1
    assert counted.delta(series.LIMIT_REFUSALS.name, limit=Limit.OPEN_REQUESTS.value) == 1
    assert counted.delta(series.LIMIT_REFUSALS.name) == 1


def test_answers_are_counted_by_what_they_did(fakes, phone):
    login(fakes)
    [row] = fakes.store.rows.values()
    counted = Counted()
    receive_answer(fakes.ports, answer(phone, row.push.nonce))
    receive_answer(fakes.ports, answer(phone, row.push.nonce))
    receive_answer(fakes.ports, answer(phone, row.push.nonce, decline=True))
    receive_answer(fakes.ports, answer(phone, "UNKNOWN"))
    with pytest.raises(RequestRefused):
        receive_answer(fakes.ports, answer(Phone(), row.push.nonce))
    for outcome in ("accepted", "repeated", "conflicting", "unknown", "refused"):
        assert counted.delta(series.ANSWERS.name, outcome=outcome) == 1, outcome
    assert counted.delta(series.ANSWERS.name) == 5


class NoWakeups:
    class dialect:
        name = "sqlite"


def test_a_wait_is_open_while_it_waits_and_a_refused_one_is_counted(fakes, phone):
    counted = Counted()
    slots = push_wait.slots({Config.PUSH_WAIT_SLOTS: "1"}, {})
    assert push_wait.try_reserve(slots) and not push_wait.try_reserve(slots)
    slots.give_back()
    assert counted.delta(series.WAIT_REFUSALS.name) == 1
    login(fakes)
    [row] = fakes.store.rows.values()
    open_while_waiting = []

    def status(serial, transaction_id):
        open_while_waiting.append(value(from_registry(), series.WAITS_OPEN.name))

    fakes.store.transaction_status = status
    push_wait.wait_for_answer(fakes.store, fakes.clock, NoWakeups, SERIAL, row.transaction_id, 0.01)
    assert open_while_waiting and set(open_while_waiting) == {1}
    assert value(from_registry(), series.WAITS_OPEN.name) == 0
    assert value(from_registry(), series.WAIT_SLOTS.name) == 1
