"""Enrollment step 2 with one field changed (keys of every kind), and the iOS app's probe."""

from __future__ import annotations

import base64
import urllib.parse
from typing import Dict, List

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import given, note
from hypothesis import strategies as st

from edupush_token.catalogue import TTL, Info
from edupush_token.devtools.phone import FlaskClientTransport, load_server_public_key, pubkey_b64
from support import action

from .harness import ENDPOINT, Req, assert_json_refusal, assert_unchanged, db_diff, describe_diff, result_value
from .keys import KeyZoo, random_spki
from .known_500s import known_500
from .mutations import PLACEHOLDER, Mutation, apply_mutation, mutations
from .session import FUZZ_SETTINGS, STATS
from .strategies import ENCODINGS, USER_AGENTS, base64_ish, encode, text_value


@st.composite
def enrollment_requests(draw):
    fields = ["enrollment_credential", "serial", "fbtoken", "pubkey"]
    pubkey_values = st.one_of(
        st.sampled_from(sorted(KeyZoo.get())).map(lambda name: KeyZoo.get()[name]), random_spki(), base64_ish
    )
    mutation = draw(
        st.one_of(
            mutations(fields, st.just(PLACEHOLDER)),
            st.builds(Mutation, st.just("replace"), st.just("pubkey"), pubkey_values),
            st.builds(Mutation, st.just("ios_probe"), st.just(""), st.one_of(st.just(b""), st.binary(max_size=200))),
        )
    )
    encoding = draw(st.sampled_from(["dart_form"] * 4 + ENCODINGS))
    user_agent = draw(st.sampled_from(["eduMFA-App/6.0.1"] * 3 + [None]) | USER_AGENTS)
    return mutation, encoding, user_agent


def test_mutated_enrollment_requests(fuzz_setup, start_enrollment):
    """Step 2 of bob's enrollment, one field mutated, and the iOS probe.

    Refused: nothing changes. Accepted: only with the right credential and
    serial, and bob's token is enrolled with exactly the sent key and
    Firebase token (then a new enrollment is started for the next example).
    """
    harness, phones, admin = fuzz_setup.harness, fuzz_setup.phones, fuzz_setup.admin
    admin.set_policy("edupushplus-fuzz-ttl", "enrollment", action(TTL, TTL.high))
    from edupush_token.devtools.phone import EmulatedPhone

    app_phone = EmulatedPhone(FlaskClientTransport(harness.client), key_size=2048)
    pending = {"p": app_phone.scan(start_enrollment(user="bob")["pushurl"]["value"])}
    pending["p"].private_key = rsa.generate_private_key(65537, 2048)
    known = fuzz_setup.known_values()
    state = fuzz_setup.snapshot()

    @FUZZ_SETTINGS
    @given(recipe=enrollment_requests(), known_value=st.sampled_from(known))
    def run(recipe, known_value):
        mutation, encoding, user_agent = recipe
        if mutation.value == PLACEHOLDER:
            mutation = Mutation(mutation.op, mutation.name, known_value, mutation.resign)
        enrollment = pending["p"]
        genuine = {
            "enrollment_credential": enrollment.enrollment_credential,
            "serial": enrollment.serial,
            "fbtoken": "fcm-registration:APA91b-genuine",
            "pubkey": pubkey_b64(enrollment.private_key),
        }
        if mutation.op == "ios_probe":
            req = Req(
                "POST", ENDPOINT, body=mutation.value, content_type="text/plain; charset=utf-8", user_agent=user_agent
            )
            pairs = []
        else:
            pairs, _ = apply_mutation(genuine, mutation)
            req = encode("POST", ENDPOINT, pairs, encoding, user_agent)
        note(f"enrollment step 2 of {enrollment.serial}, mutation {mutation.describe()}, encoding {encoding}")
        if known_500(req, pairs):
            return
        errors_before = harness.errors.count
        response, _ = harness.send(req, f"POST {ENDPOINT} (mutated enrollment)")
        if response.status_code != 200:
            assert_json_refusal(harness, req, response, errors_before)
            assert_unchanged(harness, req, response, state["db"], state["poll"], phones, errors_before)
            return
        check_enrollment(harness, req, response, genuine, pairs, state["db"], enrollment.serial)
        STATS.accepted["enrollment step 2 (mutated)"] += 1
        pending["p"] = app_phone.scan(start_enrollment(user="bob")["pushurl"]["value"])
        STATS.oracle_requests += 1
        pending["p"].private_key = enrollment.private_key  # a new enrollment with the same phone key
        state["poll"] = phones.polls()  # the first poll signs what is unsigned
        state["db"] = harness.db_state()

    run()


def check_enrollment(harness, req, response, genuine, pairs, before_db, serial):
    after_db = harness.db_state()
    diff = db_diff(before_db, after_db)

    def fail(why):
        raise AssertionError(harness.failure(f"{why}\nchanges:\n{describe_diff(diff)}", req, response))

    # As text (a form carries a retyped value as its JSON text), and percent-decoded once or
    # twice more: a raw query or form is decoded by werkzeug, and eduMFA unquotes form and
    # query values once more unless the user agent is on its list.
    sent: Dict[str, List[str]] = {}
    unquote, unquote_plus = urllib.parse.unquote, urllib.parse.unquote_plus
    for key, value in pairs:
        text = text_value(value)
        sent.setdefault(key, []).extend(
            [text, unquote(text), unquote(unquote(text)), unquote_plus(text), unquote(unquote_plus(text))]
        )
    for name in ("enrollment_credential", "serial"):
        if genuine[name] not in sent.get(name, []):
            fail(f"enrolled without the genuine {name}: sent {sent.get(name)!r}")
    if result_value(response) is not True:
        fail("a 200 to step 2 without value true")
    try:
        load_server_public_key(response.get_json()["detail"]["public_key"])
    except (ValueError, KeyError, TypeError) as error:
        fail(f"the app could not use the answer: {error}")
    [token] = [row for row in after_db["token"] if row["serial"] == serial]
    if token["rollout_state"] != "enrolled":
        fail(f"rollout_state is {token['rollout_state']!r} after a successful step 2")
    info = {row["Key"]: row["Value"] for row in after_db["tokeninfo"] if row["token_id"] == token["id"]}
    if info.get(Info.FIREBASE_TOKEN) not in sent.get("fbtoken", []):
        fail(f"stored Firebase token {info.get(Info.FIREBASE_TOKEN)!r}, sent {sent.get('fbtoken')!r}")
    stored_key = serialization.load_der_public_key(base64.b64decode(info[Info.PHONE_KEY]))
    sent_keys = [_lenient_key(value) for value in sent.get("pubkey", [])]
    if not any(key is not None and _same_key(key, stored_key) for key in sent_keys):
        fail(f"stored phone key is none of the sent ones: {sent.get('pubkey')!r}")
    if Info.ENROLLMENT_CREDENTIAL in info:
        fail("the enrollment credential is still there after enrollment")
    other_tokens = {row["id"] for row in after_db["token"] if row["serial"] != serial}
    for table, (gone, came) in diff.items():
        for row in gone + came:
            if table == "tokeninfo" and row["token_id"] in other_tokens:
                fail("step 2 changed another token's tokeninfo")
            if table == "token" and row["serial"] != serial:
                fail("step 2 changed another token")
            if table not in ("token", "tokeninfo", "challenge"):
                fail(f"step 2 changed {table}")


def _lenient_key(value):
    if not isinstance(value, str):
        return None
    text = "".join(line for line in value.splitlines() if not line.startswith("-----"))
    text = "".join(text.split()).replace("-", "+").replace("_", "/")
    try:
        return serialization.load_der_public_key(base64.b64decode(text + "=" * (-len(text) % 4)))
    except Exception:  # noqa: BLE001
        return None


def _same_key(a, b) -> bool:
    fmt = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    try:
        return a.public_bytes(*fmt) == b.public_bytes(*fmt) or a.public_numbers() == b.public_numbers()
    except Exception:  # noqa: BLE001
        return False
