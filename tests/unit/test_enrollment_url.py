from urllib.parse import parse_qsl, unquote, urlsplit

import pytest

from edupush_token.wire import WireError
from edupush_token.wire.edumfa_app.enrollment_url import enrollment_url
from edupush_token.wire.labels import render_label

BASE = dict(
    label="EDPP0001",
    serial="EDPP0001",
    registration_url="https://edumfa.example/ttype/edupushplus",
    enrollment_credential="c0ffee",
    ttl_minutes=10,
    sslverify=True,
    issuer="eduMFA",
)


def query_of(url):
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def test_url_carries_every_required_parameter():
    url = enrollment_url(**BASE)
    assert url.startswith("edumfa-push://edumfa/EDPP0001?")
    assert query_of(url) == {
        "url": "https://edumfa.example/ttype/edupushplus",
        "ttl": "10",
        "issuer": "eduMFA",
        "enrollment_credential": "c0ffee",
        "v": "1",
        "serial": "EDPP0001",
        "sslverify": "1",
    }


def test_optional_parameters():
    url = enrollment_url(**dict(BASE, sslverify=False, force_app_pin=True, image_url="https://i/x.png"))
    query = query_of(url)
    assert query["sslverify"] == "0"
    assert query["pin"] == "True"
    assert query["image"] == "https://i/x.png"


def test_issuer_survives_the_apps_double_decoding():
    issuer = "Uni 100% & Co+"
    url = enrollment_url(**dict(BASE, issuer=issuer))
    once = query_of(url)["issuer"]
    assert unquote(once) == issuer


def test_label_is_encoded_in_the_path():
    url = enrollment_url(**dict(BASE, label="eduMFA:alice@demo/x y"))
    assert unquote(urlsplit(url).path) == "/eduMFA:alice@demo/x y"
    assert "?" not in urlsplit(url).path


def test_plus_and_ampersand_cannot_break_the_query():
    url = enrollment_url(**dict(BASE, enrollment_credential="a+b&v=2"))
    assert query_of(url)["enrollment_credential"] == "a+b&v=2"
    assert query_of(url)["v"] == "1"


def test_empty_label_is_refused():
    with pytest.raises(WireError):
        enrollment_url(**dict(BASE, label=""))


def test_label_templates_like_edumfa():
    names = dict(serial="S1", user="alice", realm="demo", givenname="Alice", surname="L")
    assert render_label("<u>@<r>", **names) == "alice@demo"
    assert render_label("{givenname} {surname} ({serial})", **names) == "Alice L (S1)"


@pytest.mark.parametrize("template", ["{unknown}", "{0}", "{user"])
def test_bad_label_template_is_a_clear_error(template):
    with pytest.raises(WireError, match="label template"):
        render_label(template, serial="S", user="u", realm="r", givenname="", surname="")
