import threading
import time

import pytest

from edupush_token.errors import DatabaseUnavailable
from edupush_token.waiting import (
    GREEN_WAIT_SLOTS,
    WERKZEUG_WAIT_SLOTS,
    AnswerBoard,
    Backoff,
    Server,
    WaitSlots,
    wait_slots_for,
)


def test_notify_wakes_the_waiter_before_the_recheck_interval():
    board = AnswerBoard()
    answer = {}
    checks = []

    def check():
        checks.append(1)
        return answer.get("value")

    def phone():
        time.sleep(0.05)
        answer["value"] = "accepted"
        board.notify("tx")

    threading.Thread(target=phone).start()
    started = time.monotonic()
    assert board.wait_for("tx", check, timeout=10, recheck_interval=5) == "accepted"
    assert time.monotonic() - started < 4
    assert len(checks) == 2


def test_times_out_with_none():
    board = AnswerBoard()
    assert board.wait_for("tx", lambda: None, timeout=0.05, recheck_interval=0.01) is None


def test_rechecks_without_notice_for_answers_from_other_processes():
    board = AnswerBoard()
    calls = []

    def check():
        calls.append(1)
        return "done" if len(calls) == 3 else None

    assert board.wait_for("tx", check, timeout=5, recheck_interval=0.01) == "done"


def test_notice_for_another_key_does_not_wake():
    board = AnswerBoard()
    calls = []
    threading.Timer(0.02, board.notify, args=("other",)).start()
    started = time.monotonic()
    board.wait_for("tx", lambda: calls.append(1), timeout=0.2, recheck_interval=10)
    assert time.monotonic() - started >= 0.19
    assert len(calls) == 2  # once at the start, once at the deadline


def test_waiters_are_forgotten():
    board = AnswerBoard()
    board.wait_for("tx", lambda: "x", timeout=1)
    assert not board._events


FAST_BACKOFF = Backoff(first=0.01, cap=0.04)


def failing(times: int, then=None):
    """A check whose first ``times`` calls find the database away; returns the check and its call times."""
    calls = []

    def check():
        calls.append(time.monotonic())
        if len(calls) <= times:
            raise DatabaseUnavailable("the database cannot be reached")
        return then

    return check, calls


def test_backoff_doubles_from_its_first_pause_up_to_its_cap():
    assert [Backoff(first=0.1, cap=2.0).delay(failures) for failures in range(1, 8)] == [
        0.1,
        0.2,
        0.4,
        0.8,
        1.6,
        2.0,
        2.0,
    ]
    assert Backoff(first=0.1, cap=2.0).delay(100_000) == 2.0  # an outage of hours stays at the cap


def test_a_wait_outlives_the_database_being_away_and_ends_with_the_answer():
    check, calls = failing(times=5, then="accepted")
    assert AnswerBoard().wait_for("tx", check, timeout=5, recheck_interval=10, backoff=FAST_BACKOFF) == "accepted"
    assert len(calls) == 6


def test_re_checks_while_the_database_is_away_back_off_up_to_the_cap():
    check, calls = failing(times=6, then="accepted")
    AnswerBoard().wait_for("tx", check, timeout=5, recheck_interval=10, backoff=FAST_BACKOFF)
    pauses = [later - earlier for earlier, later in zip(calls, calls[1:])]
    expected = [FAST_BACKOFF.delay(failures) for failures in range(1, 7)]
    assert all(pause >= wanted * 0.9 for pause, wanted in zip(pauses, expected)), (pauses, expected)
    assert max(pauses) < FAST_BACKOFF.cap + 0.1


def test_a_notice_cuts_the_backoff_short():
    """The wake-up connection is back, so is the database: waiters re-check at once."""
    board = AnswerBoard()
    check, calls = failing(times=1, then="accepted")
    threading.Timer(0.05, board.notify_all).start()
    started = time.monotonic()
    assert board.wait_for("tx", check, timeout=5, backoff=Backoff(first=3, cap=3)) == "accepted"
    assert time.monotonic() - started < 1


def test_a_database_still_away_at_the_deadline_ends_the_wait_with_its_error():
    check, calls = failing(times=1_000_000)
    started = time.monotonic()
    with pytest.raises(DatabaseUnavailable):
        AnswerBoard().wait_for("tx", check, timeout=0.2, backoff=FAST_BACKOFF)
    assert 0.2 <= time.monotonic() - started < 0.5
    assert len(calls) >= 5, "kept re-checking until the deadline"


def test_a_database_back_before_the_deadline_ends_an_unanswered_wait_with_none():
    check, _calls = failing(times=2)
    assert AnswerBoard().wait_for("tx", check, timeout=0.3, recheck_interval=0.05, backoff=FAST_BACKOFF) is None


def test_other_errors_of_the_check_end_the_wait_at_once():
    def check():
        raise ValueError("a bug")

    with pytest.raises(ValueError):
        AnswerBoard().wait_for("tx", check, timeout=5, backoff=FAST_BACKOFF)


@pytest.mark.parametrize(
    "server, slots",
    [
        (Server("gunicorn/23.0.0", multithread=False), 0),  # sync worker: one request at a time
        (Server("gunicorn/23.0.0", multithread=True), 0),  # gthread: pool size unknown to the app
        (Server("Werkzeug/3.1.3", multithread=False), 0),
        (Server("Werkzeug/3.1.3", multithread=True), WERKZEUG_WAIT_SLOTS),
        (Server("gunicorn/23.0.0", multithread=False, green=True), GREEN_WAIT_SLOTS),
        (Server(), 0),
    ],
)
def test_wait_slots_never_take_a_servers_only_handler(server, slots):
    assert wait_slots_for(server) == slots


def test_server_is_read_from_the_wsgi_environ():
    environ = {"SERVER_SOFTWARE": "Werkzeug/3.1.3", "wsgi.multithread": True}
    assert Server.from_environ(environ) == Server("Werkzeug/3.1.3", multithread=True)


def test_wait_slots_are_bounded_and_given_back():
    slots = WaitSlots(2)
    assert slots.try_take() and slots.try_take()
    assert not slots.try_take()
    slots.give_back()
    assert slots.try_take()
    assert not slots.try_take()


def test_zero_capacity_allows_no_wait():
    assert not WaitSlots(0).try_take()
