"""Push bombing: the limits refuse clearly, are audited, and a decline is the user's alarm button."""

from datetime import datetime, timedelta

import pytest
from support import PIN


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
    limits("edupushplus_max_open_requests=1, edupushplus_min_interval=0")
    validate(**{"pass": PIN})
    [request] = enrolled.phone.poll(enrolled.token)
    enrolled.phone.accept(request)
    assert validate(**{"pass": PIN})[1]["result"]["authentication"] == "CHALLENGE"


def test_minimum_interval_between_pushes(enrolled, validate, limits):
    limits("edupushplus_max_open_requests=10, edupushplus_min_interval=60")
    validate(**{"pass": PIN})
    _status, body = validate(**{"pass": PIN})
    assert refused(body)
    assert "Please wait" in body["detail"]["message"]


def test_hourly_cap_per_user(enroll, make_phone, validate, limits, trigger):
    second_token = enroll("alice", on_phone=make_phone())
    limits("edupushplus_max_open_requests=10, edupushplus_min_interval=0, edupushplus_max_per_hour=3")
    bodies = [validate(**{"pass": PIN})[1] for _ in range(3)]
    assert [body["result"]["authentication"] for body in bodies] == ["CHALLENGE", "CHALLENGE", "REJECT"]
    assert "Too many push logins" in bodies[-1]["detail"]["message"]
    assert second_token  # both of alice's tokens count towards her cap


def test_declines_pause_pushes_and_are_audited_as_possible_attacks(admin, enrolled, validate, limits):
    limits("edupushplus_max_open_requests=10, edupushplus_min_interval=0, edupushplus_decline_limit=2, "
           "edupushplus_decline_window=600, edupushplus_decline_cooldown=900")
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
    limits("edupushplus_max_open_requests=10, edupushplus_min_interval=0, edupushplus_decline_limit=1, "
           "edupushplus_cooldown_allows_poll")
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
    limits("edupushplus_max_open_requests=1")
    validate(**{"pass": PIN})  # leaves one request open
    admin.set_policy("edupushplus-push-wait", "authentication", "edupushplus_wait=20")
    started = datetime.now()
    _status, body = validate(**{"pass": PIN})
    assert refused(body)
    assert datetime.now() - started < timedelta(seconds=10)  # refused, not waited out


def test_the_message_timeout_is_a_policy_of_its_own(admin, enrolled, trigger, limits):
    limits("edupushplus_challenge_validity=30")
    trigger()
    [challenge] = admin.get(f"/token/challenges/{enrolled.serial}")["result"]["value"]["challenges"]
    lifetime = _parse(challenge["expiration"]) - _parse(challenge["timestamp"])
    assert timedelta(seconds=29) <= lifetime <= timedelta(seconds=31)


def test_limit_policies_are_validated(admin, enrolled, validate, limits):
    limits("edupushplus_max_per_hour=0")
    status, body = validate(**{"pass": PIN})
    assert status == 403
    assert "edupushplus_max_per_hour" in body["result"]["error"]["message"]


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
