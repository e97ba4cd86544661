"""examine: every check runs on the deployment read, and what stops the doctor before the checks."""

import sys

import pytest

from edupush_token.catalogue import Config
from edupush_token.doctor.checks.firebase import GOOGLE_TOKEN_URI
from edupush_token.doctor.deployment import WorkerSetup
from edupush_token.doctor.examine import examine
from edupush_token.doctor.findings import Severity
from edupush_token.hosts import inspection

from .factory import CONFIG_FILE, URL, FakeWeb, accepting_probe, endpoint_answer, only


@pytest.fixture
def read_as(monkeypatch):
    """Make ``examine`` read this deployment (or raise this exception) instead of a real eduMFA's."""

    def use(deployment_or_problem):
        def inspect(config_file):
            if isinstance(deployment_or_problem, Exception):
                raise deployment_or_problem
            return deployment_or_problem

        monkeypatch.setattr(inspection, "inspect", inspect)

    return use


def test_sound_deployment_passes_every_check(make_deployment, web, read_as):
    read_as(make_deployment())
    report = examine(CONFIG_FILE, web, WorkerSetup("gthread", 8, "test"), probe=accepting_probe)
    assert report.findings == [] and not report.failed
    assert len(report.results) == 22
    assert set(web.asked) == {URL, GOOGLE_TOKEN_URI}  # the clock is read from the same servers


def test_findings_are_collected_per_check(make_deployment, read_as):
    read_as(make_deployment(settings={Config.FCM_URL: "http://127.0.0.1:8765"}))
    web = FakeWeb({URL: endpoint_answer(URL, offset=-60)})
    report = examine(CONFIG_FILE, web, clock_references=[URL], probe=accepting_probe)
    assert {title: [finding.code for finding in findings] for title, findings in report.results if findings} == {
        "pushes go to Firebase": ["fcm-url-overridden"],
        "clock": ["clock-skew"],
    }
    assert report.failed and report.count(Severity.WARNING) == 1


def test_deployment_unreadable(read_as):
    read_as(inspection.UnreadableDeployment(f"no eduMFA configuration at {CONFIG_FILE}"))
    report = examine(CONFIG_FILE, FakeWeb(), probe=accepting_probe)
    finding = only(report.findings, "deployment-unreadable", Severity.ERROR)
    assert finding.problem == f"no eduMFA configuration at {CONFIG_FILE}"
    assert report.failed


def test_plugin_not_importable(monkeypatch):
    monkeypatch.setitem(sys.modules, inspection.__name__, None)  # importing it raises ModuleNotFoundError
    report = examine(CONFIG_FILE, FakeWeb(), probe=accepting_probe)
    finding = only(report.findings, "plugin-not-importable", Severity.ERROR)
    assert finding.problem.startswith("The edupushplus plugin does not import: ModuleNotFoundError: ")
