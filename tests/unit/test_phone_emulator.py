"""Tests of the emulated phone itself, against a fake server: no eduMFA involved."""

from __future__ import annotations

import base64
import json
import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from edupush_token.devtools.phone import (
    EmulatedPhone,
    FlaskClientTransport,
    HttpResponse,
    HttpTransport,
    PendingEnrollment,
    PhoneError,
    PhoneToken,
    dart_canonical_url,
    dart_iso_timestamp,
    encode_form,
    load_server_public_key,
    parse_query_dart_style,
    pubkey_b64,
)

PUSH_URL = "https://mfa.example.org/ttype/edupushplus"
QR_BASE = (
    "edumfa-push://edumfa/Uni:alice?v=1&serial=PIPU0001&enrollment_credential=cred"
    "&url=https%3A%2F%2Fmfa.example.org%2Fttype%2Fedupushplus"
)
FORM_TYPE = "application/x-www-form-urlencoded; charset=utf-8"
START = datetime(2026, 11, 23, 19, 14, 54, 146982, tzinfo=timezone.utc)


class FakeClock:
    def __init__(self, now: datetime = START):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs) -> None:
        self.now += timedelta(**kwargs)


class FakeTransport:
    """Records every request and answers from a script (default: 200 with {})."""

    def __init__(self, *responses: HttpResponse):
        self.responses = list(responses)
        self.calls = []

    def _answer(self, *call) -> HttpResponse:
        self.calls.append(call)
        return self.responses.pop(0) if self.responses else HttpResponse(200, {})

    def post_form(self, url, fields):
        return self._answer("form", url, list(fields))

    def post_text(self, url, body):
        return self._answer("text", url, body)

    def get_raw(self, url):
        return self._answer("get", url)


def b32(signature: bytes) -> str:
    return base64.b32encode(signature).decode()


def b32decode(text: str) -> bytes:
    return base64.b32decode(text + "=" * (-len(text) % 8))


@pytest.fixture(scope="module")
def server_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=1024)


@pytest.fixture(scope="module")
def pkcs1_b64(server_key):
    der = server_key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    return base64.b64encode(der).decode()


def enroll_answer(public_key: str) -> HttpResponse:
    body = {"result": {"status": True, "value": True}, "detail": {"public_key": public_key}}
    return HttpResponse(200, body)


def error_answer(status: int, message: str) -> HttpResponse:
    body = {"result": {"status": False, "error": {"code": 905, "message": message}}}
    return HttpResponse(status, body)


def sign_push(
    key,
    nonce="nonce-1",
    url=PUSH_URL,
    serial="PIPU0001",
    question="Log in?",
    title="eduMFA",
    sslverify="1",
    signed_url=None,
    signed_sslverify=None,
    **extra,
):
    """Push data as a server would send it; signed_* override what gets signed."""
    signed = [nonce, signed_url or url, serial, question, title, signed_sslverify or sslverify]
    signature = key.sign("|".join(signed).encode(), padding.PKCS1v15(), hashes.SHA256())
    data = {
        "nonce": nonce,
        "url": url,
        "serial": serial,
        "question": question,
        "title": title,
        "sslverify": sslverify,
        "signature": b32(signature),
    }
    data.update(extra)
    return data


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def transport():
    return FakeTransport()


@pytest.fixture
def phone(transport, clock):
    return EmulatedPhone(transport, key_size=1024, clock=clock)


@pytest.fixture
def token(phone, transport, pkcs1_b64):
    transport.responses.append(enroll_answer(pkcs1_b64))
    enrolled = phone.enroll(phone.scan(QR_BASE))
    transport.calls.clear()
    return enrolled


def verify_phone_signature(token: PhoneToken, signature: str, text: str) -> None:
    public_key = token.private_key.public_key()
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        public_key.verify(b32decode(signature), text.encode(), ec.ECDSA(hashes.SHA256()))
    else:
        public_key.verify(b32decode(signature), text.encode(), padding.PKCS1v15(), hashes.SHA256())


# -- pure helpers -------------------------------------------------------------


@pytest.mark.parametrize(
    "url, canonical",
    [
        ("HTTPS://Example.COM:443/a/./b/../c%7e%2f", "https://example.com/a/c~%2F"),
        ("http://example.com:80/ttype/x", "http://example.com/ttype/x"),
        ("https://example.com:8443/ttype/x", "https://example.com:8443/ttype/x"),
        ("http://example.com:443/x", "http://example.com:443/x"),
        ("https://example.com", "https://example.com"),
        ("https://example.com/a b", "https://example.com/a%20b"),
        ("https://example.com/%zz", "https://example.com/%25zz"),
        ("https://Ex%41mple.com/x", "https://example.com/x"),
        ("https://example.com/x/..", "https://example.com/"),
        ("https://example.com/p?Q=%7e%2b#Frag", "https://example.com/p?Q=~%2B#Frag"),
        ("https://[::AB]:443/x", "https://[::ab]/x"),
    ],
)
def test_dart_canonical_url(url, canonical):
    assert dart_canonical_url(url) == canonical


@pytest.mark.parametrize("url", ["no-scheme/path", "https://example.com:8x/", "https://exa[mple.com/"])
def test_dart_canonical_url_refuses_what_dart_cannot_parse(url):
    with pytest.raises(ValueError):
        dart_canonical_url(url)


def test_parse_query_dart_style():
    assert parse_query_dart_style("a=1&a=2&b=x+y&c&=z&d=%zz&e=%C3%A9&f=a=b") == {
        "a": "2",
        "b": "x y",
        "c": "",
        "d": "%zz",
        "e": "\u00e9",
        "f": "a=b",
    }


@pytest.mark.parametrize(
    "microsecond, text",
    [
        (146982, "2026-11-23T19:14:54.146982Z"),
        (146000, "2026-11-23T19:14:54.146Z"),
        (0, "2026-11-23T19:14:54.000Z"),
        (5, "2026-11-23T19:14:54.000005Z"),
    ],
)
def test_dart_iso_timestamp(microsecond, text):
    assert dart_iso_timestamp(START.replace(microsecond=microsecond)) == text


def test_dart_iso_timestamp_converts_to_utc_and_refuses_naive_times():
    cet = timezone(timedelta(hours=1))
    assert dart_iso_timestamp(datetime(2026, 1, 1, 0, 30, tzinfo=cet)) == "2025-12-31T23:30:00.000Z"
    with pytest.raises(ValueError):
        dart_iso_timestamp(datetime(2026, 1, 1))


def test_encode_form_matches_dart_http():
    assert encode_form([("a b", "x=y~+/"), ("\u00e9", "")]) == "a+b=x%3Dy~%2B%2F&%C3%A9="


# -- QR scanning ---------------------------------------------------------------


def test_scan_reads_the_qr_code(phone, clock):
    pending = phone.scan(QR_BASE + "&ttl=3&image=https%3A%2F%2Fimg.example%2Fa.png")
    assert pending == PendingEnrollment(
        serial="PIPU0001",
        url=PUSH_URL,
        enrollment_credential="cred",
        label="alice",
        issuer="Uni",
        ttl_minutes=3,
        sslverify=True,
        force_pin=False,
        image="https://img.example/a.png",
        scanned_at=clock.now,
    )


def test_scan_defaults_ttl_to_ten_minutes(phone):
    assert phone.scan(QR_BASE).ttl_minutes == 10


def test_scan_last_duplicate_wins(phone):
    assert phone.scan(QR_BASE + "&serial=PIPU0002").serial == "PIPU0002"


def test_scan_serial_not_label_identifies_the_token(phone):
    pending = phone.scan(QR_BASE.replace("/Uni:alice", "/PIPU9999"))
    assert (pending.serial, pending.label, pending.issuer) == ("PIPU0001", "PIPU9999", "")


def test_scan_plus_is_a_space(phone):
    assert phone.scan(QR_BASE + "&enrollment_credential=a+b").enrollment_credential == "a b"


def test_scan_decodes_issuer_twice(phone):
    assert phone.scan(QR_BASE + "&issuer=Uni%2520Example%252B").issuer == "Uni Example+"


def test_scan_refuses_issuer_that_cannot_be_decoded_twice(phone):
    with pytest.raises(PhoneError):
        phone.scan(QR_BASE + "&issuer=50%25")


@pytest.mark.parametrize(
    "suffix, expected",
    [
        ("", True),
        ("&sslverify=1", True),
        ("&sslverify=0", False),
        ("&sslverify=true", False),
        ("&sslverify=", False),
        ("&sslverify=0&sslverify=1", True),
    ],
)
def test_scan_sslverify(phone, suffix, expected):
    assert phone.scan(QR_BASE + suffix).sslverify is expected


@pytest.mark.parametrize("suffix, expected", [("", False), ("&pin=True", True), ("&pin=true", False)])
def test_scan_only_True_forces_a_pin(phone, suffix, expected):
    assert phone.scan(QR_BASE + suffix).force_pin is expected


@pytest.mark.parametrize("name", ["v", "serial", "url", "enrollment_credential"])
def test_scan_refuses_missing_required_parameter(phone, name):
    params = [p for p in QR_BASE.split("?", 1)[1].split("&") if not p.startswith(name + "=")]
    with pytest.raises(PhoneError):
        phone.scan("edumfa-push://edumfa/Uni:alice?" + "&".join(params))


@pytest.mark.parametrize("version", ["2", "x", "1.0"])
def test_scan_refuses_unsupported_version(phone, version):
    with pytest.raises(PhoneError):
        phone.scan(QR_BASE.replace("v=1", "v=" + version))


@pytest.mark.parametrize("label", ["", "Uni:"])
def test_scan_refuses_empty_label(phone, label):
    with pytest.raises(PhoneError):
        phone.scan(QR_BASE.replace("/Uni:alice", "/" + label))


def test_scan_refuses_other_schemes(phone):
    with pytest.raises(PhoneError):
        phone.scan(QR_BASE.replace("edumfa-push://edumfa/", "otpauth://pipush/"))


def test_scan_canonicalises_the_rollout_url(phone):
    qr = QR_BASE.replace("mfa.example.org", "MFA.Example.org%3A443")
    assert phone.scan(qr).url == PUSH_URL


# -- server public key ---------------------------------------------------------


def test_server_key_pkcs1_accepted_with_newlines(server_key, pkcs1_b64):
    wrapped = "\n".join(pkcs1_b64[i : i + 64] for i in range(0, len(pkcs1_b64), 64)) + "\n"
    key = load_server_public_key(wrapped)
    assert key.public_numbers() == server_key.public_key().public_numbers()


@pytest.mark.parametrize("bad", ["\r\n", "\r"])
def test_server_key_with_carriage_return_refused(pkcs1_b64, bad):
    with pytest.raises(ValueError):
        load_server_public_key(pkcs1_b64[:64] + bad + pkcs1_b64[64:])


def test_server_key_subject_public_key_info_refused(server_key):
    spki = server_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(ValueError):
        load_server_public_key(base64.b64encode(spki).decode())


@pytest.mark.parametrize("value", [None, 42, "not base64!", base64.b64encode(b"garbage").decode()])
def test_server_key_garbage_refused(value):
    with pytest.raises(ValueError):
        load_server_public_key(value)


# -- enrollment ----------------------------------------------------------------


def test_enroll_posts_fields_in_order(phone, transport, pkcs1_b64):
    transport.responses.append(enroll_answer(pkcs1_b64))
    token = phone.enroll(phone.scan(QR_BASE))
    [(kind, url, fields)] = transport.calls
    assert (kind, url) == ("form", PUSH_URL)
    assert [name for name, _ in fields] == ["enrollment_credential", "serial", "fbtoken", "pubkey"]
    assert dict(fields)["fbtoken"] == "fbtoken-emulated"
    pubkey_der = base64.b64decode(dict(fields)["pubkey"], validate=True)
    public_key = serialization.load_der_public_key(pubkey_der)
    assert public_key.public_numbers() == token.private_key.public_key().public_numbers()
    assert public_key.public_numbers().e == 65537
    assert phone.tokens == {"PIPU0001": token}


def test_enroll_with_ec_key_sends_p256_key(transport, clock, pkcs1_b64):
    phone = EmulatedPhone(transport, key_type="ec", clock=clock)
    transport.responses.append(enroll_answer(pkcs1_b64))
    phone.enroll(phone.scan(QR_BASE))
    pubkey_der = base64.b64decode(dict(transport.calls[0][2])["pubkey"], validate=True)
    public_key = serialization.load_der_public_key(pubkey_der)
    assert isinstance(public_key.curve, ec.SECP256R1)


def test_enroll_retry_reuses_the_key(phone, transport, pkcs1_b64):
    transport.responses += [error_answer(400, "try again"), enroll_answer(pkcs1_b64)]
    pending = phone.scan(QR_BASE)
    with pytest.raises(PhoneError) as refused:
        phone.enroll(pending)
    assert (refused.value.status, refused.value.message) == (400, "try again")
    phone.enroll(pending, firebase_token="fb-2")
    first, second = (dict(call[2]) for call in transport.calls)
    assert first["pubkey"] == second["pubkey"]
    assert second["fbtoken"] == "fb-2"


def test_enroll_after_ttl_sends_nothing(phone, transport, clock):
    pending = phone.scan(QR_BASE + "&ttl=1")
    clock.advance(minutes=1, seconds=1)
    with pytest.raises(PhoneError):
        phone.enroll(pending)
    assert transport.calls == []


def test_enroll_fails_on_carriage_return_in_server_key(phone, transport, pkcs1_b64):
    transport.responses.append(enroll_answer(pkcs1_b64[:64] + "\r\n" + pkcs1_b64[64:]))
    with pytest.raises(PhoneError):
        phone.enroll(phone.scan(QR_BASE))
    assert phone.tokens == {}


def test_enroll_fails_on_redirect(phone, transport):
    transport.responses.append(HttpResponse(302, None))
    with pytest.raises(PhoneError) as refused:
        phone.enroll(phone.scan(QR_BASE))
    assert refused.value.status == 302


def test_ios_probe_posts_empty_text(phone, transport):
    phone.ios_probe(phone.scan(QR_BASE))
    assert transport.calls == [("text", PUSH_URL, "")]


# -- receiving pushes ----------------------------------------------------------


def test_valid_push_is_shown(phone, token, server_key, clock):
    data = sign_push(server_key)
    request = phone.receive_push(data)
    assert request is not None
    assert (
        request.nonce,
        request.url,
        request.serial,
        request.question,
        request.title,
        request.sslverify,
        request.received_at,
    ) == ("nonce-1", PUSH_URL, "PIPU0001", "Log in?", "eduMFA", "1", clock.now)
    assert phone.requests == [request]


def test_tampered_question_is_dropped(phone, token, server_key):
    data = sign_push(server_key)
    data["question"] = "Transfer all money?"
    assert phone.receive_push(data) is None
    assert "signature" in phone.last_drop_reason


def test_missing_question_counts_as_empty(phone, token, server_key):
    data = sign_push(server_key, question="")
    del data["question"]
    assert phone.receive_push(data).question == ""


def test_non_canonical_url_signed_canonically_is_accepted(phone, token, server_key):
    sent_url = "HTTPS://MFA.example.org:443/ttype/./edupushplus"
    data = sign_push(server_key, url=sent_url, signed_url=PUSH_URL)
    assert phone.receive_push(data).url == PUSH_URL


def test_non_canonical_url_signed_as_sent_is_dropped(phone, token, server_key):
    data = sign_push(server_key, url="HTTPS://MFA.example.org:443/ttype/edupushplus")
    assert phone.receive_push(data) is None


@pytest.mark.parametrize("signed, accepted", [("0", True), ("true", False), ("1", False)])
def test_sslverify_true_is_signed_as_zero(phone, token, server_key, signed, accepted):
    data = sign_push(server_key, sslverify="true", signed_sslverify=signed)
    assert (phone.receive_push(data) is not None) is accepted


def test_repeated_nonce_is_ignored(phone, token, server_key):
    assert phone.receive_push(sign_push(server_key)) is not None
    assert phone.receive_push(sign_push(server_key)) is None
    assert "nonce" in phone.last_drop_reason


def test_answered_nonce_is_still_ignored(phone, token, server_key):
    phone.accept(phone.receive_push(sign_push(server_key)))
    assert phone.receive_push(sign_push(server_key)) is None


def test_only_last_thirty_nonces_are_remembered(phone, token, server_key):
    for number in range(31):
        assert phone.receive_push(sign_push(server_key, nonce=f"n{number}")) is not None
    assert phone.receive_push(sign_push(server_key, nonce="n1")) is None
    assert phone.receive_push(sign_push(server_key, nonce="n0")) is not None


@pytest.mark.parametrize("name, value", [("sslverify", 1), ("nonce", None), ("question", None), ("title", ["x"])])
def test_non_string_value_is_dropped(phone, token, server_key, name, value):
    data = sign_push(server_key)
    data[name] = value
    assert phone.receive_push(data) is None
    assert name in phone.last_drop_reason


def test_missing_field_is_dropped(phone, token, server_key):
    data = sign_push(server_key)
    del data["title"]
    assert phone.receive_push(data) is None


def test_unknown_serial_is_dropped(phone, token, server_key):
    assert phone.receive_push(sign_push(server_key, serial="PIPU0404")) is None
    assert "PIPU0404" in phone.last_drop_reason


def test_push_signed_by_another_key_is_dropped(phone, token):
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    assert phone.receive_push(sign_push(other_key)) is None


def test_signature_padding_is_optional_but_case_is_not(phone, token, server_key):
    unpadded = sign_push(server_key, nonce="a")
    unpadded["signature"] = unpadded["signature"].rstrip("=")
    assert phone.receive_push(unpadded) is not None
    lower = sign_push(server_key, nonce="b")
    lower["signature"] = lower["signature"].lower()
    assert phone.receive_push(lower) is None


# -- answering -----------------------------------------------------------------


def test_accept_posts_signed_answer_to_push_url(phone, token, server_key, transport):
    answer_url = "https://other.example.org/validate/check"
    request = phone.receive_push(sign_push(server_key, url=answer_url))
    response = phone.accept(request)
    [(kind, url, fields)] = transport.calls
    assert (kind, url, response.status) == ("form", answer_url, 200)
    assert [name for name, _ in fields] == ["nonce", "serial", "signature"]
    verify_phone_signature(token, dict(fields)["signature"], "nonce-1|PIPU0001")
    assert phone.requests == []


def test_decline_adds_decline_and_signs_it(phone, token, server_key, transport):
    phone.decline(phone.receive_push(sign_push(server_key)))
    fields = transport.calls[0][2]
    assert [name for name, _ in fields] == ["nonce", "serial", "signature", "decline"]
    assert dict(fields)["decline"] == "1"
    verify_phone_signature(token, dict(fields)["signature"], "nonce-1|PIPU0001|decline")
    with pytest.raises(InvalidSignature):
        verify_phone_signature(token, dict(fields)["signature"], "nonce-1|PIPU0001")


def test_failed_answer_keeps_the_request(phone, token, server_key, transport):
    request = phone.receive_push(sign_push(server_key))
    transport.responses.append(error_answer(500, "boom"))
    assert phone.accept(request).status == 500
    assert phone.requests == [request]


def test_push_expires_after_two_minutes(phone, token, server_key, transport, clock):
    request = phone.receive_push(sign_push(server_key))
    clock.advance(minutes=1, seconds=59)
    assert not phone.is_expired(request)
    clock.advance(seconds=2)
    assert phone.is_expired(request)
    with pytest.raises(PhoneError):
        phone.accept(request)
    assert transport.calls == []


def test_update_firebase_token(phone, token, transport):
    response = phone.update_firebase_token(token, "fb-new")
    [(kind, url, fields)] = transport.calls
    assert (kind, url, response.status) == ("form", PUSH_URL, 200)
    assert [name for name, _ in fields] == ["new_fb_token", "serial", "timestamp", "signature"]
    values = dict(fields)
    assert values["timestamp"] == "2026-11-23T19:14:54.146982Z"
    verify_phone_signature(token, values["signature"], f"fb-new|PIPU0001|{values['timestamp']}")
    assert token.firebase_token == "fb-new"


# -- polling -------------------------------------------------------------------


def poll_answer(*items) -> HttpResponse:
    return HttpResponse(200, {"result": {"status": True, "value": list(items)}})


def test_poll_sends_unencoded_signed_get(phone, token, transport, clock):
    transport.responses.append(poll_answer())
    assert phone.poll(token) == []
    [(kind, url)] = transport.calls
    prefix = f"{PUSH_URL}?serial=PIPU0001&timestamp=2026-11-23T19:14:54.146982Z&signature="
    assert kind == "get" and url.startswith(prefix)
    signature = url[len(prefix) :]
    assert signature.endswith("=") and "%" not in signature
    verify_phone_signature(token, signature, "PIPU0001|2026-11-23T19:14:54.146982Z")


def test_poll_with_ec_key_signs_ecdsa(transport, clock, pkcs1_b64):
    phone = EmulatedPhone(transport, key_type="ec", clock=clock)
    transport.responses += [enroll_answer(pkcs1_b64), poll_answer()]
    token = phone.enroll(phone.scan(QR_BASE))
    phone.poll(token)
    signature = transport.calls[1][1].split("&signature=")[1]
    verify_phone_signature(token, signature, "PIPU0001|2026-11-23T19:14:54.146982Z")


def test_poll_keeps_verified_requests_and_drops_bad_signatures(phone, token, server_key, transport):
    forged = sign_push(server_key, nonce="forged")
    forged["title"] = "changed"
    good_a, good_b = sign_push(server_key, nonce="a"), sign_push(server_key, nonce="b")
    transport.responses.append(poll_answer(good_a, forged, good_b))
    assert [request.nonce for request in phone.poll(token)] == ["a", "b"]
    assert "signature" in phone.last_drop_reason


def test_poll_drops_whole_list_for_one_malformed_item(phone, token, server_key, transport):
    broken = sign_push(server_key, nonce="b")
    broken["sslverify"] = 1
    transport.responses.append(poll_answer(sign_push(server_key, nonce="a"), broken))
    assert phone.poll(token) == []
    assert phone.requests == []


def test_poll_error_raises_with_server_message(phone, token, transport):
    transport.responses.append(error_answer(400, "timestamp too old"))
    with pytest.raises(PhoneError) as refused:
        phone.poll(token)
    assert (refused.value.status, refused.value.message) == (400, "timestamp too old")


# -- transports ------------------------------------------------------------------


class RecordingHandler(BaseHTTPRequestHandler):
    seen = []

    def _reply(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode()
        content_type = self.headers.get("Content-Type")
        RecordingHandler.seen.append((self.command, self.path, content_type, body))
        payload = json.dumps({"result": {"status": True, "value": []}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _reply

    def log_message(self, *args):
        pass


def test_http_transport_sends_bytes_as_given():
    server = HTTPServer(("127.0.0.1", 0), RecordingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}/ttype/edupushplus"
        transport = HttpTransport(timeout=5)
        response = transport.get_raw(base + "?serial=A+B&signature=XY==#ignored")
        transport.post_form(base, [("b", "1 2"), ("a", "=")])
        transport.post_text(base, "")
    finally:
        server.shutdown()
        server.server_close()
    assert response == HttpResponse(200, {"result": {"status": True, "value": []}}, response.text)
    assert RecordingHandler.seen == [
        ("GET", "/ttype/edupushplus?serial=A+B&signature=XY==", None, ""),
        ("POST", "/ttype/edupushplus", FORM_TYPE, "b=1+2&a=%3D"),
        ("POST", "/ttype/edupushplus", "text/plain; charset=utf-8", ""),
    ]


def test_flask_client_transport_passes_raw_query_and_ordered_form():
    flask = pytest.importorskip("flask")
    app = flask.Flask("fake-server")

    @app.route("/ttype/edupushplus", methods=["GET", "POST"])
    def endpoint():
        request = flask.request
        return {
            "query": request.query_string.decode(),
            "body": request.get_data(as_text=True),
            "type": request.content_type,
        }

    transport = FlaskClientTransport(app.test_client())
    url = "https://ignored.example/ttype/edupushplus"
    got = transport.get_raw(url + "?serial=A+B&signature=XY==").json
    assert got["query"] == "serial=A+B&signature=XY=="
    posted = transport.post_form(url, [("b", "1 2"), ("a", "=")]).json
    assert (posted["body"], posted["type"]) == ("b=1+2&a=%3D", FORM_TYPE)
    assert transport.post_text(url, "").json["type"] == "text/plain; charset=utf-8"


def test_pubkey_b64_is_one_line_standard_base64():
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    text = pubkey_b64(key)
    assert "\n" not in text and "-" not in text and "_" not in text
    assert base64.b64decode(text, validate=True).startswith(b"\x30")
