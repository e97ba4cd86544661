"""The recorder and the text format: what each event counts, across processes, and the outbox read at scrape time."""

import logging
import os
from datetime import timedelta

import pytest
from prometheus_client import CollectorRegistry, Counter, values
from prometheus_client.values import MultiProcessValue

from edupush_token.delivery import DeliveryState
from edupush_token.delivery.outbox import OutboxSummary
from edupush_token.lifecycle import utc_now
from edupush_token.limits import Limit
from edupush_token.metrics import exposition, series
from edupush_token.metrics.recorder import Recorder
from edupush_token.metrics.series import Answer, Attempt, Kind, PiResult
from support.metrics import from_registry, from_text, value

GATEWAY = "fcm"


@pytest.fixture
def recorder():
    return Recorder(CollectorRegistry())


def counted(recorder, name, **labels):
    return value(from_registry(recorder.registry), name, **labels)


def test_an_attempt_counts_in_our_words_and_in_privacyideas(recorder):
    recorder.attempt(GATEWAY, Attempt.TRANSIENT, PiResult.ERROR, 0.3)
    recorder.attempt(GATEWAY, Attempt.SENT, PiResult.OK, 0.04)
    assert counted(recorder, series.ATTEMPTS.name, gateway=GATEWAY, result="transient") == 1
    assert counted(recorder, series.ATTEMPTS.name, gateway=GATEWAY, result="sent") == 1
    assert counted(recorder, series.PI_DELIVERIES.name, gateway=GATEWAY, result="error") == 1
    assert counted(recorder, series.PI_DELIVERIES.name, gateway=GATEWAY, result="ok") == 1
    duration = series.PI_DURATION.name
    assert counted(recorder, f"{duration}_count", gateway=GATEWAY) == 2
    assert counted(recorder, f"{duration}_bucket", gateway=GATEWAY, le="0.05") == 1
    assert counted(recorder, f"{duration}_bucket", gateway=GATEWAY, le="0.25") == 1
    assert counted(recorder, f"{duration}_bucket", gateway=GATEWAY, le="0.5") == 2


def test_a_push_counts_once_where_its_delivery_ends_and_a_sent_one_its_latency(recorder):
    recorder.push_ended(GATEWAY, DeliveryState.RETRYING, 1.0)
    recorder.push_ended(GATEWAY, DeliveryState.QUEUED, 1.0)
    assert counted(recorder, series.PUSHES.name) == 0
    recorder.push_ended(GATEWAY, DeliveryState.SENT, 3.0)
    recorder.push_ended(GATEWAY, DeliveryState.FAILED, 9.0)
    recorder.push_ended(GATEWAY, DeliveryState.EXPIRED, None)
    assert counted(recorder, series.PUSHES.name, gateway=GATEWAY, outcome="sent") == 1
    assert counted(recorder, series.PUSHES.name, gateway=GATEWAY, outcome="failed") == 1
    assert counted(recorder, series.PUSHES.name, gateway=GATEWAY, outcome="expired") == 1
    latency = series.DELIVERY_LATENCY.name
    assert counted(recorder, f"{latency}_count") == 1 and counted(recorder, f"{latency}_sum") == 3.0
    assert counted(recorder, f"{latency}_bucket", le="2.5") == 0
    assert counted(recorder, f"{latency}_bucket", le="5.0") == 1


def test_refusals_answers_and_waits(recorder):
    recorder.limit_refused(Limit.HOURLY_CAP)
    recorder.answered(Answer.DECLINED)
    recorder.answered(Answer.REFUSED)
    recorder.wait_slots(7)
    recorder.waiting(+1)
    recorder.waiting(+1)
    recorder.waiting(-1)
    recorder.wait_refused()
    assert counted(recorder, series.LIMIT_REFUSALS.name, limit=Limit.HOURLY_CAP.value) == 1
    assert counted(recorder, series.ANSWERS.name, outcome="declined") == 1
    assert counted(recorder, series.ANSWERS.name, outcome="refused") == 1
    assert counted(recorder, series.WAIT_SLOTS.name) == 7
    assert counted(recorder, series.WAITS_OPEN.name) == 1
    assert counted(recorder, series.WAIT_REFUSALS.name) == 1


def test_recording_never_raises_and_says_so_once(caplog):
    registry = CollectorRegistry()
    Counter(series.LIMIT_REFUSALS.name, "taken by someone else", registry=registry)
    recorder = Recorder(registry)
    with caplog.at_level(logging.WARNING):
        recorder.limit_refused(Limit.COOLDOWN)
        recorder.limit_refused(Limit.COOLDOWN)
    assert len([record for record in caplog.records if "metric" in record.message]) == 1


def a_dead_pid() -> int:
    for pid in range(4_000_000, 4_100_000):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except PermissionError:
            continue
    pytest.skip("no free process id found")


def in_process(pid, monkeypatch):
    """A recorder writing to the multiprocess directory as the process ``pid`` would."""
    monkeypatch.setattr(values, "ValueClass", MultiProcessValue(lambda: pid))
    return Recorder(CollectorRegistry())


def test_a_scrape_sums_the_processes_and_drops_the_gauges_of_dead_ones(tmp_path, monkeypatch):
    monkeypatch.setenv(series.MULTIPROCESS_DIRECTORY, str(tmp_path))
    alive, dead = os.getpid(), a_dead_pid()
    for pid in (alive, dead):
        recorder = in_process(pid, monkeypatch)
        recorder.attempt(GATEWAY, Attempt.SENT, PiResult.OK, 0.1)
        recorder.push_ended(GATEWAY, DeliveryState.SENT, 0.5)
        recorder.waiting(+1)
    scraped = from_text(exposition.render(None, utc_now(), Recorder(CollectorRegistry())).decode())
    assert value(scraped, series.PI_DELIVERIES.name, gateway=GATEWAY, result="ok") == 2
    assert value(scraped, f"{series.DELIVERY_LATENCY.name}_count", gateway=GATEWAY) == 2
    assert value(scraped, series.WAITS_OPEN.name, pid=str(alive)) == 1
    assert value(scraped, series.WAITS_OPEN.name, pid=str(dead)) == 0  # killed: its gauge is gone
    assert any(name.startswith("counter_") and str(dead) in name for name in os.listdir(tmp_path))


def test_a_process_that_ends_normally_takes_its_gauges_along(tmp_path, monkeypatch):
    monkeypatch.setenv(series.MULTIPROCESS_DIRECTORY, str(tmp_path))
    recorder = in_process(os.getpid(), monkeypatch)
    recorder.wait_slots(3)
    recorder.wait_refused()
    recorder.process_ended()
    scraped = from_text(exposition.render(None, utc_now()).decode())
    assert value(scraped, series.WAIT_SLOTS.name) == 0
    assert value(scraped, series.WAIT_REFUSALS.name) == 1


def test_without_a_directory_a_scrape_shows_this_processs_series_only(recorder):
    recorder.answered(Answer.ACCEPTED)
    text = exposition.render(None, utc_now(), recorder).decode()
    assert value(from_text(text), series.ANSWERS.name, outcome="accepted") == 1
    assert "process_cpu_seconds_total" not in text and series.OUTBOX_OVERDUE.name not in text


def test_the_outbox_is_reported_as_read(recorder):
    now = utc_now()
    summary = OutboxSummary({"sent": 3, "retrying": 2}, overdue=2, oldest_overdue=now - timedelta(seconds=7))
    scraped = from_text(exposition.render(summary, now, recorder).decode())
    assert value(scraped, series.OUTBOX_OVERDUE.name) == 2
    assert value(scraped, series.OUTBOX_OLDEST.name) == 7
    assert value(scraped, series.OUTBOX_STATES.name, state="retrying") == 2
    empty = from_text(exposition.render(OutboxSummary({}, 0, None), now, recorder).decode())
    assert value(empty, series.OUTBOX_OLDEST.name) == 0 and value(empty, series.OUTBOX_OVERDUE.name) == 0


def test_the_textfile_is_the_scrape(tmp_path, recorder, monkeypatch):
    monkeypatch.delenv(series.MULTIPROCESS_DIRECTORY, raising=False)
    target = tmp_path / "edupushplus.prom"
    exposition.write_textfile(target, OutboxSummary({}, 4, utc_now()), utc_now())
    assert value(from_text(target.read_text()), series.OUTBOX_OVERDUE.name) == 4
    assert os.listdir(tmp_path) == ["edupushplus.prom"]


def test_every_series_has_its_own_name_and_counters_end_in_total():
    names = [which.name for which in series.ALL]
    assert len(set(names)) == len(names)
    assert all(which.name.endswith("_total") == (which.kind is Kind.COUNTER) for which in series.ALL)
    assert {"push_delivery_total", "push_delivery_duration_seconds"} <= set(names)  # privacyIDEA 3.14's
