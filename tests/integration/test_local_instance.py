"""The harness itself, against a real eduMFA: what every other eduMFA test builds on."""

from __future__ import annotations

import stat

import pytest
import requests

from edupush_token.catalogue import TOKEN_TYPE
from edupush_token.devtools.local_instance import DEMO_USERS, LocalInstance


def test_admin_can_authenticate(client, instance):
    response = client.post("/auth", json={"username": "admin", "password": instance.admin_password})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.json["result"]["value"]["role"] == "admin"


def test_wrong_admin_password_is_rejected(client):
    response = client.post("/auth", json={"username": "admin", "password": "wrong"})
    assert response.status_code == 401


def test_demo_realm_is_the_default_and_resolves_its_users(admin):
    realms = admin.get("/realm/")["result"]["value"]
    assert realms["demo"]["default"] is True
    users = {user["username"]: user for user in admin.get("/user/", {"realm": "demo"})["result"]["value"]}
    assert set(users) == {user.username for user in DEMO_USERS}
    for expected in DEMO_USERS:
        assert users[expected.username]["givenname"] == expected.givenname
        assert users[expected.username]["surname"] == expected.surname
        assert users[expected.username]["email"] == expected.email


def test_demo_user_can_log_in_with_the_documented_password(client):
    alice = DEMO_USERS[0]
    response = client.post("/auth", json={"username": alice.username, "realm": "demo", "password": alice.password})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.json["result"]["value"]["role"] == "user"


def test_policies_set_through_the_api_are_visible(admin):
    admin.set_policy("harness-check", "enrollment", "max_token_per_user=2")
    policy = admin.get("/policy/harness-check")["result"]["value"][0]
    assert policy["realm"] == ["demo"]
    admin.delete("/policy/harness-check")
    assert admin.get("/policy/")["result"]["value"] == []


def test_each_test_gets_its_own_database(admin):
    """Pairs with the test above: its policy must not be here."""
    assert admin.get("/policy/")["result"]["value"] == []


def test_second_prepare_keeps_keys_and_config(instance):
    kept = ["edumfa.cfg", "enckey", "audit-private.pem", "audit-public.pem", "users.passwd", "admin-password"]
    before = {name: (instance.directory / name).read_bytes() for name in kept}

    LocalInstance(instance.directory).prepare()

    assert {name: (instance.directory / name).read_bytes() for name in kept} == before


def test_key_files_are_private(edumfa_template):
    for name in ["enckey", "audit-private.pem", "edumfa.cfg", "admin-password"]:
        mode = stat.S_IMODE((edumfa_template.directory / name).stat().st_mode)
        assert mode == 0o600, (name, oct(mode))
    assert len((edumfa_template.directory / "enckey").read_bytes()) == 96


def test_conflicting_extra_config_on_existing_directory_is_refused(instance):
    with pytest.raises(ValueError, match="EDUMFA_AUDIT_SQL_TRUNCATE"):
        LocalInstance(instance.directory, extra_config={"EDUMFA_AUDIT_SQL_TRUNCATE": False}).prepare()


def test_extra_config_reaches_the_app(tmp_path):
    instance = LocalInstance(tmp_path / "custom", extra_config={"EDUMFA_CHECK_RELOAD_CONFIG": 7}).prepare()
    assert instance.create_app().config["EDUMFA_CHECK_RELOAD_CONFIG"] == 7


def test_plugin_token_type_is_registered(admin):
    enrollment_rights = admin.get("/policy/defs/admin")["result"]["value"]
    assert "enroll" + TOKEN_TYPE.upper() in enrollment_rights


@pytest.mark.e2e
def test_served_instance_answers_over_http(served, served_admin):
    assert served.startswith("http://127.0.0.1:")
    assert (
        requests.post(served + "/auth", json={"username": "admin", "password": "wrong"}, timeout=10).status_code == 401
    )
    users = served_admin.get("/user/", {"realm": "demo"})["result"]["value"]
    assert {user["username"] for user in users} == {user.username for user in DEMO_USERS}
