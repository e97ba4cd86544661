import threading
import time

from edupush_token.waiting import AnswerBoard


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
