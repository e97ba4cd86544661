"""Secrets never reach the database in plaintext nor any log line, at any log level."""

import logging
import sqlite3

import pytest

from edupush_token.catalogue import Info
from support import PIN

FIREBASE_TOKEN = "fb-registration-" + "Zq7Xw2" * 20


@pytest.fixture
def everything_logged(caplog):
    caplog.set_level(logging.DEBUG)
    for name in ("edumfa", "edupush_token", "edumfa_plugin", ""):
        logging.getLogger(name).setLevel(logging.DEBUG)
    return caplog


def test_a_full_flow_leaks_no_secret(
    everything_logged, app, instance, start_enrollment, make_phone, validate, tokeninfo
):
    phone = make_phone(firebase_token=FIREBASE_TOKEN)
    detail = start_enrollment()
    credential = detail["enrollment_credential"]
    token = phone.enroll(phone.scan(detail["pushurl"]["value"]))
    _status, challenge = validate(**{"pass": PIN})
    [request] = phone.poll(token)
    phone.accept(request)
    validate(**{"pass": "", "transaction_id": challenge["detail"]["transaction_id"]})
    phone.update_firebase_token(token, FIREBASE_TOKEN + "-renewed")

    stored = tokeninfo(token.serial)["info"]
    logs = "\n".join(record.getMessage() for record in everything_logged.records)
    logs += instance.log_file.read_text() if instance.log_file.exists() else ""
    database = "\n".join(sqlite3.connect(instance.directory / "edumfa.sqlite").iterdump())

    secrets = {"enrollment credential": credential, "Firebase token": FIREBASE_TOKEN}
    for name, secret in secrets.items():
        assert secret not in logs, f"{name} in the logs"
    assert credential not in database
    private_key_lines = [line for line in _server_private_key(app, token.serial).splitlines() if "-----" not in line]
    assert len(private_key_lines) > 20
    for line in private_key_lines:
        assert line not in database and line not in logs
    assert "PRIVATE KEY" not in stored[Info.SERVER_PRIVATE_KEY]


def _server_private_key(app, serial):
    """The decrypted key, read the way eduMFA itself reads it, to search for."""
    from edumfa.lib.token import get_one_token

    with app.app_context():
        return get_one_token(serial=serial).get_tokeninfo(Info.SERVER_PRIVATE_KEY)
