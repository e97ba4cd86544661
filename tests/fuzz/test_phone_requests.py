"""Genuine signed polls, answers, declines and Firebase-token updates with one thing changed."""

from __future__ import annotations

from datetime import datetime, timezone

from hypothesis import given, note
from hypothesis import strategies as st

from edupush_token.catalogue import Info
from edupush_token.devtools.phone import dart_iso_timestamp

from .harness import ENDPOINT, assert_json_refusal, assert_unchanged, db_diff, describe_diff, result_value
from .known_500s import known_500
from .mutations import (
    PLACEHOLDER,
    SIGNATURE,
    SIGNED_FIELDS,
    TRANSFORMS,
    Mutation,
    apply_mutation,
    build_phone_request,
    phone_requests,
)
from .phones import DECLINED, PhoneSide, phone_sign
from .session import FUZZ_SETTINGS, STATS


def test_mutated_phone_requests(fuzz_setup):
    """Genuine signed polls, answers, declines and Firebase-token updates, one thing mutated.

    Refused (or answered 200 false): nothing changes. Accepted: exactly what
    the phone signed happens, nothing else. A re-signed mutation is signed by
    the phone after the change, so it passes the signature check and reaches
    the code behind it.
    """
    harness, phones = fuzz_setup.harness, fuzz_setup.phones
    known = fuzz_setup.known_values()
    state = {**fuzz_setup.snapshot(), "fb_token": 0}

    @FUZZ_SETTINGS
    @given(recipe=phone_requests(), known_value=st.sampled_from(known), which_phone=st.sampled_from([0, 0, 1]))
    def run(recipe, known_value, which_phone):
        kind, target, which, mutation, encoding, user_agent = recipe
        phone = phones.all[which_phone]
        if mutation.value == PLACEHOLDER:
            mutation = Mutation(mutation.op, mutation.name, known_value, mutation.resign)
        before_db, before_poll = state["db"], state["poll"]
        groups = phone.nonces(before_db)
        if not groups["open"]:
            phone.new_challenge()
            before_poll = phones.polls()  # the first poll signs what is unsigned
            before_db = harness.db_state()
            groups = phone.nonces(before_db)
        candidates = groups[target] or ["A" * 32]
        nonce = candidates[which % len(candidates)]
        timestamp = dart_iso_timestamp(datetime.now(timezone.utc))
        state["fb_token"] += 1
        genuine = {
            "poll": {"serial": phone.serial, "timestamp": timestamp, "signature": SIGNATURE},
            "accept": {"nonce": nonce, "serial": phone.serial, "signature": SIGNATURE},
            "decline": {"nonce": nonce, "serial": phone.serial, "signature": SIGNATURE, "decline": "1"},
            "fb_update": {
                "new_fb_token": f"fcm-token-{state['fb_token']}:APA91b",
                "serial": phone.serial,
                "timestamp": timestamp,
                "signature": SIGNATURE,
            },
        }[kind]
        pairs, mutated = apply_mutation(genuine, mutation)
        signed = {name: genuine[name] for name in SIGNED_FIELDS[kind]}
        if mutation.resign:
            signed.update({name: mutated[name] for name in SIGNED_FIELDS[kind] if isinstance(mutated.get(name), str)})
        signed_text = "|".join(signed[name] for name in SIGNED_FIELDS[kind]) + ("|decline" if kind == "decline" else "")
        signature = phone_sign(phone.key, signed_text)
        if mutation.op == "transform" and mutation.name == "signature":
            signature = TRANSFORMS[mutation.value[0]](signature, mutation.value[1])
        pairs = [(key, signature if value is SIGNATURE else value) for key, value in pairs]
        req = build_phone_request(kind, encoding, user_agent, pairs)
        note(
            f"{kind} of the {target} challenge, mutation {mutation.describe()}, encoding {encoding}; phone signed {signed_text!r}"
        )
        if known_500(req, pairs):
            return
        errors_before = harness.errors.count
        response, _ = harness.send(req, f"{req.method} {ENDPOINT} (mutated {kind})")
        value = result_value(response)
        if response.status_code != 200:
            assert_json_refusal(harness, req, response, errors_before)
        if response.status_code == 200 and kind == "poll" and value != before_poll[phone.serial]:
            raise AssertionError(
                harness.failure(
                    f"a poll was served something else than a genuine poll:\n{before_poll[phone.serial]}", req, response
                )
            )
        if not (response.status_code == 200 and value is True):
            assert_unchanged(harness, req, response, before_db, before_poll, phones, errors_before)
            state["db"], state["poll"] = before_db, before_poll
            return
        after_db = harness.db_state()
        check_signed_change(harness, req, response, kind, signed, before_db, after_db, phone)
        STATS.accepted[f"{kind} (mutated, {'ECDSA' if which_phone else 'RSA'} phone)"] += 1
        state["db"], state["poll"] = after_db, phones.polls()

    run()


def check_signed_change(harness, req, response, kind, signed, before_db, after_db, phone: PhoneSide):
    """An accepted request: the change is what the phone signed, and nothing else."""
    diff = db_diff(before_db, after_db)

    def fail(why):
        raise AssertionError(
            harness.failure(f"{why}\nphone signed: {signed}\nchanges:\n{describe_diff(diff)}", req, response)
        )

    if signed["serial"] != phone.serial:
        fail("accepted a request for a serial the phone did not sign")
    if kind in ("accept", "decline"):
        allowed = {"challenge", "edupushplus_push"}
        if set(diff) - allowed:
            fail("an answer changed more than its challenge")
        for table, (gone, came) in diff.items():
            for row in gone + came:
                row_nonce = row.get("challenge") if table == "challenge" else row.get("nonce")
                if row_nonce != signed["nonce"]:
                    fail(f"an answer changed another challenge ({table})")
        rows = [
            row
            for row in after_db["challenge"]
            if row["challenge"] == signed["nonce"] and row["serial"] == phone.serial
        ]
        if len(rows) != 1:
            fail("the answered challenge is gone")
        declined = rows[0]["data"] == DECLINED
        if declined != (kind == "decline") or (kind == "accept" and not rows[0]["otp_valid"]):
            fail(
                f"the challenge is {'declined' if declined else 'accepted' if rows[0]['otp_valid'] else 'open'}, the phone signed {kind}"
            )
    elif kind == "fb_update":
        if set(diff) - {"tokeninfo"}:
            fail("a Firebase-token update changed more than tokeninfo")
        token_ids = {row["id"] for row in after_db["token"] if row["serial"] == phone.serial}
        for row in diff["tokeninfo"][0] + diff["tokeninfo"][1] if "tokeninfo" in diff else []:
            if row["token_id"] not in token_ids:
                fail("a Firebase-token update changed another token")
        stored = [
            row["Value"]
            for row in after_db["tokeninfo"]
            if row["token_id"] in token_ids and row["Key"] == Info.FIREBASE_TOKEN
        ]
        if stored != [signed["new_fb_token"]]:
            fail(f"the stored Firebase token is {stored!r}, the phone signed {signed['new_fb_token']!r}")
