import pytest

from edupush_token.wire import WireError
from edupush_token.wire.context_values import MAX_VALUE_BYTES
from edupush_token.wire.templates import check_template, render_template

CONTEXT = {
    "client_ip": "192.0.2.7",
    "user_agent": "Mozilla/5.0",
    "user": "alice",
    "realm": "demo",
    "serial": "EDPP1",
    "date": "2026-11-23",
    "time": "19:14 UTC",
}


def test_renders_the_login_context():
    text = "Log in {user}@{realm} from {client_ip} ({user_agent}) on {date} at {time}? [{serial}]"
    assert (
        render_template(text, CONTEXT)
        == "Log in alice@demo from 192.0.2.7 (Mozilla/5.0) on 2026-11-23 at 19:14 UTC? [EDPP1]"
    )


def test_plain_texts_stay_as_they_are():
    assert render_template("Do you want to confirm the login?", CONTEXT) == "Do you want to confirm the login?"


def test_literal_braces_are_doubled():
    assert render_template("{{not a variable}}", CONTEXT) == "{not a variable}"


@pytest.mark.parametrize("bad", ["{password}", "{0}", "{}", "{user", "user}", "{user.__class__}", "{user!r}x{pin}"])
def test_anything_but_the_known_variables_is_refused(bad):
    with pytest.raises(WireError, match="template"):
        check_template(bad)


def test_values_are_bounded():
    rendered = render_template("{user_agent}", {"user_agent": "x" * 1000})
    assert len(rendered.encode()) <= MAX_VALUE_BYTES and rendered.startswith("x" * 90)


def test_values_cannot_add_lines_or_reorder_the_text():
    rendered = render_template("Log in from {user_agent}?", {"user_agent": "evil\r\nApprove:\u2028yes\u202e"})
    assert rendered == "Log in from evil\ufffd\ufffdApprove:\ufffdyes\ufffd?"


def test_missing_values_render_empty():
    assert render_template("[{client_ip}]", {}) == "[]"
