"""Answers racing for one challenge through the phone's endpoint: exactly one takes effect.

Each racer is a phone of its own (same token key) on a test client of its own,
released together by a barrier, so the requests really overlap in eduMFA.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from edupush_token.catalogue import DECLINE_LIMIT
from edupush_token.devtools.phone import EmulatedPhone, FlaskClientTransport
from support import action, audited_answers

pytestmark = [pytest.mark.both_engines, pytest.mark.both_hosts(postgresql=True)]

ROUNDS = 3
RACES = {
    "accept-vs-decline": ["accept", "decline"],
    "two-accepts": ["accept", "accept"],
    "two-declines": ["decline", "decline"],
    "many-mixed": ["accept", "decline"] * 6,
}


@pytest.fixture(autouse=True)
def declines_never_pause_pushes(admin, push_policies):
    admin.set_policy("edupushplus-declines", "authentication", action(DECLINE_LIMIT, 0))


def answer_together(app, enrolled, request, answers):
    barrier = threading.Barrier(len(answers))

    def answer(kind):
        phone = EmulatedPhone(FlaskClientTransport(app.test_client()))
        phone.tokens[enrolled.serial] = enrolled.token
        barrier.wait()
        return getattr(phone, kind)(request)

    with ThreadPoolExecutor(len(answers)) as pool:
        return list(pool.map(answer, answers))


def received_count(app, host_library, transaction_id):
    with app.app_context():
        [challenge] = host_library.challenge_model.query.filter_by(transaction_id=transaction_id).all()
        return challenge.received_count


@pytest.mark.parametrize("answers", RACES.values(), ids=RACES.keys())
def test_exactly_one_of_racing_answers_takes_effect(app, host_library, admin, client, enrolled, trigger, answers):
    for round_number in range(1, ROUNDS + 1):
        transaction_id = trigger()["transaction_id"]
        [request] = enrolled.phone.poll(enrolled.token)
        responses = answer_together(app, enrolled, request, answers)

        assert [response.status for response in responses] == [200] * len(answers)
        status = client.get(f"/validate/polltransaction?transaction_id={transaction_id}").get_json()
        winner = "accept" if status["result"]["value"] else "decline"
        assert winner in answers
        acknowledged = {kind for kind, response in zip(answers, responses) if response.json["result"]["value"]}
        assert acknowledged == {winner}, "every racer is told the outcome that took effect, and only that"
        assert received_count(app, host_library, transaction_id) == 1
        events = audited_answers(admin, serial=enrolled.serial)
        assert sum(events.values()) == round_number, f"round {round_number}: audited answers {events}"
