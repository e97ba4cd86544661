"""`edupush-token policies load|export|list`: the ready sets into eduMFA and back, idempotently."""

from __future__ import annotations

import json

import pytest

from edupush_token import policy_sets
from edupush_token.catalogue import (
    EDUMFA_FIREBASE_PROVIDER,
    ENDPOINT_PATH,
    FIREBASE_CONFIG,
    FIREBASE_SERVICE_ACCOUNT_OPTION,
    MOBILE_TEXT,
    REGISTRATION_URL,
    SYNCHRONOUS_DELIVERY,
    WAIT,
)
from edupush_token.cli import main
from edupush_token.commands.policies import LoadStatus
from edupush_token.devtools.fake_fcm import generate_service_account, write_service_account
from edupush_token.hosts.edumfa.app import app_context
from support import action

PUBLIC_URL = "https://mfa.example.edu"


@pytest.fixture
def cli(capsys):
    """Run ``edupush-token ARGS`` in this process; returns (exit code, stdout, stderr)."""

    def run(*args):
        code = main([str(arg) for arg in args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def stored_policies(instance):
    """Every policy as eduMFA's exporter sees it."""
    from edumfa.commands.manage.helper import get_conf_policy

    with app_context(instance.config_file):
        return get_conf_policy()


def mark_config_timestamp(instance):
    """Set eduMFA's "config changed" timestamp to 0, so any later write shows."""
    from edumfa.models import EDUMFA_TIMESTAMP, Config, db

    with app_context(instance.config_file):
        Config.query.filter_by(Key=EDUMFA_TIMESTAMP).update({"Value": "0"})
        db.session.commit()


def config_timestamp(instance):
    from edumfa.models import EDUMFA_TIMESTAMP, Config

    with app_context(instance.config_file):
        return Config.query.filter_by(Key=EDUMFA_TIMESTAMP).one().Value


def test_load_adds_the_ready_set_with_the_public_url(cli, instance, admin):
    code, out, _err = cli("policies", "load", "poll-only", "--public-url", PUBLIC_URL, "--config", instance.config_file)
    assert code == LoadStatus.CHANGED
    assert out.splitlines() == ["edupushplus-enrollment: added", "edupushplus-authentication: added"]
    [policy] = admin.get("/policy/edupushplus-enrollment")["result"]["value"]
    assert policy["action"][REGISTRATION_URL.name] == f"{PUBLIC_URL}{ENDPOINT_PATH}"


def test_loading_twice_changes_nothing(cli, instance):
    sets = ("poll-only", "push-wait", "enroll-at-login")
    cli("policies", "load", *sets, "--public-url", PUBLIC_URL, "--config", instance.config_file)
    before = stored_policies(instance)
    mark_config_timestamp(instance)
    code, out, _err = cli("policies", "load", *sets, "--public-url", PUBLIC_URL, "--config", instance.config_file)
    assert code == LoadStatus.UNCHANGED
    assert [line.split(": ")[1] for line in out.splitlines()] == ["unchanged"] * 4
    assert stored_policies(instance) == before
    assert config_timestamp(instance) == "0"  # no node is told to reload


def test_a_rerun_never_reverts_what_an_admin_changed_unless_forced(cli, instance, admin):
    cli("policies", "load", "poll-only", "push-wait", "--public-url", PUBLIC_URL, "--config", instance.config_file)
    admin.set_policy("edupushplus-push-wait", "authentication", action(WAIT, 60), realm="demo")
    admin.delete("/policy/edupushplus-authentication")
    assert admin.get("/policy/edupushplus-authentication")["result"]["value"] == []  # eduMFA's cache reads it now
    mark_config_timestamp(instance)
    arguments = ("policies", "load", "poll-only", "push-wait", "--public-url", PUBLIC_URL)
    code, out, err = cli(*arguments, "--config", instance.config_file)
    assert code == LoadStatus.REFUSED
    assert "edupushplus-push-wait: differs (action)\n    edupushplus_wait: '60' -> '20'" in out
    assert "nothing was written" in err and "--force" in err
    assert config_timestamp(instance) == "0"
    assert admin.get("/policy/edupushplus-authentication")["result"]["value"] == []  # not even the missing one

    code, out, _err = cli(*arguments, "--force", "--config", instance.config_file)
    assert code == LoadStatus.CHANGED
    assert "edupushplus-push-wait: updated (action)" in out and "edupushplus-authentication: added" in out
    [policy] = admin.get("/policy/edupushplus-push-wait")["result"]["value"]
    assert policy["action"] == {WAIT.name: "20"}
    assert policy["realm"] == ["demo"]  # eduMFA's importer keeps fields the file does not set


def test_a_firebase_gateway_is_set_and_must_exist(cli, instance, admin, tmp_path):
    arguments = ("policies", "load", "poll-only", "--public-url", PUBLIC_URL, "--config", instance.config_file)
    code, _out, err = cli(*arguments, "--firebase-gateway", "fcm-prod")
    assert code == LoadStatus.REFUSED and "no Firebase gateway of that name" in err
    assert admin.get("/policy/edupushplus-enrollment")["result"]["value"] == []
    service_account = tmp_path / "service-account.json"
    write_service_account(service_account, generate_service_account("edupush-test", "https://127.0.0.1:9/token"))
    admin.post(
        "/smsgateway",
        {
            "name": "fcm-prod",
            "module": EDUMFA_FIREBASE_PROVIDER,
            f"option.{FIREBASE_SERVICE_ACCOUNT_OPTION}": str(service_account),
        },
    )
    code, _out, _err = cli(*arguments, "--firebase-gateway", "fcm-prod")
    assert code == LoadStatus.CHANGED
    [policy] = admin.get("/policy/edupushplus-enrollment")["result"]["value"]
    assert policy["action"][FIREBASE_CONFIG.name] == "fcm-prod"


@pytest.mark.parametrize(
    "scope, action_text, words",
    [
        ("authentication", f"{MOBILE_TEXT.name[:-1]}=Hi", f"did you mean {MOBILE_TEXT.name}?"),
        ("enrollment", action(WAIT, 20), f"{WAIT.name} belongs in the authentication scope"),
        ("authentication", action(WAIT, "twenty"), "whole number from 1 to 300, not 'twenty'"),
        ("authentication", action(SYNCHRONOUS_DELIVERY, "false"), "is a switch"),
        ("authentication", "otpin=userstore", "did you mean otppin?"),
        ("authenticaton", "otppin=userstore", "did you mean authentication?"),
    ],
)
def test_a_bad_policy_file_writes_nothing(cli, instance, admin, tmp_path, scope, action_text, words):
    bad = {"name": "bad", "scope": scope, "action": action_text}
    path = tmp_path / "policies.json"
    path.write_text(
        policy_sets.file_text([{"name": "good", "scope": "authentication", "action": action(WAIT, 5)}, bad])
    )
    code, _out, err = cli("policies", "load", path, "--config", instance.config_file)
    assert code == LoadStatus.REFUSED
    assert "nothing was loaded" in err and words in err
    assert admin.get("/policy/good")["result"]["value"] == []


def test_export_then_load_round_trips(cli, instance, admin, tmp_path):
    cli("policies", "load", "poll-only", "push-wait", "--public-url", PUBLIC_URL, "--config", instance.config_file)
    admin.set_policy(
        "edupushplus-push-wait", "authentication", action(WAIT, 30), realm="demo", priority=3, client="10.0.0.0/8"
    )
    admin.post("/policy/disable/edupushplus-push-wait")
    admin.set_policy("unrelated", "authentication", "otppin=userstore")
    exported = tmp_path / "exported.json"
    code, _out, err = cli("policies", "export", "--output", exported, "--config", instance.config_file)
    assert code == 0 and "3 policies written" in err
    entries = {policy["name"]: policy for policy in json.loads(exported.read_text())["policy"]}
    assert set(entries) == {"edupushplus-enrollment", "edupushplus-authentication", "edupushplus-push-wait"}
    assert entries["edupushplus-push-wait"] == {
        "name": "edupushplus-push-wait",
        "scope": "authentication",
        "action": action(WAIT, 30),
        "active": False,
        "priority": 3,
        "realm": "demo",
        "client": "10.0.0.0/8",
    }
    before = stored_policies(instance)
    code, out, _err = cli("policies", "load", exported, "--config", instance.config_file)
    assert code == LoadStatus.UNCHANGED and out.count("unchanged") == 3
    assert stored_policies(instance) == before


def test_an_export_loads_into_another_eduMFA(cli, instance, edumfa_template, tmp_path):
    cli(
        "policies", "load", "poll-only", "enroll-at-login", "--public-url", PUBLIC_URL, "--config", instance.config_file
    )
    exported = tmp_path / "exported.json"
    cli("policies", "export", "--output", exported, "--config", instance.config_file)
    other = edumfa_template.clone(tmp_path / "other")
    cli("policies", "load", exported, "--config", other.config_file)
    assert stored_policies(other) == stored_policies(instance)


def test_export_to_standard_output_by_name(cli, instance):
    cli("policies", "load", "push-wait", "--config", instance.config_file)
    code, out, _err = cli("policies", "export", "edupushplus-push-wait", "--config", instance.config_file)
    assert code == 0
    assert json.loads(out) == json.loads(policy_sets.resolve("push-wait").read_text())


def test_export_of_an_unknown_policy_is_an_error(cli, instance):
    code, _out, err = cli("policies", "export", "nope", "--config", instance.config_file)
    assert code == 2 and "eduMFA has no policy named nope" in err


def test_the_placeholder_url_is_refused(cli, instance):
    code, _out, err = cli("policies", "load", "poll-only", "--config", instance.config_file)
    assert code == LoadStatus.REFUSED and "--public-url" in err and "https://edumfa.example.org" in err


def test_an_unknown_set_is_an_error(cli, instance):
    code, _out, err = cli("policies", "load", "no-such-set", "--config", instance.config_file)
    assert code == LoadStatus.REFUSED and "ready sets: edupushplus-enroll-at-login" in err


def test_a_missing_configuration_is_an_error(cli, tmp_path):
    code, _out, err = cli("policies", "export", "--config", tmp_path / "edumfa.cfg")
    assert code == 2 and "no eduMFA configuration" in err


def test_edumfa_manage_export_format_loads(cli, instance, tmp_path, admin):
    """What `edumfa-manage config export -t policy` writes: a Python literal with True/False/None."""
    literal = tmp_path / "policies.py"
    literal.write_text(
        repr(
            {
                "policy": [
                    {
                        "name": "from-manage",
                        "scope": "authentication",
                        "action": {WAIT.name: "15"},
                        "active": True,
                        "check_all_resolvers": False,
                        "realm": ["demo"],
                        "time": "",
                        "conditions": [],
                        "priority": 1,
                        "adminrealm": [],
                        "user": [],
                        "client": [],
                        "resolver": [],
                        "edumfanode": [],
                        "adminuser": [],
                    }
                ]
            }
        )
    )
    code, out, _err = cli("policies", "load", literal, "--config", instance.config_file)
    assert (code, out.strip()) == (LoadStatus.CHANGED, "from-manage: added")
    [policy] = admin.get("/policy/from-manage")["result"]["value"]
    assert policy["action"] == {WAIT.name: "15"} and policy["realm"] == ["demo"]


def test_list_shows_the_ready_sets(cli):
    code, out, _err = cli("policies", "list")
    assert code == 0
    assert "edupushplus-poll-only: edupushplus-enrollment, edupushplus-authentication" in out.splitlines()


def test_the_config_file_comes_from_edumfa_configfile_as_for_edumfa(cli, instance, admin, monkeypatch):
    monkeypatch.setenv("EDUMFA_CONFIGFILE", str(instance.config_file))
    code, out, _err = cli("policies", "load", "push-wait")
    assert (code, out.strip()) == (LoadStatus.CHANGED, "edupushplus-push-wait: added")
    assert admin.get("/policy/edupushplus-push-wait")["result"]["value"]
