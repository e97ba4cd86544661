"""checks.workers: the WSGI server can hold push_wait logins, and EDUPUSH_PUSH_WAIT_SLOTS fits it."""

import pytest

from edupush_token import catalogue
from edupush_token.doctor.checks.workers import (
    SLOTS,
    WAIT,
    check_boot_hook,
    check_workers,
    effective_worker_class,
    read_gunicorn_config,
)
from edupush_token.doctor.deployment import WorkerSetup
from edupush_token.doctor.findings import Severity

from .factory import only

SOURCE = "/etc/edumfa/gunicorn.conf.py"
GTHREAD_8 = WorkerSetup("gthread", 8, SOURCE)
SYNC = WorkerSetup("sync", 1, SOURCE)


def waiting(make_deployment, wait="20", **settings):
    """A deployment whose authentication policy sets push_wait, with these eduMFA settings."""
    return make_deployment(authentication={WAIT: wait}, settings=settings)


@pytest.mark.parametrize(
    "wait, setup, settings",
    [
        (None, WorkerSetup(), {}),  # no push_wait: any server will do
        ("0", SYNC, {}),
        (" ", SYNC, {}),
        ("20", GTHREAD_8, {SLOTS: 7}),
        ("20", GTHREAD_8, {SLOTS: "1"}),
        ("20", WorkerSetup("sync", 4, SOURCE), {SLOTS: 3}),  # gunicorn runs sync with threads as gthread
        ("20", WorkerSetup("gevent"), {}),
        ("20", WorkerSetup("gunicorn.workers.geventlet.EventletWorker"), {}),
    ],
)
def test_server_that_can_hold_the_waits_has_no_finding(make_deployment, wait, setup, settings):
    assert check_workers(make_deployment(authentication={WAIT: wait}, settings=settings), setup) == []


def test_worker_class_unknown(make_deployment):
    finding = only(check_workers(waiting(make_deployment), WorkerSetup()), "worker-class-unknown", Severity.WARNING)
    assert f"push_wait ({WAIT} in 'edupushplus-authentication') needs a server" in finding.problem


@pytest.mark.parametrize(
    "slots, says",
    [
        ({}, "the plugin allows no waits there"),
        ({SLOTS: 0}, "the plugin allows no waits there"),
        ({SLOTS: 2}, f"{SLOTS} = 2 makes the plugin wait anyway"),
    ],
)
def test_push_wait_sync_worker(make_deployment, slots, says):
    finding = only(check_workers(waiting(make_deployment, **slots), SYNC), "push-wait-sync-worker", Severity.ERROR)
    assert f"gunicorn's sync worker serves one request at a time ({SOURCE}): {says}" in finding.problem


def test_push_wait_too_few_threads(make_deployment):
    setup = WorkerSetup("gthread", 1, SOURCE)
    finding = only(check_workers(waiting(make_deployment), setup), "push-wait-too-few-threads", Severity.ERROR)
    assert f"the gthread worker has 1 thread ({SOURCE})" in finding.problem


@pytest.mark.parametrize("slots, state", [({}, "not set"), ({SLOTS: 0}, "0"), ({SLOTS: "0"}, "0")])
def test_push_wait_slots_missing(make_deployment, slots, state):
    findings = check_workers(waiting(make_deployment, **slots), GTHREAD_8)
    finding = only(findings, "push-wait-slots-missing", Severity.ERROR)
    assert f"but {SLOTS} is {state}: with gthread" in finding.problem
    assert finding.fix.startswith(f"Set {SLOTS} = 7 in edumfa.cfg")


@pytest.mark.parametrize("slots", [8, 12])
def test_push_wait_slots_too_many(make_deployment, slots):
    finding = only(
        check_workers(waiting(make_deployment, **{SLOTS: slots}), GTHREAD_8),
        "push-wait-slots-too-many",
        Severity.WARNING,
    )
    assert f"{SLOTS} = {slots} with 8 threads ({SOURCE})" in finding.problem
    assert finding.fix == f"Set {SLOTS} = 7."


def test_worker_class_unrecognised(make_deployment):
    setup = WorkerSetup("uvicorn.workers.UvicornWorker", 4, SOURCE)
    finding = only(check_workers(waiting(make_deployment), setup), "worker-class-unrecognised", Severity.WARNING)
    assert f"worker class 'uvicorn.workers.UvicornWorker' ({SOURCE}) is not one the doctor knows" in finding.problem


@pytest.mark.parametrize("slots", ["many", "-1", -1, True, 2.5])
def test_push_wait_slots_invalid(make_deployment, slots):
    """Reported without push_wait too: the setting is wrong either way."""
    finding = only(
        check_workers(make_deployment(settings={SLOTS: slots}), WorkerSetup()),
        "push-wait-slots-invalid",
        Severity.ERROR,
    )
    assert f"{SLOTS} = {slots!r} is not a whole number of at least 0" in finding.problem


def test_invalid_slots_count_as_not_set(make_deployment):
    findings = check_workers(waiting(make_deployment, **{SLOTS: "seven"}), GTHREAD_8)
    assert [finding.code for finding in findings] == ["push-wait-slots-invalid", "push-wait-slots-missing"]
    assert f"but {SLOTS} is not set" in findings[1].problem


@pytest.mark.parametrize(
    "setup, kind",
    [
        (WorkerSetup(), "sync"),
        (WorkerSetup(threads=4), "gthread"),
        (WorkerSetup("gunicorn.workers.sync.SyncWorker", 1), "sync"),
        (WorkerSetup("gunicorn.workers.gthread.ThreadWorker", 1), "gthread"),
        (WorkerSetup("eventlet"), "green"),
        (WorkerSetup("tornado"), "tornado"),
    ],
)
def test_effective_worker_class(setup, kind):
    assert effective_worker_class(setup) == kind


BOOT_HOOK = f"from {catalogue.EDUMFA_WORKER_MODULE} import post_worker_init\n"


@pytest.mark.parametrize(
    "text, setup",
    [
        ("", ("sync", 1, 1, False)),
        ("worker_class = 'gthread'\nthreads = 8\nworkers = 4\nbind = '0.0.0.0:8000'\n", ("gthread", 8, 4, False)),
        (BOOT_HOOK, ("sync", 1, 1, True)),
    ],
)
def test_read_gunicorn_config(tmp_path, text, setup):
    path = tmp_path / "gunicorn.conf.py"
    path.write_text(text)
    worker_class, threads, workers, starts_sweeps = setup
    assert read_gunicorn_config(path) == WorkerSetup(worker_class, threads, str(path), workers, starts_sweeps)


def test_a_gunicorn_config_without_the_boot_hook_is_warned_about(tmp_path):
    path = tmp_path / "gunicorn.conf.py"
    path.write_text("workers = 4\n")
    finding = only(check_boot_hook(read_gunicorn_config(path)), "worker-boot-hook-missing", Severity.WARNING)
    assert catalogue.EDUMFA_WORKER_MODULE in finding.fix
    path.write_text(BOOT_HOOK + "workers = 4\n")
    assert check_boot_hook(read_gunicorn_config(path)) == []
    assert check_boot_hook(WorkerSetup("gthread", 8, "--worker-class")) == []  # no file: nothing to tell
