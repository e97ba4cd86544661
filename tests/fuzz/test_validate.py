"""/validate/check, /validate/triggerchallenge and /validate/polltransaction: no login without the phone."""

from __future__ import annotations

import urllib.parse
from typing import Dict, List

from hypothesis import given
from hypothesis import strategies as st

from edupush_token.catalogue import TOKEN_TYPE, WAIT
from support import PIN

from .harness import Req, assert_json_refusal
from .known_500s import CORE_STRING_PARAMETERS, known_500
from .mutations import build_phone_request
from .phones import PhoneSide
from .session import FUZZ_SETTINGS, SEND_KNOWN, STATS
from .strategies import USER_AGENTS, encode, json_value, key_text, random_text, text_value

SLOW_VALIDATE_SECONDS = 5.0


class Transactions:
    """Which transactions the phone accepted and which of them a login has used up."""

    def __init__(self, setup):
        self.setup = setup
        self.phone: PhoneSide = setup.phone
        self.accepted = {setup.tids["accepted"]}
        self.used: set = set()

    def pick(self, slot: str) -> str:
        """A transaction id as the example's draw asks for it, from the current state."""
        if slot in ("open", "declined"):
            return self.setup.tids[slot]
        pool = sorted(self.accepted if slot == "accepted" else self.used) or sorted(self.accepted)
        return pool[-1]

    def accept_another(self):
        nonce, tid = self.phone.new_challenge()
        self.phone.answer(nonce, decline=False)
        self.accepted.add(tid)


def validate_values(transactions: Transactions, serials: List[str]):
    current = st.sampled_from(["open", "declined", "accepted", "accepted", "used"]).map(transactions.pick)
    tid = st.one_of(
        current,
        current,
        current.map(lambda t: t + " "),
        current.map(lambda t: t[:-1]),
        current.map(lambda t: t + "%00"),
        st.sampled_from(["", "*", "%", "0", "1" * 20, "' OR 1=1 --", "None"]),
        random_text,
    )
    return {
        "user": st.sampled_from(
            ["alice", "alice", "bob", "Alice", "ALICE", "alice@demo", "alice ", " alice", "nobody", "", "*", "admin"]
        )
        | random_text,
        "realm": st.sampled_from(["demo", "demo", "DEMO", "", "other", "*"]) | random_text,
        "pass": st.sampled_from([PIN, PIN, "", PIN + "0", "0000", "alice-password", PIN + "123456"]) | random_text,
        "transaction_id": tid,
        "state": tid,
        "current_transaction": current,
        "serial": st.sampled_from(serials + [""]) | random_text,
        "type": st.sampled_from([TOKEN_TYPE, "edupush", "push", "hotp", ""]) | random_text,
        WAIT.name: st.sampled_from(["1", "30", "300", "-1", "0", "1e9", "abc", ""]) | random_text,
        "otponly": st.sampled_from(["1", "0"]),
        "push_wait": st.sampled_from(["5", "30"]),
    }


@st.composite
def validate_pairs(draw, values: Dict[str, st.SearchStrategy], json_values: bool):
    names = draw(st.lists(st.sampled_from(sorted(set(values) - {"current_transaction"})), max_size=6, unique=True))
    if draw(st.integers(0, 2)):
        names = ["user", "pass"] + [n for n in names if n not in ("user", "pass")]
    if draw(st.integers(0, 2)) == 0:
        names.append("transaction_id")
    pairs = [(name, draw(values[name])) for name in dict.fromkeys(names)]
    if draw(st.integers(0, 4)) == 0:  # a login quoting one of the transactions (the phone accepted alice's)
        login = [
            ("user", draw(st.sampled_from(["alice", "alice", "bob"]))),
            ("pass", draw(st.sampled_from(["", "", PIN, "x"]))),
            ("transaction_id", draw(values["current_transaction"])),
        ]
        if draw(st.booleans()):
            login.append(("realm", "demo"))
        pairs = login + [
            (k, v) for k, v in pairs if draw(st.integers(0, 3)) == 0 and k not in dict(login) and k != "state"
        ]
    pairs += [(draw(key_text), draw(random_text)) for _ in range(draw(st.integers(0, 2)))]
    if json_values:  # (not for the parameters where eduMFA itself breaks on them: see KNOWN_500S)
        pairs = [
            (
                k,
                draw(json_value)
                if draw(st.integers(0, 4)) == 0 and (SEND_KNOWN or k not in CORE_STRING_PARAMETERS)
                else v,
            )
            for k, v in pairs
        ]
    return pairs


def check_validate_answer(harness, req, response, elapsed, errors_before):
    if elapsed > SLOW_VALIDATE_SECONDS:
        raise AssertionError(
            harness.failure(
                f"the request took {elapsed:.1f} s: a client made the server wait", req, response, errors_before
            )
        )
    if response.status_code != 200:
        assert_json_refusal(harness, req, response, errors_before)
        return None
    body = response.get_json(silent=True)
    if not isinstance(body, dict) or body.get("result", {}).get("status") is not True:
        raise AssertionError(harness.failure("a 200 without eduMFA's JSON result", req, response, errors_before))
    return body


def test_validate_check(fuzz_setup):
    """/validate/check: no 500, no wait, and only a transaction the phone accepted logs alice in, once."""
    harness, phone = fuzz_setup.harness, fuzz_setup.phone
    transactions = Transactions(fuzz_setup)
    values = validate_values(transactions, [phone.serial, fuzz_setup.bob_detail["serial"]])
    form = st.tuples(
        st.sampled_from(["form", "dart_form", "raw_form", "multipart", "query", "query_raw", "query_and_form"]),
        validate_pairs(values, False),
    )
    as_json = st.tuples(st.sampled_from(["json", "json_as_text"]), validate_pairs(values, True))

    @FUZZ_SETTINGS
    @given(request=st.one_of(form, as_json), method=st.sampled_from(["POST", "POST", "GET"]), user_agent=USER_AGENTS)
    def run(request, method, user_agent):
        encoding, pairs = request
        if method == "GET" and encoding not in ("query", "query_raw"):
            encoding = "query"
        req = encode(method, "/validate/check", pairs, encoding, user_agent)
        if known_500(req, pairs):
            return
        errors_before = harness.errors.count
        response, elapsed = harness.send(req, f"{method} /validate/check")
        body = check_validate_answer(harness, req, response, elapsed, errors_before)
        if body is None:
            return
        accepted = body["result"].get("value") is True or body["result"].get("authentication") == "ACCEPT"
        if not accepted:
            return
        tids = {text_value(v) for k, v in pairs if k in ("transaction_id", "state")}
        usable = tids & transactions.accepted
        detail_serial = (body.get("detail") or {}).get("serial")
        if not usable or detail_serial not in (None, phone.serial):
            raise AssertionError(
                harness.failure(
                    f"accepted without an answer of the phone: transactions sent {tids}, accepted by the phone and unused "
                    f"{transactions.accepted}, used up {transactions.used}",
                    req,
                    response,
                    errors_before,
                )
            )
        STATS.accepted["validate/check with the transaction the phone accepted"] += 1
        transactions.accepted -= usable
        transactions.used |= usable
        transactions.accept_another()

    run()


def test_triggerchallenge_and_polltransaction(fuzz_setup):
    """/validate/triggerchallenge (admin, no or bad auth) and /validate/polltransaction:
    no 500, JSON errors, and polltransaction says true only for a transaction the phone accepted."""
    harness, phone, admin = fuzz_setup.harness, fuzz_setup.phone, fuzz_setup.admin
    transactions = Transactions(fuzz_setup)
    values = validate_values(transactions, [phone.serial, fuzz_setup.bob_detail["serial"]])
    auth = st.sampled_from([admin.token] * 4 + [None, "", "Bearer x", admin.token + "x", "a.b.c", admin.token[:-5]])
    trigger = st.tuples(
        st.just("trigger"),
        st.sampled_from(["form", "json", "query", "json_as_text", "multipart"]),
        validate_pairs(values, False),
        auth,
    )
    trigger_json = st.tuples(st.just("trigger"), st.just("json"), validate_pairs(values, True), auth)
    poll_query = st.tuples(
        st.just("poll"),
        st.sampled_from(["query", "query_raw", "form_on_get", "json_on_get"]),
        st.lists(
            st.tuples(
                st.sampled_from(["transaction_id"] * 4 + ["state", "user", "serial"]) | key_text,
                values["transaction_id"],
            ),
            max_size=3,
        ),
        st.none(),
    )
    poll_path = st.tuples(st.just("poll_path"), st.sampled_from(["quoted", "raw"]), values["transaction_id"], st.none())

    @FUZZ_SETTINGS
    @given(request=st.one_of(trigger, trigger_json, poll_query, poll_path), user_agent=USER_AGENTS)
    def run(request, user_agent):
        what, encoding, pairs, token = request
        if what == "trigger":
            req = encode("POST", "/validate/triggerchallenge", pairs, encoding, user_agent)
            if token is not None:
                req.headers["Authorization"] = token
            endpoint = "POST /validate/triggerchallenge"
        elif what == "poll":
            req = build_phone_request(
                "poll", {"query": "query", "query_raw": "get_raw"}.get(encoding, encoding), user_agent, pairs
            )
            req.path = "/validate/polltransaction"
            endpoint = "GET /validate/polltransaction"
        else:
            tid = text_value(pairs)
            segment = urllib.parse.quote(tid, safe="") if encoding == "quoted" else tid
            if not segment or "?" in segment or "#" in segment:
                segment = urllib.parse.quote(tid, safe="") or "x"
            req = Req("GET", "/validate/polltransaction/" + segment, user_agent=user_agent)
            pairs = [("transaction_id", tid)]
            endpoint = "GET /validate/polltransaction/<id>"
        if known_500(req, pairs):
            return
        errors_before = harness.errors.count
        response, elapsed = harness.send(req, endpoint)
        if what == "poll_path" and response.status_code in (404, 308):
            return  # the router's answer to a path it does not match or normalises (a slash in the id)
        body = check_validate_answer(harness, req, response, elapsed, errors_before)
        if body is None:
            return
        if what == "trigger":
            # eduMFA answers a triggerchallenge with the number of challenges (and, oddly,
            # authentication ACCEPT: the admin's); there is no login to check here.
            if not isinstance(body["result"].get("value"), int):
                raise AssertionError(harness.failure("triggerchallenge without a count", req, response, errors_before))
            return
        if body["result"].get("value") is True:
            tids = {text_value(v) for k, v in pairs if k == "transaction_id"}
            if not tids & transactions.accepted:
                raise AssertionError(
                    harness.failure(
                        f"polltransaction says accepted for {tids}; the phone accepted {transactions.accepted}",
                        req,
                        response,
                        errors_before,
                    )
                )

    run()
