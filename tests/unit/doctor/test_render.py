"""The report says which edupush-token on which eduMFA it comes from: the first thing support asks."""

import json
from importlib import metadata

from edupush_token import __version__
from edupush_token.doctor.deployment import WorkerSetup
from edupush_token.doctor.examine import examine
from edupush_token.doctor.render import as_json, as_text
from edupush_token.hosts import inspection

from .factory import CONFIG_FILE

INSTALLED = f"edupush-token {__version__} on eduMFA {metadata.version('edumfa')}"


def test_the_text_report_starts_with_both_versions(make_deployment, web, monkeypatch):
    monkeypatch.setattr(inspection, "inspect", lambda config_file: make_deployment())
    report = examine(CONFIG_FILE, web, WorkerSetup("gthread", 8, "test"))
    assert as_text(report).splitlines()[:2] == [f"edupush-token doctor: {CONFIG_FILE}", INSTALLED]


def test_an_unreadable_deployment_still_names_the_versions(monkeypatch):
    def unreadable(config_file):
        raise inspection.UnreadableDeployment("no eduMFA configuration")

    monkeypatch.setattr(inspection, "inspect", unreadable)
    assert as_text(examine(CONFIG_FILE)).splitlines()[1] == INSTALLED


def test_the_json_report_names_both_versions(make_deployment, web, monkeypatch):
    monkeypatch.setattr(inspection, "inspect", lambda config_file: make_deployment())
    report = json.loads(as_json(examine(CONFIG_FILE, web)))
    assert (report["edupush_token_version"], report["host"]) == (__version__, f"eduMFA {metadata.version('edumfa')}")
