"""Push bombing: the limits refuse clearly, are audited, and a decline is the user's alarm button."""

from datetime import datetime, timedelta

import pytest

from edupush_token import catalogue
from edupush_token.catalogue import (
    DECLINE_COOLDOWN,
    DECLINE_LIMIT,
    DECLINE_WINDOW,
    MAX_OPEN,
    MAX_PER_HOUR,
    MIN_INTERVAL,
)
from support import PIN, action, actions

pytestmark = pytest.mark.both_hosts

# The open-requests limit and the minimum interval at their loosest, out of the way of the limit under test.
LOOSE = {MAX_OPEN: MAX_OPEN.high, MIN_INTERVAL: MIN_INTERVAL.low}


@pytest.fixture
def limits(admin, enrolled):
    """Set the limit policies for the test (replacing the permissive test default)."""

    def set_limits(action):
        admin.set_policy("edupushplus-limits", "authentication", action)

    return set_limits


def refused(body):
    return body["result"]["authentication"] == "REJECT"


def audit_infos(admin, action="edupushplus*"):
    params = {"action": action, "page_size": 100}
    return [entry["info"] for entry in admin.get("/audit/", params=params)["result"]["value"]["auditdata"]]


def test_defaults_refuse_a_second_push_while_one_is_open(admin, enrolled, validate):
    admin.delete("/policy/edupushplus-limits")
    assert validate(**{"pass": PIN})[1]["result"]["authentication"] == "CHALLENGE"
    _status, body = validate(**{"pass": PIN})
    assert refused(body)
    assert "already waiting on your phone" in body["detail"]["message"]
    assert len(enrolled.phone.poll(enrolled.token)) == 1
    assert any("open requests limit" in info for info in audit_infos(admin))


def test_answering_the_open_request_allows_the_next(admin, enrolled, validate, limits):
    limits(actions({**LOOSE, MAX_OPEN: 1}))
    validate(**{"pass": PIN})
    [request] = enrolled.phone.poll(enrolled.token)
    enrolled.phone.accept(request)
    assert validate(**{"pass": PIN})[1]["result"]["authentication"] == "CHALLENGE"


def test_minimum_interval_between_pushes(enrolled, validate, limits):
    limits(actions({**LOOSE, MIN_INTERVAL: 60}))
    validate(**{"pass": PIN})
    _status, body = validate(**{"pass": PIN})
    assert refused(body)
    assert "Please wait" in body["detail"]["message"]


def test_hourly_cap_per_user(enroll, make_phone, validate, limits, trigger):
    second_token = enroll("alice", on_phone=make_phone())
    limits(actions({**LOOSE, MAX_PER_HOUR: 3}))
    bodies = [validate(**{"pass": PIN})[1] for _ in range(3)]
    assert [body["result"]["authentication"] for body in bodies] == ["CHALLENGE", "CHALLENGE", "REJECT"]
    assert "Too many push logins" in bodies[-1]["detail"]["message"]
    assert second_token  # both of alice's tokens count towards her cap


def test_declines_pause_pushes_and_are_audited_as_possible_attacks(admin, enrolled, validate, limits):
    limits(
        actions(
            {
                **LOOSE,
                DECLINE_LIMIT: 2,
                DECLINE_WINDOW: DECLINE_WINDOW.default,
                DECLINE_COOLDOWN: DECLINE_COOLDOWN.default,
            }
        )
    )
    for _ in range(2):
        validate(**{"pass": PIN})
        [request] = enrolled.phone.poll(enrolled.token)
        enrolled.phone.decline(request)
    _status, body = validate(**{"pass": PIN})
    assert refused(body)
    assert "paused until" in body["detail"]["message"]
    assert enrolled.phone.poll(enrolled.token) == []
    infos = audit_infos(admin)
    assert sum("possible attack" in info for info in infos) == 2
    assert any("decline cool-down limit" in info for info in infos)


def test_during_the_cool_down_a_user_may_still_approve_by_polling_if_allowed(admin, app, enrolled, validate, limits):
    limits(actions({**LOOSE, DECLINE_LIMIT: 1, catalogue.COOLDOWN_ALLOWS_POLL: True}))
    validate(**{"pass": PIN})
    enrolled.phone.decline(enrolled.phone.poll(enrolled.token)[0])
    status, body = validate(**{"pass": PIN})
    assert body["result"]["authentication"] == "CHALLENGE"
    assert "No push was sent" in body["detail"]["message"]
    [request] = enrolled.phone.poll(enrolled.token)
    enrolled.phone.accept(request)
    _status, login = validate(**{"pass": "", "transaction_id": body["detail"]["transaction_id"]})
    assert login["result"]["authentication"] == "ACCEPT"


def test_push_wait_is_refused_at_once_by_a_limit(admin, enrolled, validate, limits):
    limits(action(MAX_OPEN, 1))
    validate(**{"pass": PIN})  # leaves one request open
    admin.set_policy("edupushplus-push-wait", "authentication", action(catalogue.WAIT, 20))
    started = datetime.now()
    _status, body = validate(**{"pass": PIN})
    assert refused(body)
    assert datetime.now() - started < timedelta(seconds=10)  # refused, not waited out


def test_the_message_timeout_is_a_policy_of_its_own(admin, enrolled, trigger, limits):
    limits(action(catalogue.CHALLENGE_VALIDITY, 30))
    trigger()
    [challenge] = admin.get(f"/token/challenges/{enrolled.serial}")["result"]["value"]["challenges"]
    lifetime = _parse(challenge["expiration"]) - _parse(challenge["timestamp"])
    assert timedelta(seconds=29) <= lifetime <= timedelta(seconds=31)


def test_limit_policies_are_validated(admin, enrolled, validate, limits):
    limits(action(MAX_PER_HOUR, MAX_PER_HOUR.low - 1))
    status, body = validate(**{"pass": PIN})
    assert status == 403
    assert MAX_PER_HOUR.name in body["result"]["error"]["message"]


def _parse(text):
    for pattern in ("%a, %d %b %Y %H:%M:%S GMT", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S.%f"):
        try:
            return datetime.strptime(text, pattern)
        except ValueError:
            continue
    raise ValueError(text)


def test_an_accept_is_noted_in_the_answers_own_audit_entry(admin, enrolled, trigger):
    trigger()
    enrolled.phone.accept(enrolled.phone.poll(enrolled.token)[0])
    params = {"serial": enrolled.serial, "action_detail": "edupushplus push accepted"}
    [entry] = admin.get("/audit/", params=params)["result"]["value"]["auditdata"]
    assert entry["action"] == "POST /ttype/<ttype>"  # eduMFA logs the route, not the path
    assert entry["info"] == "accepted on the phone"
