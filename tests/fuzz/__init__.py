"""Property-based fuzzing of the phone's endpoint and the push-related /validate calls.

Hypothesis generates requests to the real eduMFA app (Flask test client, one
fresh SQLite eduMFA per test function, many examples against it):

``/ttype/edupushplus`` (GET = poll; POST = enrollment step 2, answer, decline,
Firebase-token update)
  * fully random parameters: protocol names and random keys, random text
    (unicode, control characters, NUL, very long, empty) or JSON values,
    sent as form, multipart, JSON, text/plain, raw query strings (not
    re-encoded: ``%``, ``&``, ``#``, ``+``, NUL), raw bytes, odd content
    types, user agents (eduMFA unquotes values a second time for some) and
    HTTP methods;
  * genuine requests of the emulated phone, validly signed, with one thing
    mutated: a field replaced, transformed, retyped, dropped, duplicated or
    added, optionally signed again after the mutation so that it reaches the
    code behind the signature check (timestamps, nonces, new_fb_token);
  * genuine enrollment step-2 requests with one field mutated (credential,
    serial, fbtoken, pubkey, including keys of other algorithms and sizes)
    and the iOS app's text/plain probe.

``/validate/check`` (user+pass, transaction_id/state, realm, serial,
edupushplus_wait ...), ``/validate/triggerchallenge`` and
``/validate/polltransaction`` (query, body and path forms).

Properties, checked for every generated request:

* no HTTP 500, ever;
* every refusal is eduMFA's JSON error (``result.status`` false, a message)
  with a 4xx;
* a refused phone request leaves no trace: the database (tokens, tokeninfo,
  rollout state, owners, challenges with their accepted/declined state, push
  records, config, policies: every table but the audit log and caches) and the
  open challenges a genuine poll is served are unchanged;
* an accepted phone request changes only what the phone signed (the
  challenge of the signed nonce goes to the signed answer; the token's
  Firebase token becomes the signed one; step 2 enrolls the sent key);
* /validate/*: no accept without the phone's answer (only a transaction the
  phone accepted authenticates, once, and only for its owner), and a client
  parameter never makes the server wait (push_wait is policy only).

Size: ``EDUPUSH_FUZZ_EXAMPLES`` examples per test (default 25: the package runs in
a minute or two). Each example sends one fuzzed request; the requests the
oracle sends itself (genuine polls, setup) are counted separately. A summary
(requests by endpoint and status, 500s, wall time) is printed at the end of
the session and written as JSON to ``$EDUPUSH_FUZZ_REPORT`` if that is set.

Benchmark-size run, at least 10,000 requests (6 tests x 1,900 examples; about
1 % are known eduMFA 500s and not sent, see below; about 14 minutes)::

    EDUPUSH_FUZZ_EXAMPLES=1900 EDUPUSH_FUZZ_REPORT=/tmp/fuzz-report.json \\
        .venv/bin/pytest -q -p no:cacheprovider tests/fuzz

Hypothesis keeps no example database (``database=None``); add
``--hypothesis-seed=N`` to replay a run, ``--hypothesis-show-statistics`` for
what was generated.

Known 500s in eduMFA itself: some inputs crash eduMFA's own request handling,
for every token type and before or after any token code runs (a JSON body that
is not an object, OPTIONS, a form over 500 KB, a whitespace-only user agent or a
non-string JSON user/realm/serial/... on /validate). The plugin cannot catch
them, so they are not sent (the summary counts them as "known, not sent")
unless ``EDUPUSH_FUZZ_KNOWN=1``; see ``known_500s.py``. ``EDUPUSH_FUZZ_COLLECT=1``
records 500s by where they were raised instead of failing on the first.

Layout: ``session`` (size, Hypothesis settings, counts), ``harness`` (sending,
reading the database, refusals), ``known_500s``, ``strategies`` (values,
encodings), ``mutations`` (one change to a genuine request), ``keys`` (public
keys for step 2), ``phones`` (the enrolled tokens and the setup); one test
module per endpoint; fixtures in ``conftest``.
"""
