"""A token's life in a real host (eduMFA or privacyIDEA): disabled, revoked and re-enrolled tokens, late accepts, Firebase token updates."""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import update

from edupush_token import catalogue
from edupush_token.catalogue import Info
from edupush_token.devtools.phone import PhoneError
from edupush_token.lifecycle import update_stamp
from edupush_token.storage.schema import challenge
from support import PIN, action, host_library, host_store

pytestmark = [pytest.mark.both_engines, pytest.mark.both_hosts]

REFUSED = "edupushplus phone request refused"
SWITCHED_OFF = {"disabled": "/token/disable", "revoked": "/token/revoke"}


def switch_off(admin, serial, state):
    admin.post(SWITCHED_OFF[state], {"serial": serial})


def refusals(admin, serial):
    entries = admin.get("/audit/", params={"action": REFUSED, "serial": serial})["result"]["value"]["auditdata"]
    return [entry["info"] for entry in entries]


def polltransaction(client, transaction_id):
    return client.get(f"/validate/polltransaction?transaction_id={transaction_id}").get_json()["result"]["value"]


@pytest.mark.parametrize("state", sorted(SWITCHED_OFF))
def test_the_phone_of_a_switched_off_token_is_refused_and_told_why(admin, enrolled, trigger, state):
    trigger()
    [request] = enrolled.phone.poll(enrolled.token)
    switch_off(admin, enrolled.serial, state)
    answer = enrolled.phone.accept(request)
    assert answer.status == 403 and state in answer.json["result"]["error"]["message"]
    with pytest.raises(PhoneError) as poll:
        enrolled.phone.poll(enrolled.token)
    assert poll.value.status == 403
    update = enrolled.phone.update_firebase_token(enrolled.token, "new-registration")
    assert update.status == 403
    assert sorted(refusals(admin, enrolled.serial)) == sorted(
        f"{request} for a {state} token" for request in ("an answer", "a poll", "a Firebase token update")
    )


@pytest.mark.parametrize("state", sorted(SWITCHED_OFF))
def test_polltransaction_forgets_an_accept_once_the_token_is_switched_off(
    admin, enrolled, trigger, validate, client, state
):
    transaction_id = trigger()["transaction_id"]
    [request] = enrolled.phone.poll(enrolled.token)
    enrolled.phone.accept(request)
    assert polltransaction(client, transaction_id) is True
    switch_off(admin, enrolled.serial, state)
    assert polltransaction(client, transaction_id) is False
    assert validate(**{"pass": "", "transaction_id": transaction_id})[1]["result"].get("authentication") != "ACCEPT"


def test_a_revoked_token_does_not_finish_enrollment(admin, start_enrollment, phone):
    detail = start_enrollment()
    pending = phone.scan(detail["pushurl"]["value"])
    switch_off(admin, detail["serial"], "revoked")
    with pytest.raises(PhoneError) as refused:
        phone.enroll(pending)
    assert refused.value.status == 403 and "revoked" in refused.value.message
    assert refusals(admin, detail["serial"]) == ["enrollment for a revoked token"]


def test_re_enrolling_voids_the_old_phones_challenges_and_approvals(
    enrolled, start_enrollment, make_phone, trigger, validate, client
):
    accepted = trigger()["transaction_id"]
    [request] = enrolled.phone.poll(enrolled.token)
    enrolled.phone.accept(request)
    trigger()
    [pending] = enrolled.phone.poll(enrolled.token)
    new_phone = make_phone()
    detail = start_enrollment(serial=enrolled.serial)
    assert polltransaction(client, accepted) is False
    assert validate(**{"pass": "", "transaction_id": accepted})[1]["result"]["authentication"] != "ACCEPT"
    assert enrolled.phone.accept(pending).status == 400  # the token waits for its new phone
    new_token = new_phone.enroll(new_phone.scan(detail["pushurl"]["value"]))
    assert new_phone.poll(new_token) == []
    assert enrolled.phone.accept(pending).status == 400  # signed with a key the token no longer has
    with pytest.raises(PhoneError):
        enrolled.phone.poll(enrolled.token)


def _expire(app, transaction_id, seconds_ago):
    with app.app_context():
        store = host_store()
        moment = datetime.utcnow() - timedelta(seconds=seconds_ago)
        store.session.execute(
            update(challenge)
            .where(challenge.c.transaction_id == transaction_id)
            .values(timestamp=moment - timedelta(seconds=1), expiration=moment)
        )
        store.commit()


def _accepted_login(enrolled, trigger):
    transaction_id = trigger()["transaction_id"]
    [request] = enrolled.phone.poll(enrolled.token)
    assert enrolled.phone.accept(request).json["result"]["value"] is True
    return transaction_id


@pytest.mark.parametrize(
    "policy, seconds_ago, completes",
    [
        (None, catalogue.FINALIZE_WINDOW.default - 30, True),
        (None, catalogue.FINALIZE_WINDOW.default + 30, False),
        (60, 30, True),
        (60, 90, False),
    ],
)
def test_an_accept_completes_the_login_only_within_the_finalize_window(
    admin, app, enrolled, trigger, validate, policy, seconds_ago, completes
):
    if policy is not None:
        admin.set_policy("edupushplus-finalize", "authentication", action(catalogue.FINALIZE_WINDOW, policy))
    transaction_id = _accepted_login(enrolled, trigger)
    _expire(app, transaction_id, seconds_ago)
    outcome = validate(**{"pass": "", "transaction_id": transaction_id})[1]["result"]["authentication"]
    assert (outcome == "ACCEPT") is completes


def test_a_finalize_window_out_of_bounds_is_a_policy_error(admin, enrolled, trigger, validate):
    admin.set_policy("edupushplus-finalize", "authentication", action(catalogue.FINALIZE_WINDOW, 99999))
    transaction_id = _accepted_login(enrolled, trigger)
    status, body = validate(**{"pass": "", "transaction_id": transaction_id})
    assert status == 403 and catalogue.FINALIZE_WINDOW.name in body["result"]["error"]["message"]


def test_an_older_firebase_token_update_cannot_undo_a_newer_one(admin, enrolled, tokeninfo):
    now = datetime.now(timezone.utc)
    enrolled.phone.clock = lambda: now
    assert enrolled.phone.update_firebase_token(enrolled.token, "newer").status == 200
    for moment in (now - timedelta(seconds=30), now):
        enrolled.phone.clock = lambda moment=moment: moment
        refused = enrolled.phone.update_firebase_token(enrolled.token, "older")
        assert refused.status == 400 and "not newer" in refused.json["result"]["error"]["message"]
    info = tokeninfo(enrolled.serial)["info"]
    assert info[Info.FIREBASE_TOKEN] == "newer"
    assert info[Info.FIREBASE_TOKEN_UPDATED] == update_stamp(now)
    audited = admin.get("/audit/", params={"action": "edupushplus token update refused"})["result"]["value"]
    assert audited["count"] == 2
    enrolled.phone.clock = lambda: now + timedelta(seconds=1)
    assert enrolled.phone.update_firebase_token(enrolled.token, "newest").status == 200


def test_the_store_lets_only_a_newer_token_update_through(app, enrolled):
    """The claim the endpoint relies on when two updates race: a conditional write, decided by the database."""
    now = datetime.now(timezone.utc)
    with app.app_context():
        token_id = host_library().get_one_token(serial=enrolled.serial).token.id
        store = host_store()
        assert store.claim_token_update(token_id, update_stamp(now)) is True
        assert store.claim_token_update(token_id, update_stamp(now - timedelta(microseconds=1))) is False
        assert store.claim_token_update(token_id, update_stamp(now)) is False
        assert store.claim_token_update(token_id, update_stamp(now + timedelta(microseconds=1))) is True
        store.commit()


def test_a_re_enabled_token_logs_in_again(admin, enrolled, validate):
    """Disabling voids challenges but leaves the token whole: enabled again, it logs in as before."""
    switch_off(admin, enrolled.serial, "disabled")
    admin.post("/token/enable", {"serial": enrolled.serial})
    assert validate(**{"pass": PIN})[1]["result"]["authentication"] == "CHALLENGE"
