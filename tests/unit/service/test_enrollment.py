"""Enrollment step 2: who may finish it, and with which keys."""

from dataclasses import dataclass, field

import pytest

from edupush_token.catalogue import Info
from edupush_token.errors import RequestRefused, TokenUnusable
from edupush_token.lifecycle import USABLE, TokenStanding
from edupush_token.service import enrollment
from edupush_token.wire.requests import EnrollmentFinish

from .conftest import SERIAL
from .fakes import Phone

CREDENTIAL = "0123456789abcdef"


@dataclass
class Enrolling:
    info_values: dict
    id: int = 7
    waiting: bool = True
    standing: TokenStanding = USABLE
    completed: list = field(default_factory=list)

    def waiting_for_phone(self) -> bool:
        return self.waiting

    def info(self, key: str) -> str:
        return self.info_values.get(key, "")

    def complete(self, phone_key, firebase_token, server_key) -> None:
        self.completed.append((phone_key, firebase_token, server_key))


@pytest.fixture
def token(fakes):
    started = enrollment.start(fakes.clock, ttl_minutes=10)
    fakes.store.waiting.add(7)
    return Enrolling(
        {
            Info.ENROLLMENT_DEADLINE: started.deadline.isoformat(),
            Info.ENROLLMENT_CREDENTIAL: CREDENTIAL,
            Info.SERVER_KEY_SIZE: "2048",
        }
    )


def finish_message(credential: str = CREDENTIAL) -> EnrollmentFinish:
    return EnrollmentFinish(SERIAL, credential, "firebase-token", Phone().public_key)


def test_step_two_takes_a_pooled_key_and_asks_for_a_refill(fakes, token, server_key):
    fakes.keys.pooled.append(server_key)
    details = enrollment.finish(fakes.ports, token, finish_message())
    [(_phone_key, firebase_token, used_key)] = token.completed
    assert used_key is server_key and firebase_token == "firebase-token"
    assert details["rollout_state"] == "enrolled" and details["public_key"]
    assert fakes.keys.refills == [2048] and fakes.store.commits == 1


def test_an_empty_pool_means_a_key_made_now(fakes, token):
    enrollment.finish(fakes.ports, token, finish_message())
    [(_phone_key, _firebase_token, made)] = token.completed
    assert "PRIVATE KEY" in made.private_pem


@pytest.mark.parametrize(
    "spoil, reason",
    [
        (lambda fakes, token: setattr(token, "waiting", False), "waiting"),
        (lambda fakes, token: fakes.clock.advance(11 * 60), "expired"),
        (lambda fakes, token: token.info_values.pop(Info.ENROLLMENT_DEADLINE), "expired"),
        (lambda fakes, token: fakes.store.waiting.clear(), "waiting"),  # another phone claimed it first
    ],
)
def test_a_refused_step_two_completes_nothing(fakes, token, server_key, spoil, reason):
    fakes.keys.pooled.append(server_key)
    spoil(fakes, token)
    with pytest.raises(RequestRefused, match=reason):
        enrollment.finish(fakes.ports, token, finish_message())
    assert token.completed == [] and fakes.store.commits == 0


def test_a_phone_that_lost_the_claim_takes_no_pooled_key_and_holds_no_write(fakes, token, server_key):
    fakes.keys.pooled.append(server_key)
    fakes.store.waiting.clear()  # the other phone's claim won
    with pytest.raises(RequestRefused, match="waiting"):
        enrollment.finish(fakes.ports, token, finish_message())
    assert fakes.keys.pooled == [server_key]
    assert fakes.store.rollbacks == 1, "the claim's transaction ends before the refusal"


def test_the_pooled_key_is_taken_by_the_claims_winner(fakes, token, server_key, monkeypatch):
    fakes.keys.pooled.append(server_key)
    take = fakes.keys.take
    claimed_when_taken = []
    monkeypatch.setattr(
        fakes.keys, "take", lambda size: claimed_when_taken.append(token.id not in fakes.store.waiting) or take(size)
    )
    enrollment.finish(fakes.ports, token, finish_message())
    assert claimed_when_taken == [True]


def test_a_wrong_credential_is_refused(fakes, token):
    with pytest.raises(RequestRefused, match="credential"):
        enrollment.finish(fakes.ports, token, finish_message("f" * 16))
    with pytest.raises(RequestRefused, match="waiting"):
        enrollment.finish(fakes.ports, None, finish_message())


@pytest.mark.parametrize("standing", [TokenStanding(revoked=True, locked=True), TokenStanding(locked=True)])
def test_a_revoked_or_locked_token_does_not_enroll_and_it_is_audited(fakes, token, standing):
    token.standing = standing
    with pytest.raises(TokenUnusable):
        enrollment.finish(fakes.ports, token, finish_message())
    assert token.completed == [] and fakes.store.commits == 0
    assert fakes.audit.names() == ["phone request refused"]


def test_a_disabled_token_finishes_enrollment_as_the_hosts_keep_it_disabled_until_then(fakes, token):
    token.standing = TokenStanding(active=False)
    enrollment.finish(fakes.ports, token, finish_message())
    assert len(token.completed) == 1


def test_the_token_state_is_told_only_to_the_holder_of_the_credential(fakes, token):
    token.standing = TokenStanding(revoked=True, locked=True)
    with pytest.raises(RequestRefused, match="credential"):
        enrollment.finish(fakes.ports, token, finish_message("f" * 16))
    assert fakes.audit.events == []
