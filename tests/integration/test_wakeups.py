"""PostgreSQL's LISTEN/NOTIFY wakes push_waits in other processes; other engines rely on re-checks."""

import queue
import time

import pytest

from edupush_token.storage import wakeups

NOBODY_WOKEN_WITHIN = 0.5
RECONNECTED_WITHIN = 0.5


@pytest.fixture
def postgres_app_context(postgres_instance):
    app = postgres_instance.create_app()
    with app.app_context():
        yield
    from edumfa.models import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def listening(postgres_app_context):
    """(queue of wake-ups, session) while a Listener of its own connection is active."""
    from edumfa.models import db

    woken = queue.Queue()
    with wakeups.Listener(db.engine, woken.put, lambda: None).in_use() as active:
        assert active, "LISTEN did not start"
        yield woken, db.session


def mark_answered(challenge_id):
    from edumfa.models import Challenge
    from sqlalchemy import update

    return update(Challenge).where(Challenge.id == challenge_id, Challenge.otp_valid.is_(False)).values(otp_valid=True)


@pytest.fixture
def open_challenge():
    """The id of a committed, unanswered challenge row."""
    from edumfa.models import Challenge, db

    challenge = Challenge("EDPP0001", transaction_id="4711", challenge="nonce", validitytime=120)
    db.session.add(challenge)
    db.session.commit()
    return challenge.id


def test_a_committed_answer_wakes_the_listener(listening, open_challenge):
    woken, session = listening
    assert wakeups.update_announcing(session, mark_answered(open_challenge), "4711") == 1
    session.commit()
    assert woken.get(timeout=10) == "4711"


def test_an_answer_rolled_back_wakes_nobody(listening, open_challenge):
    woken, session = listening
    assert wakeups.update_announcing(session, mark_answered(open_challenge), "4711") == 1
    session.rollback()
    with pytest.raises(queue.Empty):
        woken.get(timeout=NOBODY_WOKEN_WITHIN)


def test_an_update_that_changes_nothing_wakes_nobody(listening, open_challenge):
    woken, session = listening
    assert wakeups.update_announcing(session, mark_answered(open_challenge + 1), "4711") == 0
    session.commit()
    with pytest.raises(queue.Empty):
        woken.get(timeout=NOBODY_WOKEN_WITHIN)


def test_sqlite_has_no_wake_ups_and_updates_as_usual(app_context, open_challenge):
    from edumfa.models import db

    assert not wakeups.supported(db.engine)
    assert wakeups.update_announcing(db.session, mark_answered(open_challenge), "4711") == 1
    assert wakeups.update_announcing(db.session, mark_answered(open_challenge), "4711") == 0
    db.session.commit()


def test_a_cut_listener_listens_again_at_once_and_says_so(postgres_app_context):
    """A NOTIFY sent while nobody listened is lost: on listening again, waiters are told to re-check."""
    from edumfa.models import db
    from sqlalchemy import text

    listening_since = queue.Queue()
    with wakeups.Listener(
        db.engine, lambda _transaction_id: None, lambda: listening_since.put(time.monotonic())
    ).in_use():
        listening_since.get(timeout=10)
        cut = time.monotonic()
        db.session.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = :listen"),
            {"listen": f"LISTEN {wakeups.CHANNEL}"},
        )
        db.session.commit()
        assert listening_since.get(timeout=10) - cut < RECONNECTED_WITHIN
