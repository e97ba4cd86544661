"""Enrollment of an edupushplus token (PROTOCOL.md sections 1 and 2) in a real host (eduMFA or privacyIDEA)."""

import base64
from datetime import datetime, timedelta, timezone

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from edupush_token import catalogue
from edupush_token.catalogue import ENDPOINT_PATH, TOKEN_TYPE, TTL, Info
from edupush_token.devtools.local_instance import installed_host
from edupush_token.devtools.phone import PhoneError, pubkey_b64
from support import PIN, REGISTRATION_URL, action, actions, qr_query

pytestmark = [pytest.mark.both_engines, pytest.mark.both_hosts]


def test_step_one_answers_like_the_builtin_token(start_enrollment):
    detail = start_enrollment()
    assert detail["rollout_state"] == "clientwait"
    assert detail["pushurl"]["img"].startswith("data:image/png;base64,")
    assert "otpkey" not in detail
    qr_url = detail["pushurl"]["value"]
    assert qr_url.startswith("edumfa-push://edumfa/")
    query = qr_query(qr_url)
    assert query["v"] == "1"
    assert query["url"] == REGISTRATION_URL
    assert query["serial"] == detail["serial"]
    assert query["sslverify"] == catalogue.ENROLL_SSL_VERIFY.default
    assert query["ttl"] == str(TTL.default)
    assert query["enrollment_credential"] == detail["enrollment_credential"]
    assert len(bytes.fromhex(detail["enrollment_credential"])) * 8 >= 160


def test_each_enrollment_gets_its_own_credential(start_enrollment):
    assert start_enrollment()["enrollment_credential"] != start_enrollment(user="bob")["enrollment_credential"]


def test_registration_url_is_sent_in_dart_canonical_form(admin, start_enrollment, phone):
    admin.set_policy(
        "edupushplus-enrollment",
        "enrollment",
        action(catalogue.REGISTRATION_URL, f"HTTPS://EduMFA.Example.ORG:443/x/..{ENDPOINT_PATH}"),
    )
    qr_url = start_enrollment()["pushurl"]["value"]
    assert qr_query(qr_url)["url"] == REGISTRATION_URL
    assert phone.scan(qr_url).url == REGISTRATION_URL


def test_policies_shape_the_qr_code(admin, start_enrollment, phone):
    admin.set_policy(
        "edupushplus-qr",
        "enrollment",
        ", ".join(
            [
                actions({TTL: 3, catalogue.ENROLL_SSL_VERIFY: 0}),
                "tokenlabel={user}@{realm}",
                "tokenissuer={givenname}'s MFA",
                action(catalogue.FORCE_APP_PIN),
            ]
        ),
    )
    pending = phone.scan(start_enrollment()["pushurl"]["value"])
    assert (pending.ttl_minutes, pending.sslverify, pending.force_pin) == (3, False, True)
    assert pending.label == "alice@demo"
    assert pending.issuer == "Alice's MFA"


def test_request_parameters_cannot_override_policies(start_enrollment):
    detail = start_enrollment(**{catalogue.REGISTRATION_URL.name: "https://evil.example/x", TTL.name: 9999})
    query = qr_query(detail["pushurl"]["value"])
    assert (query["url"], query["ttl"]) == (REGISTRATION_URL, str(TTL.default))


def test_enrollment_needs_a_registration_url_policy(admin):
    body = admin.request(
        "POST", "/token/init", {"type": TOKEN_TYPE, "genkey": 1, "user": "alice", "realm": "demo"}, expect=403
    )
    assert catalogue.REGISTRATION_URL.name in body["result"]["error"]["message"]


@pytest.mark.parametrize("bad_url", [REGISTRATION_URL + "?a=b", "ftp://edumfa.example.org/x"])
def test_unusable_registration_urls_are_refused(admin, bad_url):
    admin.set_policy("edupushplus-enrollment", "enrollment", action(catalogue.REGISTRATION_URL, bad_url))
    body = admin.request(
        "POST", "/token/init", {"type": TOKEN_TYPE, "genkey": 1, "user": "alice", "realm": "demo"}, expect=403
    )
    assert catalogue.REGISTRATION_URL.name in body["result"]["error"]["message"]


@pytest.mark.parametrize("serial", ["PUSH&1", "PUSH+1", "PUSH%1", "PUSH#1"])
def test_serials_the_app_cannot_put_in_a_url_are_refused(admin, push_policies, serial):
    admin.request(
        "POST",
        "/token/init",
        {"type": TOKEN_TYPE, "genkey": 1, "serial": serial, "user": "alice", "realm": "demo"},
        expect=400,
    )


def test_the_phone_enrolls_with_an_rsa_4096_key_like_the_app(make_phone, start_enrollment, tokeninfo):
    phone = make_phone(key_size=4096)
    token = phone.enroll(phone.scan(start_enrollment()["pushurl"]["value"]))
    info = tokeninfo(token.serial)
    assert info["rollout_state"] == "enrolled"
    assert info["active"] is True
    assert info["info"][Info.PHONE_KEY] == pubkey_b64(token.private_key)
    assert info["info"][Info.FIREBASE_TOKEN] == phone.firebase_token
    assert info["info"][Info.SERVER_PUBLIC_KEY].startswith("-----BEGIN RSA PUBLIC KEY-----")
    assert "PRIVATE" not in info["info"][Info.SERVER_PRIVATE_KEY]
    assert info["info"][f"{Info.SERVER_PRIVATE_KEY}.type"] == "password"
    assert Info.ENROLLMENT_CREDENTIAL not in info["info"]


def test_the_answer_carries_a_pkcs1_key_on_one_line(client, start_enrollment, phone):
    pending = phone.scan(start_enrollment()["pushurl"]["value"])
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    response = client.post(
        ENDPOINT_PATH,
        data={
            "enrollment_credential": pending.enrollment_credential,
            "serial": pending.serial,
            "fbtoken": "fb",
            "pubkey": pubkey_b64(key),
        },
    )
    assert response.status_code == 200
    public_key = response.get_json()["detail"]["public_key"]
    assert "\r" not in public_key and "\n" not in public_key
    serialization.load_der_public_key(_spki_from_pkcs1(base64.b64decode(public_key)))


def _spki_from_pkcs1(der: bytes) -> bytes:
    pem = b"-----BEGIN RSA PUBLIC KEY-----\n" + base64.encodebytes(der) + b"-----END RSA PUBLIC KEY-----\n"
    return serialization.load_pem_public_key(pem).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def test_ecdsa_p256_phone_keys_are_accepted(make_phone, start_enrollment):
    phone = make_phone(key_type="ec")
    token = phone.enroll(phone.scan(start_enrollment()["pushurl"]["value"]))
    assert phone.poll(token) == []


def test_urlsafe_base64_keys_are_accepted(client, phone, start_enrollment, tokeninfo):
    pending = phone.scan(start_enrollment()["pushurl"]["value"])
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    urlsafe = pubkey_b64(key).replace("+", "-").replace("/", "_")
    response = client.post(
        ENDPOINT_PATH,
        data={
            "enrollment_credential": pending.enrollment_credential,
            "serial": pending.serial,
            "fbtoken": "fb",
            "pubkey": urlsafe,
        },
    )
    assert response.status_code == 200
    assert tokeninfo(pending.serial)["info"][Info.PHONE_KEY] == pubkey_b64(key)


def test_ios_empty_post_gets_a_clean_4xx_and_spoils_nothing(client, start_enrollment, phone, tokeninfo):
    pending = phone.scan(start_enrollment()["pushurl"]["value"])
    probe = phone.ios_probe(pending)
    assert 400 <= probe.status < 500
    assert probe.json["result"]["status"] is False
    assert tokeninfo(pending.serial)["rollout_state"] == "clientwait"
    phone.enroll(pending)
    assert tokeninfo(pending.serial)["rollout_state"] == "enrolled"


def test_wrong_credential_is_refused_and_the_token_still_waits(start_enrollment, phone, tokeninfo):
    pending = phone.scan(start_enrollment()["pushurl"]["value"])
    genuine = pending.enrollment_credential
    pending.enrollment_credential = "00" * 20
    with pytest.raises(PhoneError) as refused:
        phone.enroll(pending)
    assert refused.value.status == 400
    assert "enrollment credential" in refused.value.message
    pending.enrollment_credential = genuine
    phone.enroll(pending)


def test_a_replayed_step_two_is_refused(start_enrollment, phone, tokeninfo):
    pending = phone.scan(start_enrollment()["pushurl"]["value"])
    token = phone.enroll(pending)
    server_key = tokeninfo(token.serial)["info"][Info.SERVER_PUBLIC_KEY]
    with pytest.raises(PhoneError) as replay:
        phone.enroll(pending)
    assert replay.value.status == 400
    assert tokeninfo(token.serial)["info"][Info.SERVER_PUBLIC_KEY] == server_key


def test_step_two_for_an_unknown_serial_is_refused(client):
    response = client.post(
        ENDPOINT_PATH, data={"enrollment_credential": "c", "serial": "EDPP404", "fbtoken": "f", "pubkey": "k"}
    )
    assert response.status_code == 400


def test_step_two_after_the_qr_codes_ttl_is_refused(set_tokeninfo, start_enrollment, phone, tokeninfo):
    pending = phone.scan(start_enrollment()["pushurl"]["value"])
    past = (datetime.now(timezone.utc) - timedelta(seconds=1)).isoformat()
    set_tokeninfo(pending.serial, Info.ENROLLMENT_DEADLINE, past)
    with pytest.raises(PhoneError) as late:
        phone.enroll(pending)
    assert late.value.status == 400 and "expired" in late.value.message
    assert tokeninfo(pending.serial)["rollout_state"] == "clientwait"


def test_weak_phone_keys_are_refused(make_phone, start_enrollment, tokeninfo):
    phone = make_phone(key_size=1024)
    pending = phone.scan(start_enrollment()["pushurl"]["value"])
    with pytest.raises(PhoneError) as weak:
        phone.enroll(pending)
    assert weak.value.status == 400 and "2048" in weak.value.message
    assert tokeninfo(pending.serial)["rollout_state"] == "clientwait"


def costly_phone_key() -> str:
    """A 3072-bit RSA key with a 3071-bit exponent: every verification ~100 times the app key's work."""
    modulus = rsa.generate_private_key(public_exponent=65537, key_size=3072).public_key().public_numbers().n
    key = rsa.RSAPublicNumbers((1 << 3070) | 1, modulus).public_key()
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()


def test_phone_keys_that_are_costly_to_verify_are_refused(phone, start_enrollment, tokeninfo):
    pending = phone.scan(start_enrollment()["pushurl"]["value"])
    with pytest.raises(PhoneError) as costly:
        phone.enroll(pending, pubkey=costly_phone_key())
    assert costly.value.status == 400 and "exponent" in costly.value.message
    info = tokeninfo(pending.serial)
    assert info["rollout_state"] == "clientwait" and Info.PHONE_KEY not in info["info"]
    phone.enroll(pending)
    assert tokeninfo(pending.serial)["rollout_state"] == "enrolled"


def test_a_costly_key_enrolled_earlier_is_refused_before_verifying(set_tokeninfo, enrolled):
    """Tokens enrolled before the key vetting: their polls and answers are refused, unverified."""
    set_tokeninfo(enrolled.serial, Info.PHONE_KEY, costly_phone_key())
    with pytest.raises(PhoneError) as refused:
        enrolled.phone.poll(enrolled.token)
    assert refused.value.status == 400 and "exponent" in refused.value.message


def test_the_phone_cannot_set_the_token_pin(client, start_enrollment, phone, validate):
    pending = phone.scan(start_enrollment()["pushurl"]["value"])
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    client.post(
        ENDPOINT_PATH,
        data={
            "enrollment_credential": pending.enrollment_credential,
            "serial": pending.serial,
            "fbtoken": "fb",
            "pubkey": pubkey_b64(key),
            "pin": "evil",
        },
    )
    assert validate(**{"pass": "evil"})[1]["result"]["value"] is False
    assert validate(**{"pass": PIN})[1]["result"]["authentication"] == "CHALLENGE"


def test_phone_data_cannot_be_passed_to_token_init(admin, push_policies):
    admin.request(
        "POST",
        "/token/init",
        {"type": TOKEN_TYPE, "genkey": 1, "pubkey": "MII", "user": "alice", "realm": "demo"},
        expect=400,
    )


def test_keys_the_token_class_owns_are_refused_to_the_admin_api_on_privacyidea(admin, enrolled):
    """privacyIDEA 3.14 lets no generic token info write change a key its token class owns."""
    if installed_host() != "privacyidea":
        pytest.skip("eduMFA 2.9 has no owned token info keys")
    admin.post(f"/token/info/{enrolled.serial}/{Info.PHONE_KEY}", {"value": "x"}, expect=403)
    admin.post(f"/token/info/{enrolled.serial}/{Info.POLLING_ALLOWED}", {"value": "False"})
