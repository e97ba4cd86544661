import json

import pytest

from edupush_token.wire import WireError
from edupush_token.wire.push_data import PushData


def make(**overrides):
    fields = dict(nonce="N", url="HTTPS://Host:443/ttype/x", serial="S", question="Q?", title="T", sslverify=True)
    fields.update(overrides)
    return PushData.unsigned(**fields)


def test_unsigned_push_is_in_the_form_the_app_checks():
    push = make()
    assert push.url == "https://host/ttype/x"
    assert push.sslverify == "1"
    assert make(sslverify=False).sslverify == "0"


def test_signed_text_is_the_protocols():
    assert make().signed_text() == "N|https://host/ttype/x|S|Q?|T|1"


def test_all_values_are_strings():
    data = make().with_signature("SIG").as_dict()
    assert set(data) == {"nonce", "url", "serial", "question", "title", "sslverify", "signature"}
    assert all(isinstance(value, str) for value in data.values())


def test_json_round_trip():
    push = make(question="Login from 10.0.0.1 \u2013 ok?").with_signature("SIG")
    assert PushData.from_json(push.to_json()) == push


def test_unreadable_stored_data_is_an_error():
    with pytest.raises(WireError):
        PushData.from_json(json.dumps({"nonce": "only"}))


def test_payload_size_counts_utf8_bytes():
    small = make(question="")
    assert make(question="\u00e9").payload_size() == small.payload_size() + 2
