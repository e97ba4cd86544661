"""Fixtures of the fuzz tests: eduMFA with alice's and bob's phones, eduMFA's logged errors, the summary."""

from __future__ import annotations

import json
import logging
import time

import pytest

from edupush_token.catalogue import Config

from .harness import ErrorCapture, Harness
from .phones import FuzzSetup, Phones, PhoneSide, no_decline_cooldown, set_long_challenge_validity
from .session import REPORT_FILE, STATS


def pytest_terminal_summary(terminalreporter):
    if not STATS.total:
        return
    terminalreporter.section("edupushplus fuzzing")
    for line in STATS.summary_lines():
        terminalreporter.write_line(line)
    if REPORT_FILE:
        with open(REPORT_FILE, "w") as report:
            json.dump(STATS.as_dict(), report, indent=2)
        terminalreporter.write_line(f"report written to {REPORT_FILE}")


@pytest.fixture
def server_errors():
    handler = ErrorCapture()
    root = logging.getLogger()
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)


@pytest.fixture
def fuzz_setup(
    request,
    client,
    instance,
    admin,
    enrolled,
    enroll,
    make_phone,
    trigger,
    start_enrollment,
    server_errors,
) -> FuzzSetup:
    """alice enrolled (RSA) with an open, a declined, an accepted and an expired push; bob enrolled
    (ECDSA) with an open push, and a second token of bob's waiting for step 2."""
    set_long_challenge_validity(admin)
    no_decline_cooldown(admin)
    harness = Harness(request.node.name, client, instance, server_errors)
    alice = PhoneSide(harness, enrolled, trigger, "alice")
    bob_phone = PhoneSide(harness, enroll(user="bob", on_phone=make_phone(key_type="ec")), trigger, "bob")
    admin.post("/system/setConfig", {Config.CHALLENGE_VALIDITY: "1"})
    expired_nonce, _ = alice.new_challenge()
    expires = time.monotonic() + 1.1
    set_long_challenge_validity(admin)
    declined_nonce, declined_tid = alice.new_challenge()
    alice.answer(declined_nonce, decline=True)
    accepted_nonce, accepted_tid = alice.new_challenge()
    alice.answer(accepted_nonce, decline=False)
    open_nonce, open_tid = alice.new_challenge()
    bob_phone.new_challenge()
    bob_detail = start_enrollment(user="bob")
    time.sleep(max(0.0, expires - time.monotonic()))  # let the 1-second challenge expire
    return FuzzSetup(
        harness=harness,
        phone=alice,
        phones=Phones(alice, bob_phone),
        admin=admin,
        bob_detail=bob_detail,
        nonces=dict(expired=expired_nonce, declined=declined_nonce, accepted=accepted_nonce, open=open_nonce),
        tids=dict(declined=declined_tid, accepted=accepted_tid, open=open_tid),
    )
