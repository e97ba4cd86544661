"""The ready-made policy sets in policies/ load with eduMFA's own importer and work."""

import ast
import json
from pathlib import Path

import pytest

from edupush_token.catalogue import ENDPOINT_PATH, TOKEN_TYPE, WAIT
from edupush_token.policy_sets import PLACEHOLDER_URL
from support import PIN

POLICY_DIR = Path(__file__).resolve().parents[2] / "policies"
POLICY_FILES = sorted(POLICY_DIR.glob("*.json"))


def test_there_are_policy_sets():
    assert {path.name for path in POLICY_FILES} >= {
        "edupushplus-poll-only.json",
        "edupushplus-push-wait.json",
        "edupushplus-enroll-at-login.json",
        "edupushplus-number-matching.json",
    }


@pytest.mark.parametrize("path", POLICY_FILES, ids=lambda path: path.name)
def test_each_file_is_json_and_what_edumfa_manage_reads(path):
    text = path.read_text()
    assert json.loads(text) == ast.literal_eval(text)


@pytest.mark.parametrize("path", POLICY_FILES, ids=lambda path: path.name)
def test_every_action_is_one_edumfa_knows(admin, path):
    definitions = admin.get("/policy/defs")["result"]["value"]
    for policy in json.loads(path.read_text())["policy"]:
        known = definitions[policy["scope"]]
        for action in policy["action"].split(","):
            name = action.split("=", 1)[0].strip()
            assert name in known, f"{path.name}: {name} is not a {policy['scope']} action"


def import_with_edumfa(app, path):
    """What `edumfa-manage config import policy -f <path> -u` does."""
    from edumfa.commands.manage.helper import import_conf_policy

    with app.app_context():
        import_conf_policy(ast.literal_eval(path.read_text())["policy"], update=True)


def test_loading_is_repeatable(app, admin):
    for _ in range(2):
        import_with_edumfa(app, POLICY_DIR / "edupushplus-poll-only.json")
    names = [policy["name"] for policy in admin.get("/policy/")["result"]["value"]]
    assert sorted(names) == ["edupushplus-authentication", "edupushplus-enrollment"]


def test_poll_only_set_enrolls_and_logs_in(app, admin, phone, validate):
    import_with_edumfa(app, POLICY_DIR / "edupushplus-poll-only.json")
    detail = admin.post("/token/init", {"type": TOKEN_TYPE, "genkey": 1, "user": "alice", "realm": "demo", "pin": PIN})[
        "detail"
    ]
    token = phone.enroll(phone.scan(detail["pushurl"]["value"]))
    _status, body = validate(**{"pass": PIN})
    [request] = phone.poll(token)
    assert request.url == PLACEHOLDER_URL + ENDPOINT_PATH
    phone.accept(request)
    _status, done = validate(**{"pass": "", "transaction_id": body["detail"]["transaction_id"]})
    assert done["result"]["authentication"] == "ACCEPT"


def test_push_wait_set_sets_twenty_seconds(app, admin):
    import_with_edumfa(app, POLICY_DIR / "edupushplus-push-wait.json")
    [policy] = admin.get("/policy/edupushplus-push-wait")["result"]["value"]
    assert policy["action"] == {WAIT.name: "20"}


def test_number_matching_set_enrolls_the_privacyidea_app_and_matches_numbers(app, admin, client, validate):
    from edupush_token.devtools.phone import FlaskClientTransport, PiAuthenticator

    for name in ("edupushplus-poll-only.json", "edupushplus-number-matching.json"):
        import_with_edumfa(app, POLICY_DIR / name)
    detail = admin.post("/token/init", {"type": TOKEN_TYPE, "genkey": 1, "user": "alice", "realm": "demo", "pin": PIN})[
        "detail"
    ]
    phone = PiAuthenticator(FlaskClientTransport(client), key_size=2048)
    token = phone.enroll(phone.scan(detail["pushurl"]["value"]))
    _status, body = validate(**{"pass": PIN})
    right = body["detail"]["multi_challenge"][0]["presence_answer"]
    [request] = phone.poll(token)
    assert len(request.options) == 3
    phone.press(request, right)
    _status, done = validate(**{"pass": "", "transaction_id": body["detail"]["transaction_id"]})
    assert done["result"]["authentication"] == "ACCEPT"
