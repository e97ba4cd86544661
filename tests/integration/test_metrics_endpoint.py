"""The metrics as an admin's scrape of the host (eduMFA or privacyIDEA) sees them, after real enrollments, logins, answers and refusals."""

import os
import subprocess
import sys
import time

import pytest

from edupush_token import catalogue, runtime
from edupush_token.catalogue import ENDPOINT_PATH, MAX_OPEN, METRICS_PARAMETER, MIN_INTERVAL, Config
from edupush_token.limits import Limit
from edupush_token.metrics import series
from edupush_token.metrics.series import MULTIPROCESS_DIRECTORY
from support import action, actions, host_library
from support.metrics import from_text, value

pytestmark = pytest.mark.both_hosts

GATEWAY = "fcm-metrics"


@pytest.fixture
def firebase(app, admin, push_policies, tmp_path):
    from edupush_token.devtools.fake_fcm import FakeFCM

    with FakeFCM() as fcm:
        account = tmp_path / "service-account.json"
        fcm.create_service_account(account)
        app.config[Config.FCM_URL] = fcm.base_url
        app.config[Config.FCM_TIMEOUT] = 2.0
        admin.post(
            "/smsgateway",
            {
                "name": GATEWAY,
                "module": host_library().firebase_provider,
                f"option.{catalogue.FIREBASE_SERVICE_ACCOUNT_OPTION}": str(account),
            },
        )
        admin.set_policy("edupushplus-firebase", "enrollment", action(catalogue.FIREBASE_CONFIG, GATEWAY))
        yield fcm
        runtime.deliveries.wait_idle(15)


def scrape(client, authorization):
    return client.get(ENDPOINT_PATH, query_string={METRICS_PARAMETER: ""}, headers={"Authorization": authorization})


def scraped(client, admin):
    response = scrape(client, f"Bearer {admin.token}")  # as Prometheus sends it
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/plain"
    return from_text(response.get_data(as_text=True))


def wait_until(condition, within=20.0):
    deadline = time.monotonic() + within
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert condition()


def test_only_an_admin_may_scrape(client, admin):
    assert scrape(client, None).status_code == 401
    assert scrape(client, "not a token").status_code == 401
    assert scrape(client, admin.token).status_code == 200  # eduMFA's own way: the bare token


@pytest.mark.both_engines
def test_a_scrape_tells_what_happened(app, client, admin, firebase, start_enrollment, phone, trigger, validate):
    before = scraped(client, admin)
    token = phone.enroll(phone.scan(start_enrollment()["pushurl"]["value"]))

    firebase.add_fault("send", error_code="UNAVAILABLE", retry_after=1)  # the first attempt: 503, retried
    trigger()
    trigger()
    wait_until(lambda: len(firebase.delivered(token.firebase_token)) == 2)
    first, second = phone.poll(token)
    phone.accept(first)
    phone.decline(second)
    admin.set_policy("edupushplus-limits", "authentication", actions({MAX_OPEN: 1, MIN_INTERVAL: MIN_INTERVAL.low}))
    trigger()
    assert validate(**{"pass": "1234"})[1]["result"]["authentication"] == "REJECT"  # one open already
    runtime.deliveries.wait_idle(15)
    wait_until(
        lambda: (
            value(scraped(client, admin), series.PUSHES.name, gateway=GATEWAY)
            - value(before, series.PUSHES.name, gateway=GATEWAY)
            == 3
        )
    )

    after = scraped(client, admin)

    def grew(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew(series.PUSHES.name, gateway=GATEWAY, outcome="sent") == 3
    assert grew(series.ATTEMPTS.name, gateway=GATEWAY, result="transient") == 1
    assert grew(series.ATTEMPTS.name, gateway=GATEWAY, result="sent") == 3
    assert grew(series.PI_DELIVERIES.name, gateway=GATEWAY, result="failed") == 1  # Firebase answered 503
    assert grew(series.PI_DELIVERIES.name, gateway=GATEWAY, result="ok") == 3
    assert grew(f"{series.PI_DURATION.name}_count", gateway=GATEWAY) == 4
    latency = f"{series.DELIVERY_LATENCY.name}_bucket"
    assert grew(latency, gateway=GATEWAY, le="+Inf") == 3
    assert grew(latency, gateway=GATEWAY, le="0.5") <= 2  # the retried one waited for Retry-After (1 s)
    assert grew(series.ANSWERS.name, outcome="accepted") == 1
    assert grew(series.ANSWERS.name, outcome="declined") == 1
    assert grew(series.LIMIT_REFUSALS.name, limit=Limit.OPEN_REQUESTS.value) == 1
    assert value(after, series.OUTBOX_OVERDUE.name) == 0  # read from this test's database
    assert value(after, series.OUTBOX_STATES.name, state="sent") == 3


def run_cli(*args, **environment):
    return subprocess.run(
        [sys.executable, "-m", "edupush_token.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **environment},
    )


def test_the_command_writes_the_outbox_and_what_other_processes_counted(instance, enrolled, trigger, tmp_path):
    trigger()  # a poll-only push, in the database
    directory = str(tmp_path / "prometheus")
    counting = "from edupush_token.metrics.recorder import recorder; from edupush_token.metrics.series import Answer; "
    counting += "recorder.answered(Answer.DECLINED)"
    worker = subprocess.run([sys.executable, "-c", counting], env={**os.environ, MULTIPROCESS_DIRECTORY: directory})
    assert worker.returncode == 0
    textfile = tmp_path / "edupushplus.prom"
    config = str(instance.config_file)
    result = run_cli("metrics", "--config", config, "--textfile", str(textfile), **{MULTIPROCESS_DIRECTORY: directory})
    assert result.returncode == 0 and result.stderr == "", result.stderr
    written = from_text(textfile.read_text())
    assert value(written, series.ANSWERS.name, outcome="declined") == 1  # counted by a process that has ended
    assert value(written, series.OUTBOX_STATES.name, state="poll-only") == 1
    alone = run_cli("metrics", "--config", config)
    assert "only the outbox" in alone.stderr
    assert value(from_text(alone.stdout), series.OUTBOX_OVERDUE.name) == 0
    assert series.ANSWERS.name not in alone.stdout
