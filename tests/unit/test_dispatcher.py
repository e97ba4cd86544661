import os
import threading
import time

import pytest

from edupush_token.delivery.dispatcher import Dispatcher


@pytest.fixture
def dispatcher():
    created = Dispatcher(workers=2, capacity=5)
    yield created
    created.shutdown(timeout=2)


def test_runs_tasks_in_the_background(dispatcher):
    done = threading.Event()
    assert dispatcher.submit(done.set)
    assert done.wait(2)


def test_delayed_tasks_wait_without_blocking_others(dispatcher):
    order = []
    dispatcher.submit(lambda: order.append("late"), delay=0.3)
    dispatcher.submit(lambda: order.append("now"))
    assert dispatcher.wait_idle(3)
    assert order == ["now", "late"]


def test_is_bounded(dispatcher):
    release = threading.Event()
    for _ in range(5):
        assert dispatcher.submit(release.wait, delay=10)
    assert dispatcher.submit(lambda: None) is False
    release.set()


def test_a_failing_task_does_not_kill_the_worker(dispatcher):
    done = threading.Event()
    dispatcher.submit(lambda: 1 / 0)
    dispatcher.submit(done.set)
    assert done.wait(2)


def test_shutdown_finishes_due_tasks_and_drops_later_ones():
    dispatcher = Dispatcher(workers=1)
    ran = []
    dispatcher.submit(lambda: (time.sleep(0.1), ran.append("due")))
    dispatcher.submit(lambda: ran.append("later"), delay=30)
    dispatcher.shutdown(timeout=2)
    assert ran == ["due"]
    assert dispatcher.submit(lambda: None) is False


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_gets_a_working_dispatcher_of_its_own(dispatcher):
    parent_done = threading.Event()
    dispatcher.submit(parent_done.set)
    assert parent_done.wait(2)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        child_done = threading.Event()
        ok = dispatcher.submit(child_done.set) and child_done.wait(2)
        os.write(write_end, b"1" if ok else b"0")
        os._exit(0)
    os.close(write_end)
    assert os.read(read_end, 1) == b"1"
    os.waitpid(pid, 0)
    again = threading.Event()
    dispatcher.submit(again.set)
    assert again.wait(2)
