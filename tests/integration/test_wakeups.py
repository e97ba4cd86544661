"""PostgreSQL's LISTEN/NOTIFY wakes push_waits in other processes; other engines rely on re-checks."""

import queue

import pytest

from edupush_token.edumfa_plugin import wakeups

NOBODY_WOKEN_WITHIN = 0.5


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
    with wakeups.Listener(db.engine, woken.put).in_use() as active:
        assert active, "LISTEN did not start"
        yield woken, db.session


def test_a_committed_answer_wakes_the_listener(listening):
    woken, session = listening
    wakeups.announce(session, "4711")
    session.commit()
    assert woken.get(timeout=10) == "4711"


def test_an_answer_rolled_back_wakes_nobody(listening):
    woken, session = listening
    wakeups.announce(session, "4711")
    session.rollback()
    with pytest.raises(queue.Empty):
        woken.get(timeout=NOBODY_WOKEN_WITHIN)


def test_sqlite_has_no_wake_ups_and_announcing_is_harmless(app_context):
    from edumfa.models import db

    assert not wakeups.supported(db.engine)
    wakeups.announce(db.session, "4711")
    db.session.commit()
