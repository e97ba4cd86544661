import threading
import time

import pytest

from edupush_token.waiting import (
    GREEN_WAIT_SLOTS,
    WERKZEUG_WAIT_SLOTS,
    AnswerBoard,
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
