"""Pushes outlive their worker: Firebase down, workers killed or reloaded, then every push leaves once.

Two gthread workers on PostgreSQL send through the FCM stand-in, which
answers 503 with Retry-After until it is healed.  Each push is counted at
the stand-in by its nonce: a push lost never arrives, a push duplicated
arrives twice.  Bounded in time by the challenges' validity.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from itertools import cycle
from pathlib import Path

import pytest
import requests

from edupush_token import catalogue
from edupush_token.catalogue import ENDPOINT_PATH, METRICS_PARAMETER, TOKEN_TYPE, Config
from edupush_token.devtools.fake_fcm import FakeFCM
from edupush_token.devtools.local_instance import DEMO_REALM, DEMO_USERS
from edupush_token.devtools.phone import EmulatedPhone, HttpTransport
from edupush_token.metrics import series
from edupush_token.metrics.series import MULTIPROCESS_DIRECTORY
from support import PERMISSIVE_LIMITS, PIN, actions, fast_enrollment
from support.metrics import from_text, value

pytestmark = pytest.mark.e2e

GATEWAY = "fcm-outbox"
WORKERS = 2
LOGINS = 20
TOKENS = 4  # catalogue.MAX_OPEN.high open requests per token at most
VALIDITY = 60  # seconds; every push must arrive within it
RETRY_AFTER = 2
TIMELINE_VARIABLE = "EDUPUSH_METRICS_TIMELINE"  # where a fault run writes its metrics over time, if set
HANG = 3  # seconds Firebase takes to accept a push, long enough to kill its worker meanwhile
TIMEOUT = 30


@dataclass
class Deployment:
    url: str
    server: object  # tests/e2e/conftest.py's GunicornServer
    instance: object
    admin: object
    serials: list
    phones: list


@pytest.fixture
def fcm():
    with FakeFCM() as fake:
        yield fake


@pytest.fixture(params=["postgresql"])
def deployment(request, gunicorn, fcm, admin_over_http, tmp_path):
    """Two gunicorn workers sending through the stand-in; on SQLite (one node) only where a test asks."""
    settings = {Config.FCM_URL: fcm.base_url, Config.FCM_TIMEOUT: 2.0}
    if request.param == "postgresql":
        instance = request.getfixturevalue("make_postgres_instance")(**settings)
    else:
        instance = request.getfixturevalue("edumfa_template").clone(tmp_path / "edumfa")
        for key, value in settings.items():
            instance.update_setting(key, value)
    account = tmp_path / "service-account.json"
    fcm.create_service_account(account)
    metrics_directory = tmp_path / "prometheus"  # as the docs tell admins: one per server, empty at its start
    server = gunicorn(instance.directory, workers=WORKERS, environment={MULTIPROCESS_DIRECTORY: str(metrics_directory)})
    with server as url:
        admin = admin_over_http(url, instance)
        admin.post(
            "/smsgateway",
            {
                "name": GATEWAY,
                "module": catalogue.EDUMFA_FIREBASE_PROVIDER,
                f"option.{catalogue.FIREBASE_SERVICE_ACCOUNT_OPTION}": str(account),
            },
        )
        enrollment = fast_enrollment(url + ENDPOINT_PATH, {catalogue.FIREBASE_CONFIG: GATEWAY})
        admin.set_policy("edupushplus-enrollment", "enrollment", enrollment)
        limits = actions({**PERMISSIVE_LIMITS, catalogue.CHALLENGE_VALIDITY: VALIDITY})
        admin.set_policy("edupushplus-limits", "authentication", limits)
        users = cycle(user.username for user in DEMO_USERS)
        phones, serials = [], []
        for _ in range(TOKENS):
            detail = admin.post(
                "/token/init", {"type": TOKEN_TYPE, "genkey": 1, "user": next(users), "realm": DEMO_REALM, "pin": PIN}
            )["detail"]
            phone = EmulatedPhone(HttpTransport(timeout=TIMEOUT), key_size=2048)
            serials.append(phone.enroll(phone.scan(detail["pushurl"]["value"])).serial)
            phones.append(phone)
        yield Deployment(url, server, instance, admin, serials, phones)


def trigger_logins(deployment: Deployment) -> list[str]:
    """``LOGINS`` logins spread over the tokens; the transaction ids."""
    transactions = []
    for serial in [deployment.serials[number % TOKENS] for number in range(LOGINS)]:
        response = requests.post(
            f"{deployment.url}/validate/triggerchallenge",
            json={"serial": serial},
            headers={"Authorization": deployment.admin.token},
            timeout=TIMEOUT,
        )
        transactions.append(response.json()["detail"]["transaction_id"])
    return transactions


def data_of(record: dict) -> dict:
    """The data block of a push the stand-in recorded."""
    message = record.get("message") or {}
    return message.get("message", message).get("data") or {}


def nonce_of(record: dict) -> str:
    return data_of(record).get("nonce", "")


def delivered_nonces(fcm) -> Counter:
    return Counter(nonce_of(record) for record in fcm.delivered())


def wait_for_deliveries(fcm, count: int, within: float) -> None:
    """Until ``count`` distinct pushes arrived (or ``within`` passed)."""
    started = time.monotonic()
    while len(delivered_nonces(fcm)) < count and time.monotonic() - started < within:
        time.sleep(0.2)


def failed_attempts(fcm) -> int:
    return sum(1 for record in fcm.messages if record["status"] not in (None, 200))


def workers_of(server) -> list[int]:
    listed = subprocess.run(["pgrep", "-P", str(server.process.pid)], capture_output=True, text=True).stdout
    return [int(pid) for pid in listed.split()]


def wait_for_workers(server, replacing: list[int]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        current = workers_of(server)
        if len(current) == WORKERS and not set(current) & set(replacing):
            return
        time.sleep(0.2)
    raise TimeoutError(f"gunicorn did not replace its workers {replacing}")


def a_phone_polls(deployment: Deployment) -> None:
    """Traffic goes on: plugin requests reach the new workers (which start their outbox sweeps)."""
    for phone in deployment.phones:
        for token in phone.tokens.values():
            phone.poll(token)


def shown_deliveries(deployment: Deployment) -> str:
    shown = subprocess.run(
        [sys.executable, "-m", "edupush_token.cli", "deliveries", "--config", str(deployment.instance.config_file)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shown.returncode == 0, shown.stderr
    return shown.stdout


def assert_each_sent_once(fcm, deployment: Deployment, healed_after: float) -> None:
    nonces = delivered_nonces(fcm)
    print(
        f"\n{len(nonces)} of {LOGINS} pushes delivered, {sum(nonces.values()) - len(nonces)} duplicates, "
        f"{failed_attempts(fcm)} failed attempts before; {healed_after:.1f} s from healing to the last delivery"
    )
    assert len(nonces) == LOGINS, f"{LOGINS - len(nonces)} of {LOGINS} pushes lost"
    assert set(nonces.values()) == {1}, f"duplicated: {[nonce for nonce, count in nonces.items() if count > 1]}"
    summary = shown_deliveries(deployment).strip().splitlines()[-1]
    assert summary == f"outbox: {LOGINS} sent; 0 overdue", summary


def scrape(deployment: Deployment) -> dict:
    """The metrics as Prometheus would scrape them from eduMFA, summed over the workers."""
    response = requests.get(
        deployment.url + ENDPOINT_PATH,
        params={METRICS_PARAMETER: ""},
        headers={"Authorization": f"Bearer {deployment.admin.token}"},
        timeout=TIMEOUT,
    )
    assert response.status_code == 200, response.text
    return from_text(response.text)


def fail_then_heal(fcm, deployment: Deployment, disrupt, hang=None, tried=LOGINS, traffic=True, while_down=None):
    """Firebase down, logins, ``disrupt``, Firebase healed: every push arrives once (``traffic``: phones poll)."""
    fcm.add_fault("send", error_code="UNAVAILABLE", retry_after=RETRY_AFTER, hang=hang, times=None)
    trigger_logins(deployment)
    while len(fcm.messages) < tried:  # pushes were tried (and wait for their retry, or hang)
        time.sleep(0.1)
    if while_down is not None:
        while_down()
    disrupt()
    fcm.clear_faults()
    healed = time.monotonic()
    if traffic:
        a_phone_polls(deployment)
    wait_for_deliveries(fcm, LOGINS, within=VALIDITY)
    healed_after = time.monotonic() - healed
    time.sleep(RETRY_AFTER + 1)  # a duplicate would arrive by now
    assert_each_sent_once(fcm, deployment, healed_after)


def kill_every_worker(deployment: Deployment) -> None:
    workers = workers_of(deployment.server)
    for pid in workers:
        os.kill(pid, signal.SIGKILL)
    wait_for_workers(deployment.server, replacing=workers)


@pytest.mark.parametrize("deployment", ["postgresql", "sqlite"], indirect=True)
def test_pushes_of_killed_workers_are_sent_by_their_successors(deployment, fcm):
    """The metrics tell the story: every push retrying while Firebase is down, each sent once after."""

    def all_retrying():
        deadline = time.monotonic() + VALIDITY / 2
        while value(scrape(deployment), series.OUTBOX_STATES.name, state="retrying") < LOGINS:
            assert time.monotonic() < deadline, "not every push was tried"
            time.sleep(0.5)
        down = scrape(deployment)
        assert value(down, series.PUSHES.name) == 0
        assert value(down, series.ATTEMPTS.name, gateway=GATEWAY, result="transient") >= LOGINS
        assert value(down, series.PI_DELIVERIES.name, gateway=GATEWAY, result="failed") >= LOGINS
        assert value(down, series.PI_DELIVERIES.name, result="ok") == 0

    fail_then_heal(fcm, deployment, lambda: kill_every_worker(deployment), while_down=all_retrying)
    healed = scrape(deployment)
    latency = series.DELIVERY_LATENCY.name
    print(
        f"metrics: {value(healed, series.PUSHES.name, outcome='sent'):.0f} sent, "
        f"{value(healed, series.ATTEMPTS.name, result='transient'):.0f} transient attempts, "
        f"mean latency {value(healed, f'{latency}_sum') / max(1, value(healed, f'{latency}_count')):.1f} s"
    )
    assert value(healed, series.PUSHES.name, gateway=GATEWAY, outcome="sent") == LOGINS  # killed workers' too
    assert value(healed, series.PUSHES.name) == LOGINS
    assert value(healed, series.ATTEMPTS.name, gateway=GATEWAY, result="sent") == LOGINS
    assert value(healed, series.PI_DELIVERIES.name, gateway=GATEWAY, result="ok") == LOGINS
    assert value(healed, series.ATTEMPTS.name, result="transient") <= failed_attempts(fcm)
    assert value(healed, f"{latency}_count", gateway=GATEWAY) == LOGINS
    assert value(healed, f"{latency}_bucket", gateway=GATEWAY, le="1.0") == 0  # each waited out the outage
    assert value(healed, series.OUTBOX_OVERDUE.name) == 0
    assert value(healed, series.OUTBOX_STATES.name, state="sent") == LOGINS


def test_restarted_workers_send_the_pushes_without_waiting_for_a_request(deployment, fcm):
    """No phone polls and no login comes after the kill: the new workers sweep from their boot."""
    fail_then_heal(fcm, deployment, lambda: kill_every_worker(deployment), traffic=False)


def test_pushes_held_by_killed_workers_are_taken_over_when_their_leases_end(deployment, fcm):
    """Killed while Firebase hangs: the pushes being sent and those queued behind them are all held."""
    fail_then_heal(fcm, deployment, lambda: kill_every_worker(deployment), hang=10.0, tried=WORKERS)


def test_a_graceful_reload_hands_the_pushes_over(deployment, fcm):
    def reload():
        workers = workers_of(deployment.server)
        os.kill(deployment.server.process.pid, signal.SIGHUP)
        wait_for_workers(deployment.server, replacing=workers)

    fail_then_heal(fcm, deployment, reload)


@contextlib.contextmanager
def timeline(deployment: Deployment, fcm):
    """With ``EDUPUSH_METRICS_TIMELINE`` set: a scrape every half second, written there (bench/metrics_chart.py)."""
    path = os.environ.get(TIMELINE_VARIABLE)
    if not path:
        yield
        return
    samples, done = [], threading.Event()

    def sample():
        while not done.wait(0.5):
            metrics = scrape(deployment)
            samples.append(
                {
                    "t": time.monotonic(),
                    "down": bool(fcm.pending_faults()["send"]),
                    "sent": value(metrics, series.PUSHES.name, outcome="sent"),
                    "refused": value(metrics, series.PI_DELIVERIES.name, result="failed"),
                    "retrying": value(metrics, series.OUTBOX_STATES.name, state="retrying"),
                    "overdue": value(metrics, series.OUTBOX_OVERDUE.name),
                }
            )

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield
        time.sleep(2)
    finally:
        done.set()
        sampler.join()
        Path(path).write_text(json.dumps(samples))


def test_a_firebase_outage_longer_than_a_retry_budget_loses_no_push(deployment, fcm):
    with timeline(deployment, fcm):
        fail_then_heal(fcm, deployment, lambda: time.sleep(25))


def test_a_worker_killed_after_firebase_accepted_makes_the_push_arrive_twice_and_counted_once(deployment, fcm):
    """The edge of "exactly once": Firebase took the push, its worker died before writing so.

    The stand-in accepts the push after a pause (as FCM does with a request
    whose sender has gone); the push stays due, and a successor sends it again
    when the lease ends.  The phone shows it once; the metrics count one push.
    """
    fcm.add_fault("send", hang=HANG)  # then answers 200, whoever still listens
    requests.post(
        f"{deployment.url}/validate/triggerchallenge",
        json={"serial": deployment.serials[0]},
        headers={"Authorization": deployment.admin.token},
        timeout=TIMEOUT,
    ).raise_for_status()
    while not fcm.messages:
        time.sleep(0.05)
    kill_every_worker(deployment)
    deadline = time.monotonic() + catalogue.LEASE_SECONDS + VALIDITY / 2
    while sum(delivered_nonces(fcm).values()) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    [(nonce, arrivals)] = delivered_nonces(fcm).items()
    assert arrivals == 2  # at least once: the successor could not know Firebase had it
    phone = deployment.phones[0]
    shown = [phone.receive_push(data_of(record)) for record in fcm.delivered()]
    assert shown[0] is not None and shown[1] is None, phone.last_drop_reason  # the app ignores a nonce it has seen
    metrics = scrape(deployment)
    assert value(metrics, series.PUSHES.name, outcome="sent") == 1
    assert value(metrics, series.PI_DELIVERIES.name, result="ok") == 1  # the dead worker never counted its attempt
    summary = shown_deliveries(deployment).strip().splitlines()[-1]
    assert summary == "outbox: 1 sent; 0 overdue", summary
