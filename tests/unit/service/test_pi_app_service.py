"""The privacyIDEA dialect's decisions with the fakes: what a login asks, what an answer does, the code login."""

from datetime import timedelta

import pytest

from edupush_token import catalogue
from edupush_token.catalogue import AppProfile
from edupush_token.errors import PolicyValueError, WireError
from edupush_token.matching import PushMode
from edupush_token.service import phone as service
from edupush_token.service.answering import completes_login
from edupush_token.service.pi_app import WRONG_OPTION
from edupush_token.service.push import Login, LoginContext, PushToken, start_push
from edupush_token.service.sending import Recipient
from edupush_token.storage.challenges import CANCEL_ANSWER, CONFIRM_ANSWER, DECLINE_ANSWER
from edupush_token.wire.pi_app.answers import answer_text
from edupush_token.wire.requests import ChallengeAnswer

from .conftest import SERIAL
from .fakes import FakePolicies, with_token

WINDOW = timedelta(seconds=300)
PRESENCE = {catalogue.REQUIRE_PRESENCE.name: True}
CODE = {catalogue.CODE_TO_PHONE.name: True}


@pytest.fixture
def pi_phone(fakes, phone, server_key):
    """The enrolled token, as a privacyIDEA-profile token."""
    with_token(fakes.store, SERIAL, phone, server_key, profile=AppProfile.PRIVACYIDEA.value)
    return phone


def push(fakes, profile=AppProfile.PRIVACYIDEA, waits_here=False, **policies):
    recipient = Recipient(SERIAL, "poll only", "", False, fakes.store.tokens[SERIAL].encrypted_server_key)
    token = PushToken(1, recipient, "https://mfa.example.org/ttype/edupushplus", 2048, profile)
    outcome = start_push(token, Login(LoginContext(), waits_here=waits_here), FakePolicies(**policies), fakes.ports)
    return outcome, list(fakes.store.rows.values())[-1]


def answer(phone, nonce, decline=False, reason="", option="", with_nonce=True) -> ChallengeAnswer:
    signature = phone.sign(answer_text(nonce, SERIAL, decline, reason, option))
    return ChallengeAnswer(SERIAL, nonce if with_nonce else None, signature, decline, reason, option)


def test_an_edumfa_profile_token_gets_neither_capabilities_nor_presence(fakes, phone):
    outcome, row = push(fakes, AppProfile.EDUMFA, **PRESENCE, **CODE)
    assert outcome.presence_answer is None and not outcome.interactive
    assert set(row.push.as_dict()) == {"nonce", "url", "serial", "question", "title", "sslverify", "signature"}
    assert row.check.mode is PushMode.STANDARD


def test_every_privacyidea_profile_push_carries_capabilities(fakes, pi_phone):
    _outcome, row = push(fakes)
    assert row.push.capabilities == '{"decline_reason": true}' and not row.push.require_presence


def test_number_matching_offers_the_options_and_tells_the_login_the_right_one(fakes, pi_phone):
    outcome, row = push(fakes, **PRESENCE, **{catalogue.PRESENCE_NUM_OPTIONS.name: 4})
    options = row.push.require_presence.split(",")
    assert len(set(options)) == 4 and outcome.presence_answer in options
    assert row.push.version == "2"
    assert row.check.mode is PushMode.PRESENCE and row.check.expected == outcome.presence_answer
    assert outcome.message == catalogue.DEFAULT_CHALLENGE_TEXT + f" Please press: {outcome.presence_answer}"


def test_the_challenge_text_tag_places_the_option(fakes, pi_phone):
    text = {catalogue.CHALLENGE_TEXT_ACTION: "Press {presence_answer} now"}
    outcome, _row = push(fakes, **PRESENCE, **text)
    assert outcome.message == f"Press {outcome.presence_answer} now"


def test_custom_options_are_drawn_from_the_admins_list(fakes, pi_phone):
    custom = {catalogue.PRESENCE_OPTIONS.name: "CUSTOM", catalogue.PRESENCE_CUSTOM_OPTIONS.name: "red:green:blue"}
    _outcome, row = push(fakes, **PRESENCE, **custom)
    assert sorted(row.push.require_presence.split(",")) == ["blue", "green", "red"]


def test_a_broken_custom_list_is_the_admins_mistake(fakes, pi_phone):
    custom = {catalogue.PRESENCE_OPTIONS.name: "CUSTOM", catalogue.PRESENCE_CUSTOM_OPTIONS.name: "a,b:c"}
    with pytest.raises(PolicyValueError, match=catalogue.PRESENCE_CUSTOM_OPTIONS.name):
        push(fakes, **PRESENCE, **custom)


def test_push_wait_gets_no_presence_and_no_code(fakes, pi_phone):
    outcome, row = push(fakes, waits_here=True, **PRESENCE, **CODE)
    assert outcome.presence_answer is None and not outcome.interactive and not row.push.require_presence


def test_presence_comes_before_code_to_phone(fakes, pi_phone):
    outcome, row = push(fakes, **PRESENCE, **CODE)
    assert outcome.presence_answer and not outcome.interactive and row.check.mode is PushMode.PRESENCE


def test_the_right_button_accepts(fakes, pi_phone):
    outcome, row = push(fakes, **PRESENCE)
    assert service.receive_answer(fakes.ports, answer(pi_phone, row.push.nonce, option=outcome.presence_answer)) == (
        True,
        {},
    )
    assert row.accepted and fakes.audit.notes == ["push accepted"]


@pytest.mark.parametrize("pressed", ["WRONG", ""])
def test_a_wrong_or_missing_button_is_final_and_counted_like_a_decline(fakes, pi_phone, pressed):
    _outcome, row = push(fakes, **PRESENCE)
    assert service.receive_answer(fakes.ports, answer(pi_phone, row.push.nonce, option=pressed)) == (
        False,
        {"message": WRONG_OPTION},
    )
    assert row.declined and row.answer == DECLINE_ANSWER
    assert fakes.audit.names() == ["push wrong option"]
    right = row.check.expected
    value, _details = service.receive_answer(fakes.ports, answer(pi_phone, row.push.nonce, option=right))
    assert value is False and not row.accepted  # no second try


def test_this_was_not_me_is_counted_and_audited_as_a_possible_attack(fakes, pi_phone):
    _outcome, row = push(fakes)
    service.receive_answer(fakes.ports, answer(pi_phone, row.push.nonce, decline=True, reason="unknown_trigger"))
    assert row.declined and row.answer == DECLINE_ANSWER and fakes.audit.names() == ["push declined"]


def test_cancelled_declines_the_login_without_counting(fakes, pi_phone):
    _outcome, row = push(fakes)
    service.receive_answer(fakes.ports, answer(pi_phone, row.push.nonce, decline=True, reason="cancelled"))
    assert row.declined and row.answer == CANCEL_ANSWER and fakes.audit.names() == ["push cancelled"]
    history = fakes.store.push_history(1, SERIAL, fakes.clock.now() - timedelta(hours=1))
    assert history.declines == []


def test_a_reason_is_signed_so_it_cannot_be_swapped(fakes, pi_phone):
    _outcome, row = push(fakes)
    signed_as_not_me = answer(pi_phone, row.push.nonce, decline=True, reason="unknown_trigger")
    swapped = ChallengeAnswer(SERIAL, row.push.nonce, signed_as_not_me.signature, True, "cancelled")
    with pytest.raises(Exception, match="Could not verify"):
        service.receive_answer(fakes.ports, swapped)
    assert not row.declined


def test_code_to_phone_confirms_shows_a_code_and_the_done_button_undoes_nothing(fakes, pi_phone):
    outcome, row = push(fakes, **CODE, **{catalogue.CODE_TO_PHONE_MESSAGE.name: "Type it"})
    assert outcome.interactive and outcome.message == catalogue.DEFAULT_CODE_TO_PHONE_TEXT
    policies = lambda: FakePolicies(**{catalogue.CODE_TO_PHONE_MESSAGE.name: "Type it"})  # noqa: E731
    value, details = service.receive_answer(fakes.ports, answer(pi_phone, row.push.nonce), policies)
    assert value is True and details["message"] == "Type it" and len(details["display_code"]) == 2
    assert row.answer == CONFIRM_ANSWER and not row.accepted and fakes.store.open_pushes(SERIAL) == []
    assert service.receive_answer(fakes.ports, answer(pi_phone, row.push.nonce), policies)[1] == details  # re-sent
    assert service.receive_answer(fakes.ports, answer(pi_phone, row.push.nonce, decline=True)) == (True, {})
    assert not row.declined
    assert completes_login(fakes.ports, SERIAL, row.transaction_id, details["display_code"], WINDOW)
    assert row.accepted


def test_a_wrong_code_ends_the_login_and_counts(fakes, pi_phone):
    _outcome, row = push(fakes, **CODE)
    _value, details = service.receive_answer(fakes.ports, answer(pi_phone, row.push.nonce))
    wrong = f"{(int(details['display_code']) + 1) % 100:02}"
    assert not completes_login(fakes.ports, SERIAL, row.transaction_id, wrong, WINDOW)
    assert row.declined and row.answer == DECLINE_ANSWER and "push wrong code" in fakes.audit.names()
    assert not completes_login(fakes.ports, SERIAL, row.transaction_id, details["display_code"], WINDOW)


def test_no_code_completes_a_login_before_the_phone_confirmed(fakes, pi_phone):
    _outcome, row = push(fakes, **CODE)
    assert not completes_login(fakes.ports, SERIAL, row.transaction_id, "00", WINDOW)
    assert not row.declined  # the user may still confirm and type the code


def test_an_answer_without_a_nonce_finds_its_push_by_the_signature(fakes, pi_phone):
    room = {catalogue.MAX_OPEN.name: 2, catalogue.MIN_INTERVAL.name: 0}
    _first, other = push(fakes, **room)
    _second, row = push(fakes, **room)
    service.receive_answer(fakes.ports, answer(pi_phone, row.push.nonce, with_nonce=False))
    assert row.accepted and not other.accepted


def test_an_answer_without_a_nonce_stays_malformed_for_an_edumfa_profile_token(fakes, phone):
    _outcome, row = push(fakes, AppProfile.EDUMFA)
    with pytest.raises(WireError, match="Missing parameters"):
        service.receive_answer(fakes.ports, answer(phone, row.push.nonce, with_nonce=False))
