"""Random requests to the phone's endpoint: refused with eduMFA's JSON error, and without a trace."""

from __future__ import annotations

import json
import urllib.parse

from hypothesis import given
from hypothesis import strategies as st

from .harness import ENDPOINT, Req, assert_json_refusal, assert_unchanged
from .known_500s import known_500
from .session import FUZZ_SETTINGS
from .strategies import (
    CONTENT_TYPES,
    ENCODINGS,
    USER_AGENTS,
    base32_ish,
    encode,
    json_value,
    random_json_pairs,
    random_pairs,
    random_text,
    raw_query,
    timestamp_text,
)


def test_random_posts_are_refused_without_a_trace(fuzz_setup):
    """Random POSTs in every encoding: a JSON 4xx, and nothing changes."""
    harness, phones = fuzz_setup.harness, fuzz_setup.phones
    known = fuzz_setup.known_values()
    state = fuzz_setup.snapshot()
    assert [len(poll) for poll in state["poll"].values()] == [1, 1]

    post = st.one_of(
        st.tuples(st.sampled_from([e for e in ENCODINGS if not e.startswith("json")]), random_pairs(known)),
        st.tuples(st.sampled_from(["json", "json_as_text"]), random_json_pairs(known)),
    )

    @FUZZ_SETTINGS
    @given(
        post=post,
        user_agent=USER_AGENTS,
        content_type=st.one_of(st.just("keep"), st.sampled_from(CONTENT_TYPES)),
        query=st.one_of(st.none(), st.none(), raw_query(known)),
        non_object_json=st.sampled_from([False] * 19 + [True]),
        json_body=json_value.filter(lambda v: not isinstance(v, dict)),
    )
    def run(post, user_agent, content_type, query, non_object_json, json_body):
        encoding, pairs = post
        req = encode("POST", ENDPOINT, pairs, encoding, user_agent, content_type, extra_query=query)
        if non_object_json and encoding == "json":
            req.body = json.dumps(json_body).encode()
        if known_500(req, pairs):
            return
        errors_before = harness.errors.count
        response, _ = harness.send(req, f"POST {ENDPOINT} (random)")
        assert_json_refusal(harness, req, response, errors_before)
        assert_unchanged(harness, req, response, state["db"], state["poll"], phones, errors_before)

    run()


ROUTER_REFUSED_METHODS = ("PUT", "DELETE", "PATCH", "TRACE")


def test_random_polls_are_refused_without_a_trace(fuzz_setup):
    """Raw query strings (and other methods, bodies on GET): a JSON 4xx, and nothing changes."""
    harness, phones = fuzz_setup.harness, fuzz_setup.phones
    known = fuzz_setup.known_values()
    state = fuzz_setup.snapshot()

    poll_like = st.builds(
        lambda serial, timestamp, signature, order: "&".join(
            [f"serial={serial}", f"timestamp={timestamp}", f"signature={signature}"][i] for i in order
        ),
        st.sampled_from(known) | random_text,
        timestamp_text,
        base32_ish | random_text,
        st.permutations([0, 1, 2]),
    )

    @FUZZ_SETTINGS
    @given(
        query=st.one_of(raw_query(known), poll_like),
        method=st.sampled_from(["GET"] * 12 + ["HEAD", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"]),
        body=st.one_of(st.none(), st.tuples(st.sampled_from(ENCODINGS), random_pairs(known))),
        user_agent=USER_AGENTS,
    )
    def run(query, method, body, user_agent):
        pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
        if body is not None:
            encoding, body_pairs = body
            req = encode(method, ENDPOINT, body_pairs, encoding, user_agent, extra_query=query)
            pairs += body_pairs
        else:
            req = Req(method, ENDPOINT, query=query, user_agent=user_agent)
        if known_500(req, pairs):
            return
        errors_before = harness.errors.count
        response, _ = harness.send(req, f"{method} {ENDPOINT} (random)")
        if method in ROUTER_REFUSED_METHODS:
            # Flask's router refuses these before eduMFA sees them, with its own HTML 405.
            if response.status_code != 405:
                raise AssertionError(harness.failure("expected the router's 405", req, response, errors_before))
        else:
            assert_json_refusal(harness, req, response, errors_before)
        assert_unchanged(harness, req, response, state["db"], state["poll"], phones, errors_before)

    run()
