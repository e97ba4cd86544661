"""What only privacyIDEA 3.14 has: its authentication log, and challenges it may keep in Redis.

Collected on both hosts (both_hosts), skipped on eduMFA.
"""

import pytest

from edupush_token import catalogue
from edupush_token.devtools.local_instance import installed_host

pytestmark = [
    pytest.mark.both_hosts,
    pytest.mark.skipif(installed_host() != "privacyidea", reason="privacyIDEA 3.14 only"),
]


def authentication_events(app, serial):
    from privacyidea.models import AuthenticationLog

    with app.app_context():
        rows = AuthenticationLog.query.filter_by(serial=serial).order_by(AuthenticationLog.id).all()
        return [row.event_type for row in rows]


@pytest.mark.parametrize(
    "answer, event", [("accept", "CHALLENGE_ANSWERED_OUT_OF_BAND"), ("decline", "CHALLENGE_DECLINED")]
)
def test_the_phones_answer_reaches_the_authentication_log(app, enrolled, trigger, answer, event):
    trigger()
    [request] = enrolled.phone.poll(enrolled.token)
    assert getattr(enrolled.phone, answer)(request).status == 200
    assert event in authentication_events(app, enrolled.serial)


def test_challenges_kept_in_redis_are_refused_naming_the_setting(app, enrolled, validate):
    app.config["PI_REDIS_URL"] = "redis://127.0.0.1:1/0"  # configured, never reached: the refusal comes first
    app.config[catalogue.PRIVACYIDEA_REDIS_CHALLENGES] = True
    status, body = validate(**{"pass": "1234"})
    assert body["result"]["status"] is False, body
    assert catalogue.PRIVACYIDEA_REDIS_CHALLENGES in body["result"]["error"]["message"]


def test_the_commands_read_pi_cfg_where_privacyidea_does(monkeypatch, tmp_path):
    from edupush_token.hosts.installed import default_config_file

    monkeypatch.delenv(catalogue.PRIVACYIDEA_CONFIG_FILE_VARIABLE, raising=False)
    assert default_config_file() == catalogue.PRIVACYIDEA_CONFIG_FILE
    monkeypatch.setenv(catalogue.PRIVACYIDEA_CONFIG_FILE_VARIABLE, str(tmp_path / "pi.cfg"))
    assert default_config_file() == str(tmp_path / "pi.cfg")
