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

Size: ``EDUPUSH_FUZZ_EXAMPLES`` examples per test (default 25: the file runs in
well under a minute). Each example sends one fuzzed request; the requests the
oracle sends itself (genuine polls, setup) are counted separately. A summary
(requests by endpoint and status, 500s, wall time) is printed at the end of
the session and written as JSON to ``$EDUPUSH_FUZZ_REPORT`` if that is set.

Benchmark-size run, at least 10,000 requests (6 tests x 1,900 examples; about
1 % are known eduMFA 500s and not sent, see below; about 14 minutes)::

    EDUPUSH_FUZZ_EXAMPLES=1900 EDUPUSH_FUZZ_REPORT=/tmp/fuzz-report.json \\
        .venv/bin/pytest -q -p no:cacheprovider tests/integration/test_fuzz_endpoints.py

Hypothesis keeps no example database (``database=None``); add
``--hypothesis-seed=N`` to replay a run, ``--hypothesis-show-statistics`` for
what was generated.

Known 500s in eduMFA itself: some inputs crash eduMFA's own request handling,
for every token type and before or after any token code runs (a JSON body that
is not an object, OPTIONS, a form over 500 KB, a whitespace-only user agent or a
non-string JSON user/realm/serial/... on /validate). The plugin cannot catch
them, so they are not sent (the summary counts them as "known, not sent")
unless ``EDUPUSH_FUZZ_KNOWN=1``; see ``KNOWN_500S``. ``EDUPUSH_FUZZ_COLLECT=1``
records 500s by where they were raised instead of failing on the first.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import sqlite3
import string
import time
import traceback
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Dict, List, Optional, Tuple

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from support import PIN

from edupush_token.devtools.phone import (
    FlaskClientTransport,
    b32_signature,
    dart_iso_timestamp,
    encode_form,
    load_server_public_key,
    pubkey_b64,
)

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa, x448, x25519

ENDPOINT = "/ttype/edupushplus"
EXAMPLES = int(os.environ.get("EDUPUSH_FUZZ_EXAMPLES", "25"))
SEND_KNOWN = os.environ.get("EDUPUSH_FUZZ_KNOWN") == "1"
REPORT_FILE = os.environ.get("EDUPUSH_FUZZ_REPORT")
# Survey mode: a 500 is recorded (by where it was raised) instead of failing the test.
COLLECT_500S = os.environ.get("EDUPUSH_FUZZ_COLLECT") == "1"

FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    report_multiple_bugs=False,  # the tests keep state across examples: the first bug is the one
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)

# A fresh challenge stays open for an hour, so none expires while a long run
# compares states before and after a request.
CHALLENGE_VALIDITY_SECONDS = 3600
# Tables that change with every request, refused or not; and the server key
# pool, which a background thread refills at any moment.
VOLATILE_TABLES = {
    "mfa_audit", "usercache", "authcache", "clientapplication", "monitoringstats", "jwt_blacklist",
    "edupushplus_server_key",
}
DECLINED = "challenge_declined"
SLOW_VALIDATE_SECONDS = 5.0


# ---------------------------------------------------------------------------
# Counting and reporting
# ---------------------------------------------------------------------------


class FuzzStats:
    """Every fuzzed request of the session: per test and endpoint, per status."""

    def __init__(self):
        self.by_test: Counter = Counter()
        self.by_endpoint: Counter = Counter()
        self.by_status: Counter = Counter()
        self.oracle_requests = 0
        self.known_not_sent: Counter = Counter()
        self.server_errors: List[str] = []
        self.crash_sites: Dict[str, List[str]] = {}
        self.accepted: Counter = Counter()  # fuzzed requests that were accepted (and checked)
        self.first: Optional[float] = None
        self.last: Optional[float] = None

    @property
    def total(self) -> int:
        return sum(self.by_test.values())

    def record(self, test: str, endpoint: str, status: int, description: str) -> None:
        now = time.monotonic()
        self.first = now if self.first is None else self.first
        self.last = now
        self.by_test[test] += 1
        self.by_endpoint[endpoint] += 1
        self.by_status[status] += 1
        if status >= 500:
            self.server_errors.append(description[:2000])

    def as_dict(self) -> dict:
        return {
            "requests": self.total,
            "http_500": self.by_status.get(500, 0),
            "http_5xx": sum(n for status, n in self.by_status.items() if status >= 500),
            "by_test": dict(self.by_test),
            "by_endpoint": dict(self.by_endpoint),
            "by_status": {str(status): n for status, n in sorted(self.by_status.items())},
            "oracle_requests": self.oracle_requests,
            "known_500s_not_sent": dict(self.known_not_sent),
            "accepted_and_checked": dict(self.accepted),
            "seconds_first_to_last_request": round((self.last or 0) - (self.first or 0), 1),
            "examples_per_test": EXAMPLES,
        }

    def summary_lines(self) -> List[str]:
        data = self.as_dict()
        lines = [
            f"fuzzed requests sent: {data['requests']}  HTTP 500: {data['http_500']}  "
            f"(5xx: {data['http_5xx']})  examples per test: {EXAMPLES}",
            f"by status: {data['by_status']}",
            f"by endpoint: {data['by_endpoint']}",
            f"by test: {data['by_test']}",
            f"accepted, and checked to change only what was signed: {data['accepted_and_checked']}",
            f"oracle/setup requests (not counted above): {data['oracle_requests']}",
            f"wall time, first to last fuzzed request: {data['seconds_first_to_last_request']} s",
        ]
        for site, examples in self.crash_sites.items():
            lines.append(f"500 x{examples[0]}: {site}\n    e.g. {examples[1]}")
        if data["known_500s_not_sent"]:
            lines.append(f"known 500s, not sent (EDUPUSH_FUZZ_KNOWN=1 sends them): {data['known_500s_not_sent']}")
        return lines


STATS = FuzzStats()


class _SummaryPlugin:
    @pytest.hookimpl
    def pytest_terminal_summary(self, terminalreporter):
        if not STATS.total:
            return
        terminalreporter.section("edupushplus fuzzing")
        for line in STATS.summary_lines():
            terminalreporter.write_line(line)
        if REPORT_FILE:
            with open(REPORT_FILE, "w") as report:
                json.dump(STATS.as_dict(), report, indent=2)
            terminalreporter.write_line(f"report written to {REPORT_FILE}")


@pytest.fixture(scope="module", autouse=True)
def fuzz_summary(request):
    manager = request.config.pluginmanager
    if not manager.has_plugin("edupushplus-fuzz-summary"):
        manager.register(_SummaryPlugin(), "edupushplus-fuzz-summary")
    yield STATS


class _ErrorCapture(logging.Handler):
    """Keeps the tracebacks eduMFA logs, to put the server side into a failure message."""

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.count = 0
        self._recent: List[Tuple[int, str]] = []

    def emit(self, record):
        if record.exc_info:
            self._recent.append((self.count, f"{record.name}: {record.getMessage()}\n"
                                 + "".join(traceback.format_exception(*record.exc_info))))
            self.count += 1
            del self._recent[:-10]

    def since(self, count: int) -> List[str]:
        return [text for index, text in self._recent if index >= count]


@pytest.fixture
def server_errors():
    handler = _ErrorCapture()
    root = logging.getLogger()
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)


# ---------------------------------------------------------------------------
# Requests
# ---------------------------------------------------------------------------


@dataclass
class Req:
    """One HTTP request, exactly as sent (raw query string, raw body bytes)."""

    method: str
    path: str
    query: Optional[str] = None
    body: Optional[bytes] = None
    content_type: Optional[str] = None
    user_agent: Optional[str] = None
    headers: Dict[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        body = self.body if self.body is None or len(self.body) <= 600 else self.body[:600] + b"...(%d bytes)" % len(self.body)
        query = self.query if self.query is None or len(self.query) <= 600 else self.query[:600] + f"...({len(self.query)} chars)"
        headers = {k: v for k, v in self.headers.items() if k != "Authorization"}
        if "Authorization" in self.headers:
            headers["Authorization"] = "<admin JWT>" if self.headers["Authorization"].count(".") == 2 else self.headers["Authorization"][:80]
        return (
            f"{self.method} {self.path}"
            + ("" if query is None else f"  query={query!r}")
            + ("" if self.content_type is None else f"  content-type={self.content_type!r}")
            + ("" if self.user_agent is None else f"  user-agent={self.user_agent!r}")
            + (f"  headers={headers!r}" if headers else "")
            + ("" if body is None else f"  body={body!r}")
        )


class Harness:
    """Sends fuzzed requests through the test client, counts them, reads the database."""

    def __init__(self, test_name, client, instance, errors: _ErrorCapture):
        self.test_name = test_name
        self.client = client
        self.instance = instance
        self.errors = errors
        self.database = instance.directory / "edumfa.sqlite"

    def open(self, req: Req):
        environ = {}
        if req.user_agent is not None:
            environ["HTTP_USER_AGENT"] = req.user_agent
        response = self.client.open(
            req.path,
            method=req.method,
            query_string=req.query,
            data=req.body,
            content_type=req.content_type,
            headers=req.headers,
            environ_overrides=environ,
        )
        return response

    def send(self, req: Req, endpoint: Optional[str] = None):
        """A fuzzed request: counted, and never answered with a 5xx."""
        errors_before = self.errors.count
        started = time.monotonic()
        response = self.open(req)
        elapsed = time.monotonic() - started
        STATS.record(self.test_name, endpoint or f"{req.method} {req.path.split('/', 3)[1] if req.path.startswith('/') else req.path}", response.status_code, req.describe())
        note(f"request: {req.describe()}")
        note(f"response: HTTP {response.status_code} {response.get_data()[:500]!r}")
        if response.status_code >= 500:
            if COLLECT_500S:
                self._collect(req, errors_before)
            else:
                raise AssertionError(self.failure("HTTP 500", req, response, errors_before))
        return response, elapsed

    def _collect(self, req: Req, errors_before: int) -> None:
        records = self.errors.since(errors_before)
        text = records[0] if records else ""
        frames = [line.strip() for line in text.splitlines() if line.strip().startswith("File ")]
        ours = [frame for frame in frames if "edupush_token" in frame]
        exception = text.strip().splitlines()[-1] if text.strip() else "?"
        site = f"{(ours or frames or ['?'])[-1]} -> {exception[:160]}"
        entry = STATS.crash_sites.setdefault(site, [0, req.describe()[:400]])
        entry[0] += 1

    def oracle(self, method, path, **kwargs):
        STATS.oracle_requests += 1
        return self.client.open(path, method=method, **kwargs)

    def failure(self, what, req, response, errors_before=0) -> str:
        server_side = "\n".join(self.errors.since(errors_before)) or self._log_tail()
        return (
            f"{what}\nrequest: {req.describe()}\nresponse: HTTP {response.status_code} "
            f"{response.get_data(as_text=True)[:1500]}\nserver traceback:\n{server_side}"
        )

    def _log_tail(self) -> str:
        try:
            text = self.instance.log_file.read_text(errors="replace")
        except OSError:
            return "(no eduMFA log)"
        start = text.rfind("Traceback")
        return text[max(0, start - 300):][-6000:] if start >= 0 else "(no traceback in the eduMFA log)"

    def db_state(self) -> Dict[str, list]:
        """Every table of eduMFA's database but the ones every request writes."""
        connection = sqlite3.connect(f"file:{self.database}?mode=ro", uri=True, timeout=30)
        try:
            tables = [name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")]
            state = {}
            for table in sorted(set(tables) - VOLATILE_TABLES):
                columns = [row[1] for row in connection.execute(f'PRAGMA table_info("{table}")')]
                rows = connection.execute(f'SELECT * FROM "{table}"').fetchall()
                state[table] = sorted((dict(zip(columns, row)) for row in rows), key=repr)
            return state
        finally:
            connection.close()


def db_diff(before: Dict[str, list], after: Dict[str, list]) -> Dict[str, Tuple[list, list]]:
    """Per table: rows only before, rows only after."""
    diff = {}
    for table in sorted(set(before) | set(after)):
        old = [repr(sorted(row.items())) for row in before.get(table, [])]
        new = [repr(sorted(row.items())) for row in after.get(table, [])]
        old_keys, new_keys = set(old), set(new)
        gone = [row for row, key in zip(before.get(table, []), old) if key not in new_keys]
        came = [row for row, key in zip(after.get(table, []), new) if key not in old_keys]
        if gone or came:
            diff[table] = (gone, came)
    return diff


def describe_diff(diff) -> str:
    lines = []
    for table, (gone, came) in diff.items():
        for row in gone:
            lines.append(f"  {table} - {_short(row)}")
        for row in came:
            lines.append(f"  {table} + {_short(row)}")
    return "\n".join(lines)


def _short(row: dict) -> str:
    return repr({k: (v[:80] + "..." if isinstance(v, str) and len(v) > 80 else v) for k, v in row.items()})[:600]


def assert_json_refusal(harness: Harness, req: Req, response, errors_before=0):
    """A 4xx with eduMFA's JSON error body (no body for HEAD)."""
    status = response.status_code
    if not 400 <= status < 500:
        raise AssertionError(harness.failure(f"expected a 4xx refusal, got HTTP {status}", req, response, errors_before))
    if req.method == "HEAD":
        return
    body = response.get_json(silent=True)
    try:
        ok = body["result"]["status"] is False and isinstance(body["result"]["error"]["message"], str) and body["result"]["error"]["message"]
    except (KeyError, TypeError):
        ok = False
    if not ok:
        raise AssertionError(harness.failure("the refusal is not eduMFA's JSON error", req, response, errors_before))


def result_value(response):
    body = response.get_json(silent=True)
    try:
        return body["result"]["value"]
    except (KeyError, TypeError):
        return None


# ---------------------------------------------------------------------------
# Known 500s in eduMFA itself (not in this plugin; reported, not sent)
# ---------------------------------------------------------------------------


def _json_content_type(req: Req) -> bool:
    mimetype = (req.content_type or "").split(";")[0].strip().lower()
    return mimetype == "application/json" or (mimetype.startswith("application/") and mimetype.endswith("+json"))


def _json_body_not_an_object(req: Req) -> bool:
    """eduMFA core: get_all_params() does dict.update(request.json) before any handler runs,
    so with a JSON content type a body that is empty, not JSON or not a JSON object is a 500
    on every endpoint (TypeError/ValueError, or Flask's BadRequest turned into a 500)."""
    if not _json_content_type(req):
        return False
    try:
        return not isinstance(json.loads(req.body or b""), dict)
    except ValueError:
        return True


def _form_too_large(req: Req) -> bool:
    """werkzeug refuses a form over 500,000 bytes with a 413 while eduMFA reads the parameters;
    eduMFA's sign_response then reads them again while handling that error: a 500."""
    from werkzeug.wrappers import Request

    mimetype = (req.content_type or "").split(";")[0].strip().lower()
    limit = Request.max_form_memory_size
    return (mimetype in ("application/x-www-form-urlencoded", "multipart/form-data")
            and limit is not None and len(req.body or b"") > limit)


def _json_params(req: Req) -> Dict[str, Any]:
    """The parameters eduMFA takes from a JSON body (a JSON object in any non-form body counts)."""
    mimetype = (req.content_type or "").split(";")[0].strip().lower()
    if not req.body or mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return {}
    try:
        params = json.loads(req.body)
    except ValueError:
        return {}
    return params if isinstance(params, dict) else {}


# Parameters that eduMFA's own /validate code calls str methods on (or puts into SQL) before
# any token code runs; a JSON null, number, bool, list or object there is a 500 in eduMFA.
CORE_STRING_PARAMETERS = ("user", "realm", "resolver", "serial", "type", "transaction_id", "state")


def _validate_core_non_string(req: Req) -> bool:
    if not req.path.startswith("/validate/"):
        return False
    params = _json_params(req)
    return any(name in params and not isinstance(params[name], str) for name in CORE_STRING_PARAMETERS)


KNOWN_500S: Dict[str, Callable[[Req, List[Tuple[str, Any]]], bool]] = {
    # In eduMFA itself, for every token type:
    "JSON content type with a body that is not a JSON object (eduMFA core: get_all_params)":
        lambda req, pairs: _json_body_not_an_object(req),
    "form body over werkzeug's max_form_memory_size (eduMFA core: sign_response re-reads the form after the 413)":
        lambda req, pairs: _form_too_large(req),
    "/validate/* with a user agent of only whitespace (eduMFA core: CheckSubscription ua_str.split()[0])":
        lambda req, pairs: req.path.startswith("/validate/") and bool(req.user_agent) and not req.user_agent.split(),
    "OPTIONS request (eduMFA core: sign_response reads the empty automatic OPTIONS answer as JSON)":
        lambda req, pairs: req.method == "OPTIONS",
    "/validate/* with a non-string JSON user, realm, resolver, serial, type, transaction_id or state (eduMFA core)":
        lambda req, pairs: _validate_core_non_string(req),
}


def known_500(req: Req, pairs: List[Tuple[str, Any]]) -> Optional[str]:
    """The known bug this request would hit, unless EDUPUSH_FUZZ_KNOWN=1."""
    if SEND_KNOWN:
        return None
    for name, matches in KNOWN_500S.items():
        if matches(req, pairs):
            STATS.known_not_sent[name] += 1
            note(f"not sent, known 500: {name}")
            return name
    return None


# ---------------------------------------------------------------------------
# Strategies: values
# ---------------------------------------------------------------------------

PROTOCOL_NAMES = [
    "serial", "nonce", "signature", "decline", "timestamp", "new_fb_token", "fbtoken", "pubkey",
    "enrollment_credential", "user", "realm", "pass", "transaction_id", "state", "type", "question",
    "title", "url", "sslverify", "v", "ttl", "edupushplus_wait", "presence_answer", "require_presence",
    "decline_reason", "capabilities", "capabilities_signature", "version", "otponly", "resolver",
]

SPECIAL_TEXT = [
    "", " ", "\x00", "\x00\x00", "%", "%0", "%00", "%zz", "%%", "%25", "%2541", "%u0041", "&", "#", "+", "=", "==",
    "?", "/", "\\", ";", ",", "|", "\r\n", "\n", "\r", "\t", "\x0b", "\x7f", "\x1b[31m", "\u0085", "\u2028", "\u202e",
    "\ufeff", "\ufffd", "\uffff", "é", "ß", "İ", "ﬃ", "𝔸", "😀", "١٢٣", "null", "None", "undefined", "true", "True",
    "false", "1", "0", "-1", "01", "1.0", "1e309", "NaN", "Infinity", "[]", "{}", '{"a":1}', "..", "../../etc/passwd",
    "'", '"', "' OR '1'='1", "%s%s%n", "{0}", "${jndi:x}", "<script>", "*", "%2F", "%2f", "\\u0000", "SELECT 1",
    "AAAA====", "====", "a=b&c=d", "serial=X", "[object Object]",
]
LENGTHS = [39, 40, 41, 127, 128, 129, 255, 256, 1023, 1024, 2047, 2048, 2049, 4095, 4096, 4097, 8193, 65537, 300000]

long_text = st.builds(lambda piece, n: (piece * n)[:n], st.sampled_from(["A", "x", "7", "=", "%", "%41", "é", "😀", "\x00", " "]), st.sampled_from(LENGTHS))
base32_text = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", max_size=900).map(lambda s: s + "=" * (-len(s) % 8))
base32_ish = st.one_of(
    base32_text,
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ234567abcdefxyz0189=", max_size=900),
    st.binary(min_size=0, max_size=600).map(lambda b: base64.b32encode(b).decode()),
    st.sampled_from([256, 512, 64, 70, 72, 71]).map(lambda n: base64.b32encode(b"\x00" * n).decode()),
)
base64_ish = st.one_of(
    st.binary(max_size=700).map(lambda b: base64.b64encode(b).decode()),
    st.binary(max_size=700).map(lambda b: base64.urlsafe_b64encode(b).decode()),
    st.text(alphabet=string.ascii_letters + string.digits + "+/=-_ \n\r", max_size=800),
)
random_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=60),
    st.text(alphabet=st.characters(categories=["Cc", "Zs", "Zl", "Zp", "Cf", "Nd", "Mn"]), max_size=20),
    st.sampled_from(SPECIAL_TEXT),
    long_text,
)

TIMESTAMP_PATTERN = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})?"
EDGE_TIMESTAMPS = [
    "9999-12-31T23:59:59-23:59", "9999-12-31T23:59:59.999999-01:00", "0001-01-01T00:00:00+23:59",
    "0001-01-01T00:00:00+00:01", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "0000-01-01T00:00:00Z",
    "2026-02-30T00:00:00Z", "2026-13-01T00:00:00Z", "2026-01-01T24:00:00Z", "2026-12-31T23:59:60Z",
    "2026-01-01T00:00:00+24:00", "2026-01-01T00:00:00+99:99", "2026-01-01T00:00:00-00:00",
    "2026-01-01T00:00:00.0000000000Z", "2026-01-01 00:00:00Z", "2026-01-01t00:00:00z", "2026-01-01T00:00:00",
    "١٢٣٤-٠١-٠١T٠٠:٠٠:٠٠Z", "２０２６-01-01T00:00:00Z", "", "now", "0", "1700000000", "2026-W01-1",
]


def timestamp_near(seconds: float, style: str = "dart") -> str:
    moment = datetime.now(timezone.utc) + timedelta(seconds=seconds)
    if style == "dart":
        return dart_iso_timestamp(moment)
    if style == "iso":
        return moment.isoformat()
    if style == "naive":
        return moment.replace(tzinfo=None).isoformat()
    if style == "offset":
        return moment.astimezone(timezone(timedelta(hours=5, minutes=30))).isoformat()
    if style == "seconds":
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style == "nanos":
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "123Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%S%z")


SKEWS = st.one_of(
    st.sampled_from([0, 0, 1, -1, 59, -59, 60, -60, 61, -61, 299, -299, 300, -300, 301, -301, 3600, -86400, 86400 * 365 * 50, -86400 * 365 * 50]),
    st.integers(-10**9, 10**9),
)
timestamp_text = st.one_of(
    st.builds(timestamp_near, SKEWS, st.sampled_from(["dart", "iso", "naive", "offset", "seconds", "nanos", "z"])),
    st.from_regex(TIMESTAMP_PATTERN, fullmatch=True),
    st.sampled_from(EDGE_TIMESTAMPS),
    st.datetimes(timezones=st.timezones() | st.none()).map(lambda d: d.isoformat()),
)


json_scalar = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=True, allow_infinity=True), random_text,
)
json_value = st.recursive(
    json_scalar,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)
key_text = st.one_of(
    st.sampled_from(PROTOCOL_NAMES),
    st.sampled_from(PROTOCOL_NAMES).map(lambda k: k.upper()),
    st.sampled_from(PROTOCOL_NAMES).map(lambda k: k + "[]"),
    st.sampled_from(PROTOCOL_NAMES).map(lambda k: " " + k),
    st.text(max_size=12),
    st.sampled_from(["", "%", "&", "=", "#", "\x00", "a%00", "serial%00", "ser%69al", "__proto__", "constructor"]),
)
USER_AGENTS = st.sampled_from([None, "", "eduMFA-App/6.0.1", "eduMFA-App", "Werkzeug/3.1", "eduMFA-LDAP-Proxy/1.0",
                               "simpleSAMLphp", "eduMFA-cp/2.0", "curl/8.0", "Mozilla/5.0 (iPhone)", "\x00", "ü/1"]) | st.text(max_size=20)
CONTENT_TYPES = [
    None, "application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=utf-8",
    "application/x-www-form-urlencoded; charset=iso-8859-1", "application/x-www-form-urlencoded; charset=bogus",
    "multipart/form-data", "multipart/form-data; boundary=x", "application/json", "application/json; charset=utf-16",
    "application/vnd.api+json", "text/plain", "text/plain; charset=utf-8", "application/octet-stream", "text/html",
    "application/xml", "*/*", "", "garbage", "application/x-www-form-urlencoded; boundary=;;;",
]


def text_value(value) -> str:
    """What a non-string value becomes in a form or query string."""
    if isinstance(value, str):
        return value
    return json.dumps(value) if not isinstance(value, bool) else ("true" if value else "false")


# ---------------------------------------------------------------------------
# Strategies: encodings
# ---------------------------------------------------------------------------

ENCODINGS = ["form", "dart_form", "raw_form", "multipart", "json", "json_as_text", "query", "query_raw", "query_and_form", "bytes"]


def encode(method: str, path: str, pairs: List[Tuple[str, Any]], encoding: str, user_agent=None,
           content_type_override: Any = "keep", extra_query: Optional[str] = None) -> Req:
    """Put (key, value) pairs into a request; values may be non-strings for JSON."""
    text_pairs = [(k, text_value(v)) for k, v in pairs]
    req = Req(method, path, user_agent=user_agent)
    if encoding == "form":
        req.body = urllib.parse.urlencode(text_pairs).encode()
        req.content_type = "application/x-www-form-urlencoded"
    elif encoding == "dart_form":
        req.body = encode_form(text_pairs).encode("ascii")
        req.content_type = "application/x-www-form-urlencoded; charset=utf-8"
    elif encoding == "raw_form":
        req.body = "&".join(f"{k}={v}" for k, v in text_pairs).encode("utf-8", "surrogatepass")
        req.content_type = "application/x-www-form-urlencoded"
    elif encoding == "multipart":
        boundary = "----edupushfuzz7d3a"
        parts = []
        for k, v in text_pairs:
            name = k.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{v}\r\n')
        req.body = ("".join(parts) + f"--{boundary}--\r\n").encode("utf-8", "surrogatepass")
        req.content_type = f"multipart/form-data; boundary={boundary}"
    elif encoding in ("json", "json_as_text"):
        req.body = json.dumps(dict(pairs)).encode()
        req.content_type = "application/json" if encoding == "json" else "text/plain"
    elif encoding == "query":
        req.query = urllib.parse.urlencode(text_pairs)
    elif encoding == "query_raw":
        req.query = "&".join(f"{k}={v}" for k, v in text_pairs)
    elif encoding == "query_and_form":
        half = len(text_pairs) // 2
        req.query = urllib.parse.urlencode(text_pairs[:half])
        req.body = urllib.parse.urlencode(text_pairs[half:]).encode()
        req.content_type = "application/x-www-form-urlencoded"
    elif encoding == "bytes":
        req.body = "&".join(f"{k}={v}" for k, v in text_pairs).encode("utf-8", "surrogatepass")
        req.content_type = None
    else:
        raise ValueError(encoding)
    if content_type_override != "keep":
        req.content_type = content_type_override
    if extra_query is not None:
        req.query = extra_query if req.query is None else req.query + "&" + extra_query
    return req


@st.composite
def random_pairs(draw, known_values: List[str]):
    """Random parameters: mostly protocol names, values from everywhere incl. the setup's real ones."""
    value = st.one_of(
        random_text, base32_ish, base64_ish, timestamp_text, st.sampled_from(known_values),
        st.sampled_from(known_values).map(lambda v: v + " "), st.sampled_from(known_values).map(str.lower),
    )
    keys = draw(st.lists(key_text, max_size=8))
    pairs = [(k, draw(value)) for k in keys]
    if draw(st.booleans()):  # something that looks like one of the phone's requests
        shape = draw(st.sampled_from([
            ["nonce", "serial", "signature"], ["nonce", "serial", "signature", "decline"],
            ["new_fb_token", "serial", "timestamp", "signature"], ["serial", "timestamp", "signature"],
            ["enrollment_credential", "serial", "fbtoken", "pubkey"],
        ]))
        pairs += [(k, draw(value)) for k in shape]
        pairs = draw(st.permutations(pairs))
    return pairs


@st.composite
def random_json_pairs(draw, known_values: List[str]):
    pairs = draw(random_pairs(known_values))
    return [(k, draw(json_value) if draw(st.integers(0, 3)) == 0 else v) for k, v in pairs]


@st.composite
def raw_query(draw, known_values: List[str]):
    """A query string as a client might put it on the wire, not re-encoded."""
    pieces = []
    for key, value in draw(random_pairs(known_values)):
        style = draw(st.sampled_from(["raw", "quoted", "quote_plus", "bare", "double_eq"]))
        if style == "raw":
            pieces.append(f"{key}={value}")
        elif style == "quoted":
            pieces.append(f"{urllib.parse.quote(key, safe='')}={urllib.parse.quote(value, safe='')}")
        elif style == "quote_plus":
            pieces.append(f"{urllib.parse.quote_plus(key)}={urllib.parse.quote_plus(value)}")
        elif style == "bare":
            pieces.append(key)
        else:
            pieces.append(f"{key}=={value}")
    separator = draw(st.sampled_from(["&", "&", "&", ";", "&&", "&amp;"]))
    query = separator.join(pieces)
    if draw(st.integers(0, 5)) == 0:
        query = draw(random_text) + query + draw(st.sampled_from(["", "#", "#frag", "&", "%", "%0", "\x00", "+"]))
    return query


# ---------------------------------------------------------------------------
# Setup shared by the tests
# ---------------------------------------------------------------------------


def phone_sign(private_key, text: str) -> str:
    data = text.encode("utf-8")
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        return b32_signature(private_key.sign(data, ec.ECDSA(hashes.SHA256())))
    return b32_signature(private_key.sign(data, padding.PKCS1v15(), hashes.SHA256()))


def set_long_challenge_validity(admin):
    admin.post("/system/setConfig", {"EdupushplusChallengeValidityTime": str(CHALLENGE_VALIDITY_SECONDS)})


def no_decline_cooldown(admin):
    """Declines are part of the fuzzing; a decline cool-down would stop all later pushes."""
    from edupush_token.hosts.edumfa.policies import Action

    if hasattr(Action, "DECLINE_LIMIT"):
        admin.set_policy("edupushplus-fuzz-no-cooldown", "authentication", f"{Action.DECLINE_LIMIT}=0")


class PhoneSide:
    """An enrolled token as the phone holds it, and its challenges as the database has them."""

    def __init__(self, harness: Harness, enrolled, trigger, user):
        self.harness = harness
        self.enrolled = enrolled
        self.serial = enrolled.serial
        self.key = enrolled.token.private_key
        self.trigger = trigger
        self.user = user

    def genuine_poll(self) -> list:
        timestamp = dart_iso_timestamp(datetime.now(timezone.utc))
        signature = phone_sign(self.key, f"{self.serial}|{timestamp}")
        response = self.harness.oracle("GET", ENDPOINT, query_string=f"serial={self.serial}&timestamp={timestamp}&signature={signature}")
        assert response.status_code == 200, response.get_data(as_text=True)
        return result_value(response)

    def challenges(self, db: Dict[str, list]) -> List[dict]:
        return [row for row in db["challenge"] if row["serial"] == self.serial]

    def nonces(self, db: Dict[str, list]) -> Dict[str, List[str]]:
        groups: Dict[str, List[str]] = {"open": [], "accepted": [], "declined": [], "expired": []}
        now = datetime.utcnow()
        for row in self.challenges(db):
            if row["data"] == DECLINED:
                groups["declined"].append(row["challenge"])
            elif row["otp_valid"]:
                groups["accepted"].append(row["challenge"])
            elif _db_time(row["expiration"]) <= now:
                groups["expired"].append(row["challenge"])
            else:
                groups["open"].append(row["challenge"])
        return groups

    def answer(self, nonce: str, decline: bool):
        signed = f"{nonce}|{self.serial}" + ("|decline" if decline else "")
        fields = [("nonce", nonce), ("serial", self.serial), ("signature", phone_sign(self.key, signed))]
        if decline:
            fields.append(("decline", "1"))
        response = self.harness.oracle("POST", ENDPOINT, data=encode_form(fields), content_type="application/x-www-form-urlencoded")
        assert response.status_code == 200 and result_value(response) is True, response.get_data(as_text=True)

    def new_challenge(self) -> Tuple[str, str]:
        """Trigger a push; its (nonce, transaction_id)."""
        STATS.oracle_requests += 1
        detail = self.trigger(self.user)
        transaction_id = detail["transaction_id"]
        db = self.harness.db_state()
        [nonce] = [row["challenge"] for row in self.challenges(db) if row["transaction_id"] == transaction_id]
        return nonce, transaction_id


class Phones:
    """Both enrolled tokens: alice's RSA-2048 and bob's ECDSA P-256 (signatures are checked differently)."""

    def __init__(self, *phones: PhoneSide):
        self.all = list(phones)

    def polls(self) -> Dict[str, list]:
        return {phone.serial: phone.genuine_poll() for phone in self.all}


def _db_time(value: str) -> datetime:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


@pytest.fixture
def fuzz_setup(request, client, instance, admin, enrolled, enroll, make_phone, trigger, start_enrollment, server_errors):
    """alice enrolled (RSA) with an open, a declined, an accepted and an expired push; bob enrolled
    (ECDSA) with an open push, and a second token of bob's waiting for step 2."""
    set_long_challenge_validity(admin)
    no_decline_cooldown(admin)
    harness = Harness(request.node.name, client, instance, server_errors)
    phone = PhoneSide(harness, enrolled, trigger, "alice")
    bob_phone = PhoneSide(harness, enroll(user="bob", on_phone=make_phone(key_type="ec")), trigger, "bob")
    admin.post("/system/setConfig", {"EdupushplusChallengeValidityTime": "1"})
    expired_nonce, _ = phone.new_challenge()
    expires = time.monotonic() + 1.1
    set_long_challenge_validity(admin)
    declined_nonce, declined_tid = phone.new_challenge()
    phone.answer(declined_nonce, decline=True)
    accepted_nonce, accepted_tid = phone.new_challenge()
    phone.answer(accepted_nonce, decline=False)
    open_nonce, open_tid = phone.new_challenge()
    bob_phone.new_challenge()
    bob_detail = start_enrollment(user="bob")
    time.sleep(max(0.0, expires - time.monotonic()))  # let the 1-second challenge expire
    return dict(
        harness=harness, phone=phone, phones=Phones(phone, bob_phone), admin=admin, bob_detail=bob_detail,
        nonces=dict(expired=expired_nonce, declined=declined_nonce, accepted=accepted_nonce, open=open_nonce),
        tids=dict(declined=declined_tid, accepted=accepted_tid, open=open_tid),
    )


def known_values_of(setup) -> List[str]:
    phone = setup["phone"]
    bob = setup["bob_detail"]
    signature_of_other_text = phone_sign(phone.key, "something|else")
    return [
        *(p.serial for p in setup["phones"].all), bob["serial"], phone_sign(setup["phones"].all[1].key, "x|y"), *setup["nonces"].values(), *setup["tids"].values(), signature_of_other_text,
        signature_of_other_text.rstrip("="), dart_iso_timestamp(datetime.now(timezone.utc)), pubkey_b64(phone.key),
        "alice", "bob", "demo", PIN, "1", "0", "EDPP00000000", "PIPU0001",
    ]


def assert_unchanged(harness, req, response, before_db, before_poll, phones: Phones, errors_before=0):
    after_db = harness.db_state()
    diff = db_diff(before_db, after_db)
    if diff:
        raise AssertionError(harness.failure("a refused request changed the database:\n" + describe_diff(diff), req, response, errors_before))
    after_poll = phones.polls()
    if after_poll != before_poll:
        raise AssertionError(harness.failure(
            f"a refused request changed what a genuine poll is served:\nbefore: {before_poll}\nafter: {after_poll}",
            req, response, errors_before))


# ---------------------------------------------------------------------------
# 1. Random requests to the phone's endpoint
# ---------------------------------------------------------------------------


def test_random_posts_are_refused_without_a_trace(fuzz_setup):
    """Random POSTs in every encoding: a JSON 4xx, and nothing changes."""
    harness, phones = fuzz_setup["harness"], fuzz_setup["phones"]
    known = known_values_of(fuzz_setup)
    state = {"poll": phones.polls(), "db": harness.db_state()}  # the first poll signs what is unsigned
    assert [len(poll) for poll in state["poll"].values()] == [1, 1]

    post = st.one_of(
        st.tuples(st.sampled_from([e for e in ENCODINGS if not e.startswith("json")]), random_pairs(known)),
        st.tuples(st.sampled_from(["json", "json_as_text"]), random_json_pairs(known)),
    )

    @FUZZ_SETTINGS
    @given(post=post, user_agent=USER_AGENTS, content_type=st.one_of(st.just("keep"), st.sampled_from(CONTENT_TYPES)),
           query=st.one_of(st.none(), st.none(), raw_query(known)),
           non_object_json=st.sampled_from([False] * 19 + [True]), json_body=json_value.filter(lambda v: not isinstance(v, dict)))
    def run(post, user_agent, content_type, query, non_object_json, json_body):
        encoding, pairs = post
        req = encode("POST", ENDPOINT, pairs, encoding, user_agent, content_type, extra_query=query)
        if non_object_json and encoding == "json":
            req.body = json.dumps(json_body).encode()
        if known_500(req, pairs):
            return
        errors_before = harness.errors.count
        response, _ = harness.send(req, "POST /ttype/edupushplus (random)")
        assert_json_refusal(harness, req, response, errors_before)
        assert_unchanged(harness, req, response, state["db"], state["poll"], phones, errors_before)

    run()


ROUTER_REFUSED_METHODS = ("PUT", "DELETE", "PATCH", "TRACE")


def test_random_polls_are_refused_without_a_trace(fuzz_setup):
    """Raw query strings (and other methods, bodies on GET): a JSON 4xx, and nothing changes."""
    harness, phones = fuzz_setup["harness"], fuzz_setup["phones"]
    known = known_values_of(fuzz_setup)
    state = {"poll": phones.polls(), "db": harness.db_state()}  # the first poll signs what is unsigned

    poll_like = st.builds(
        lambda serial, timestamp, signature, order: "&".join(
            [f"serial={serial}", f"timestamp={timestamp}", f"signature={signature}"][i] for i in order),
        st.sampled_from(known) | random_text, timestamp_text, base32_ish | random_text, st.permutations([0, 1, 2]),
    )

    @FUZZ_SETTINGS
    @given(query=st.one_of(raw_query(known), poll_like), method=st.sampled_from(["GET"] * 12 + ["HEAD", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"]),
           body=st.one_of(st.none(), st.tuples(st.sampled_from(ENCODINGS), random_pairs(known))), user_agent=USER_AGENTS)
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
        response, _ = harness.send(req, f"{method} /ttype/edupushplus (random)")
        if method in ROUTER_REFUSED_METHODS:
            # Flask's router refuses these before eduMFA sees them, with its own HTML 405.
            if response.status_code != 405:
                raise AssertionError(harness.failure("expected the router's 405", req, response, errors_before))
        else:
            assert_json_refusal(harness, req, response, errors_before)
        assert_unchanged(harness, req, response, state["db"], state["poll"], phones, errors_before)

    run()


# ---------------------------------------------------------------------------
# 2. Genuine phone requests with one mutation
# ---------------------------------------------------------------------------

SIGNED_FIELDS = {
    "poll": ["serial", "timestamp"],
    "accept": ["nonce", "serial"],
    "decline": ["nonce", "serial"],
    "fb_update": ["new_fb_token", "serial", "timestamp"],
}
REQUEST_FIELDS = {
    "poll": ["serial", "timestamp", "signature"],
    "accept": ["nonce", "serial", "signature"],
    "decline": ["nonce", "serial", "signature", "decline"],
    "fb_update": ["new_fb_token", "serial", "timestamp", "signature"],
}

TRANSFORMS: Dict[str, Callable[[str, int], str]] = {
    "upper": lambda s, i: s.upper(),
    "lower": lambda s, i: s.lower(),
    "strip_padding": lambda s, i: s.rstrip("="),
    "add_padding": lambda s, i: s + "=" * (i % 9),
    "append": lambda s, i: s + [" ", "\n", "\x00", "=", "A", "%", "&", "\t", "é"][i % 9],
    "prepend": lambda s, i: [" ", "\n", "\x00", "=", "A", "%", "&", "\t", "é"][i % 9] + s,
    "truncate": lambda s, i: s[: i % (len(s) + 1)],
    "drop_char": lambda s, i: s[: i % (len(s) or 1)] + s[i % (len(s) or 1) + 1:],
    "flip_char": lambda s, i: _flip(s, i),
    "swap_chars": lambda s, i: _swap(s, i),
    "double": lambda s, i: s + s,
    "percent_encode": lambda s, i: "".join(f"%{b:02X}" for b in s.encode()),
    "percent_encode_twice": lambda s, i: urllib.parse.quote(urllib.parse.quote(s, safe=""), safe=""),
    "fullwidth": lambda s, i: s.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)}),
    "insert_separator": lambda s, i: s[: i % (len(s) + 1)] + ["|", "&", "#", "+", " ", "%00", ";"][i % 7] + s[i % (len(s) + 1):],
    "empty": lambda s, i: "",
    "whitespace_inside": lambda s, i: " ".join(s[j:j + 8] for j in range(0, len(s), 8)),
    "unicode_digits": lambda s, i: s.translate({ord(d): chr(0x0660 + int(d)) for d in "0123456789"}),
}


def _flip(text: str, index: int) -> str:
    if not text:
        return "A"
    i = index % len(text)
    replacement = "B" if text[i] != "B" else "C"
    return text[:i] + replacement + text[i + 1:]


def _swap(text: str, index: int) -> str:
    if len(text) < 2:
        return text + "A"
    i = index % (len(text) - 1)
    return text[:i] + text[i + 1] + text[i] + text[i + 2:]


@dataclass(frozen=True)
class Mutation:
    op: str  # replace, transform, retype, delete, duplicate, add, timestamp, none (ios_probe for step 2)
    name: str = ""
    value: Any = None
    resign: bool = False

    def describe(self) -> str:
        shown = self.value if not isinstance(self.value, str) or len(self.value) < 80 else self.value[:80] + f"...({len(self.value)})"
        return f"{self.op}({self.name}, {shown!r}{', re-signed' if self.resign else ''})"


def mutations(fields: List[str], extra_values: st.SearchStrategy) -> st.SearchStrategy:
    field_names = st.sampled_from(fields)
    value = st.one_of(random_text, base32_ish, timestamp_text, extra_values)
    return st.one_of(
        st.builds(Mutation, st.just("replace"), field_names, value, st.booleans()),
        st.builds(Mutation, st.just("transform"), field_names, st.tuples(st.sampled_from(sorted(TRANSFORMS)), st.integers(0, 10**6)), st.booleans()),
        st.builds(Mutation, st.just("retype"), field_names, json_value.filter(lambda v: not isinstance(v, str))),
        st.builds(Mutation, st.just("delete"), field_names),
        st.builds(Mutation, st.just("duplicate"), field_names, value),
        st.builds(Mutation, st.just("add"), key_text, value),
        st.builds(Mutation, st.just("add"), st.sampled_from(["decline", "nonce", "pubkey", "fbtoken", "new_fb_token", "timestamp", "serial ", "enrollment_credential"]), st.sampled_from(["1", "true", "", "0", "x"]) | value),
        st.builds(Mutation, st.just("timestamp"), st.just("timestamp"),
                  st.tuples(SKEWS, st.sampled_from(["dart", "iso", "naive", "offset", "seconds", "nanos", "z"])), st.booleans()),
        st.builds(Mutation, st.just("none")),
    )


def apply_mutation(fields: Dict[str, Any], mutation: Mutation) -> Tuple[List[Tuple[str, Any]], Dict[str, Any]]:
    """The request's (key, value) pairs after the mutation, and the values the phone signs if re-signed."""
    values = dict(fields)
    pairs: Optional[List[Tuple[str, Any]]] = None
    if mutation.op == "replace" and mutation.name in values:
        values[mutation.name] = mutation.value
    elif mutation.op == "transform" and isinstance(values.get(mutation.name), str):
        name, index = mutation.value
        values[mutation.name] = TRANSFORMS[name](values[mutation.name], index)
    elif mutation.op == "retype" and mutation.name in values:
        values[mutation.name] = mutation.value
    elif mutation.op == "timestamp" and "timestamp" in values:
        skew, style = mutation.value
        try:
            values["timestamp"] = timestamp_near(skew, style)
        except (OverflowError, ValueError):
            values["timestamp"] = "9999-12-31T23:59:59Z" if skew > 0 else "0001-01-01T00:00:00Z"
    if mutation.op == "delete":
        pairs = [(k, v) for k, v in values.items() if k != mutation.name]
    elif mutation.op == "duplicate" and mutation.name in values:
        pairs = list(values.items()) + [(mutation.name, mutation.value)]
    elif mutation.op == "add":
        pairs = [(k, v) for k, v in values.items() if k != mutation.name] + [(mutation.name, mutation.value)]
    return (pairs if pairs is not None else list(values.items())), values


@st.composite
def phone_requests(draw):
    kind = draw(st.sampled_from(["poll", "accept", "decline", "fb_update"]))
    target = draw(st.sampled_from(["open", "open", "open", "declined", "accepted", "expired"]))
    which = draw(st.integers(0, 1000))
    mutation = draw(mutations(REQUEST_FIELDS[kind], st.just(PLACEHOLDER)))
    if kind == "poll":
        encoding = draw(st.sampled_from(["get_raw"] * 6 + ["get_encoded", "form_on_get", "json_on_get"]))
    else:
        encoding = draw(st.sampled_from(["dart_form"] * 4 + ENCODINGS))
    user_agent = draw(st.sampled_from(["eduMFA-App/6.0.1"] * 3 + [None]) | USER_AGENTS)
    return kind, target, which, mutation, encoding, user_agent


PLACEHOLDER = "<a value of the setup>"


class _Signature:
    """Where the request's signature goes, once the mutation has decided what the phone signs."""

    def __repr__(self):
        return "<signature>"


SIGNATURE = _Signature()


def build_phone_request(kind, encoding, user_agent, pairs) -> Req:
    if kind != "poll":
        return encode("POST", ENDPOINT, pairs, encoding, user_agent)
    text_pairs = [(k, text_value(v)) for k, v in pairs]
    if encoding == "get_raw":
        return Req("GET", ENDPOINT, query="&".join(f"{k}={v}" for k, v in text_pairs), user_agent=user_agent)
    if encoding in ("get_encoded", "query"):
        return Req("GET", ENDPOINT, query=urllib.parse.urlencode(text_pairs), user_agent=user_agent)
    if encoding == "form_on_get":
        return encode("GET", ENDPOINT, pairs, "form", user_agent)
    return encode("GET", ENDPOINT, pairs, "json", user_agent)


def test_mutated_phone_requests(fuzz_setup):
    """Genuine signed polls, answers, declines and Firebase-token updates, one thing mutated.

    Refused (or answered 200 false): nothing changes. Accepted: exactly what
    the phone signed happens, nothing else. A re-signed mutation is signed by
    the phone after the change, so it passes the signature check and reaches
    the code behind it.
    """
    harness, phones = fuzz_setup["harness"], fuzz_setup["phones"]
    known = known_values_of(fuzz_setup)
    state = {"poll": phones.polls(), "db": harness.db_state(), "fb_token": 0}  # the first poll signs what is unsigned

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
            "fb_update": {"new_fb_token": f"fcm-token-{state['fb_token']}:APA91b", "serial": phone.serial,
                          "timestamp": timestamp, "signature": SIGNATURE},
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
        note(f"{kind} of the {target} challenge, mutation {mutation.describe()}, encoding {encoding}; phone signed {signed_text!r}")
        if known_500(req, pairs):
            return
        errors_before = harness.errors.count
        response, _ = harness.send(req, f"{req.method} /ttype/edupushplus (mutated {kind})")
        value = result_value(response)
        if response.status_code != 200:
            assert_json_refusal(harness, req, response, errors_before)
        if response.status_code == 200 and kind == "poll" and value != before_poll[phone.serial]:
            raise AssertionError(harness.failure(
                f"a poll was served something else than a genuine poll:\n{before_poll[phone.serial]}", req, response))
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
        raise AssertionError(harness.failure(f"{why}\nphone signed: {signed}\nchanges:\n{describe_diff(diff)}", req, response))

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
        rows = [row for row in after_db["challenge"] if row["challenge"] == signed["nonce"] and row["serial"] == phone.serial]
        if len(rows) != 1:
            fail("the answered challenge is gone")
        declined = rows[0]["data"] == DECLINED
        if declined != (kind == "decline") or (kind == "accept" and not rows[0]["otp_valid"]):
            fail(f"the challenge is {'declined' if declined else 'accepted' if rows[0]['otp_valid'] else 'open'}, the phone signed {kind}")
    elif kind == "fb_update":
        if set(diff) - {"tokeninfo"}:
            fail("a Firebase-token update changed more than tokeninfo")
        token_ids = {row["id"] for row in after_db["token"] if row["serial"] == phone.serial}
        for row in diff["tokeninfo"][0] + diff["tokeninfo"][1] if "tokeninfo" in diff else []:
            if row["token_id"] not in token_ids:
                fail("a Firebase-token update changed another token")
        stored = [row["Value"] for row in after_db["tokeninfo"] if row["token_id"] in token_ids and row["Key"] == "firebase_token"]
        if stored != [signed["new_fb_token"]]:
            fail(f"the stored Firebase token is {stored!r}, the phone signed {signed['new_fb_token']!r}")


# ---------------------------------------------------------------------------
# 3. Enrollment step 2 with one mutation
# ---------------------------------------------------------------------------


def _der_length(n: int) -> bytes:
    if n < 128:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _der(tag: int, body: bytes) -> bytes:
    return bytes([tag]) + _der_length(len(body)) + body


def _oid(arcs: List[int]) -> bytes:
    first = 40 * arcs[0] + arcs[1]
    out = bytearray()
    for arc in [first] + arcs[2:]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        out += bytes(reversed(chunk))
    return _der(0x06, bytes(out))


def spki(algorithm: bytes, key_bits: bytes) -> str:
    return base64.b64encode(_der(0x30, _der(0x30, algorithm) + _der(0x03, b"\x00" + key_bits))).decode()


class KeyZoo:
    """Public keys of every kind for the ``pubkey`` field, generated once per process."""

    _cache: Dict[str, str] = {}

    @classmethod
    def get(cls) -> Dict[str, str]:
        if not cls._cache:
            def b64(key):
                return base64.b64encode(key.public_key().public_bytes(
                    serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).decode()

            rsa2048 = rsa.generate_private_key(65537, 2048)
            rsa1024 = rsa.generate_private_key(65537, 1024)
            p256 = ec.generate_private_key(ec.SECP256R1())
            pem = rsa2048.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
            pkcs1 = rsa2048.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
            rsa_oid = _oid([1, 2, 840, 113549, 1, 1, 1]) + b"\x05\x00"
            ec_oid = _oid([1, 2, 840, 10045, 2, 1])
            point = p256.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
            cls._cache = {
                "rsa2048": b64(rsa2048),
                "rsa2048 urlsafe": base64.urlsafe_b64encode(base64.b64decode(b64(rsa2048))).decode(),
                "rsa2048 pem": pem,
                "rsa2048 wrapped": "\n".join(b64(rsa2048)[i:i + 64] for i in range(0, len(b64(rsa2048)), 64)),
                "rsa2048 pkcs1": base64.b64encode(pkcs1).decode(),
                "rsa2048 pss oid": spki(_oid([1, 2, 840, 113549, 1, 1, 10]), pkcs1),
                "rsa e=3": spki(rsa_oid, _rsa_public(rsa2048.public_key().public_numbers().n, 3)),
                "rsa e=1": spki(rsa_oid, _rsa_public(rsa2048.public_key().public_numbers().n, 1)),
                "rsa even n": spki(rsa_oid, _rsa_public(2**2047 + 2, 65537)),
                "rsa1024": b64(rsa1024),
                "p256": b64(p256),
                "p256 compressed": spki(ec_oid + _oid([1, 2, 840, 10045, 3, 1, 7]), p256.public_key().public_bytes(
                    serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)),
                "p256 point not on curve": spki(ec_oid + _oid([1, 2, 840, 10045, 3, 1, 7]), b"\x04" + b"\x01" * 64),
                "p256 infinity": spki(ec_oid + _oid([1, 2, 840, 10045, 3, 1, 7]), b"\x00"),
                "p256 as rsa": spki(rsa_oid, point),
                "p384": b64(ec.generate_private_key(ec.SECP384R1())),
                "secp256k1": b64(ec.generate_private_key(ec.SECP256K1())),
                "brainpool": b64(ec.generate_private_key(ec.BrainpoolP256R1())),
                "ed25519": b64(ed25519.Ed25519PrivateKey.generate()),
                "ed448": b64(ed448.Ed448PrivateKey.generate()),
                "x25519": b64(x25519.X25519PrivateKey.generate()),
                "x448": b64(x448.X448PrivateKey.generate()),
                "dsa": b64(dsa.generate_private_key(1024)),
                "ec unknown curve": spki(ec_oid + _oid([1, 2, 3, 4]), point),
                "ec explicit curve": spki(ec_oid + _der(0x30, b"\x02\x01\x01"), point),
                "unknown algorithm": spki(_oid([1, 2, 3, 4]) + b"\x05\x00", b"\x01\x02"),
                "empty spki": base64.b64encode(_der(0x30, b"")).decode(),
                "private key der": base64.b64encode(p256.private_bytes(
                    serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())).decode(),
            }
        return cls._cache


def _rsa_public(n: int, e: int) -> bytes:
    def integer(value):
        body = value.to_bytes((value.bit_length() + 8) // 8, "big")
        return _der(0x02, body)
    return _der(0x30, integer(n) + integer(e))


@st.composite
def random_spki(draw):
    """Structurally valid SubjectPublicKeyInfo with random OIDs and parameters."""
    arcs = [draw(st.integers(0, 2)), draw(st.integers(0, 39))] + draw(st.lists(st.integers(0, 2**32), max_size=6))
    algorithm = _oid(arcs)
    parameters = draw(st.sampled_from([b"", b"\x05\x00", _oid([1, 2, 840, 10045, 3, 1, 7]), _oid([1, 3, 132, 0, 34])]))
    if draw(st.booleans()):
        algorithm = _oid([1, 2, 840, 10045, 2, 1])
        parameters = _oid([draw(st.integers(0, 2)), draw(st.integers(0, 39))] + draw(st.lists(st.integers(0, 1000), max_size=5)))
    return spki(algorithm + parameters, draw(st.binary(max_size=80)))


@st.composite
def enrollment_requests(draw):
    fields = ["enrollment_credential", "serial", "fbtoken", "pubkey"]
    pubkey_values = st.one_of(st.sampled_from(sorted(KeyZoo.get())).map(lambda name: KeyZoo.get()[name]), random_spki(), base64_ish)
    mutation = draw(st.one_of(
        mutations(fields, st.just(PLACEHOLDER)),
        st.builds(Mutation, st.just("replace"), st.just("pubkey"), pubkey_values),
        st.builds(Mutation, st.just("ios_probe"), st.just(""), st.one_of(st.just(b""), st.binary(max_size=200))),
    ))
    encoding = draw(st.sampled_from(["dart_form"] * 4 + ENCODINGS))
    user_agent = draw(st.sampled_from(["eduMFA-App/6.0.1"] * 3 + [None]) | USER_AGENTS)
    return mutation, encoding, user_agent


def test_mutated_enrollment_requests(fuzz_setup, start_enrollment):
    """Step 2 of bob's enrollment, one field mutated, and the iOS probe.

    Refused: nothing changes. Accepted: only with the right credential and
    serial, and bob's token is enrolled with exactly the sent key and
    Firebase token (then a new enrollment is started for the next example).
    """
    harness, phones, admin = fuzz_setup["harness"], fuzz_setup["phones"], fuzz_setup["admin"]
    admin.set_policy("edupushplus-fuzz-ttl", "enrollment", "edupushplus_ttl=1440")
    from edupush_token.devtools.phone import EmulatedPhone

    app_phone = EmulatedPhone(FlaskClientTransport(harness.client), key_size=2048)
    pending = {"p": app_phone.scan(start_enrollment(user="bob")["pushurl"]["value"])}
    pending["p"].private_key = rsa.generate_private_key(65537, 2048)
    known = known_values_of(fuzz_setup)
    state = {"poll": phones.polls(), "db": harness.db_state()}  # the first poll signs what is unsigned

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
            req = Req("POST", ENDPOINT, body=mutation.value, content_type="text/plain; charset=utf-8", user_agent=user_agent)
            pairs = []
        else:
            pairs, _ = apply_mutation(genuine, mutation)
            req = encode("POST", ENDPOINT, pairs, encoding, user_agent)
        note(f"enrollment step 2 of {enrollment.serial}, mutation {mutation.describe()}, encoding {encoding}")
        if known_500(req, pairs):
            return
        errors_before = harness.errors.count
        response, _ = harness.send(req, "POST /ttype/edupushplus (mutated enrollment)")
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
            [text, unquote(text), unquote(unquote(text)), unquote_plus(text), unquote(unquote_plus(text))])
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
    if info.get("firebase_token") not in sent.get("fbtoken", []):
        fail(f"stored Firebase token {info.get('firebase_token')!r}, sent {sent.get('fbtoken')!r}")
    stored_key = serialization.load_der_public_key(base64.b64decode(info["public_key_smartphone"]))
    sent_keys = [_lenient_key(value) for value in sent.get("pubkey", [])]
    if not any(key is not None and _same_key(key, stored_key) for key in sent_keys):
        fail(f"stored phone key is none of the sent ones: {sent.get('pubkey')!r}")
    if "enrollment_credential" in info:
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


# ---------------------------------------------------------------------------
# 4. /validate/check, /validate/triggerchallenge, /validate/polltransaction
# ---------------------------------------------------------------------------


class Transactions:
    """Which transactions the phone accepted and which of them a login has used up."""

    def __init__(self, setup):
        self.setup = setup
        self.phone: PhoneSide = setup["phone"]
        self.accepted = {setup["tids"]["accepted"]}
        self.used: set = set()

    def pick(self, slot: str) -> str:
        """A transaction id as the example's draw asks for it, from the current state."""
        if slot in ("open", "declined"):
            return self.setup["tids"][slot]
        pool = sorted(self.accepted if slot == "accepted" else self.used) or sorted(self.accepted)
        return pool[-1]

    def accept_another(self):
        nonce, tid = self.phone.new_challenge()
        self.phone.answer(nonce, decline=False)
        self.accepted.add(tid)


def validate_values(transactions: Transactions, serials: List[str]):
    current = st.sampled_from(["open", "declined", "accepted", "accepted", "used"]).map(transactions.pick)
    tid = st.one_of(
        current, current,
        current.map(lambda t: t + " "),
        current.map(lambda t: t[:-1]),
        current.map(lambda t: t + "%00"),
        st.sampled_from(["", "*", "%", "0", "1" * 20, "' OR 1=1 --", "None"]),
        random_text,
    )
    return {
        "user": st.sampled_from(["alice", "alice", "bob", "Alice", "ALICE", "alice@demo", "alice ", " alice", "nobody", "", "*", "admin"]) | random_text,
        "realm": st.sampled_from(["demo", "demo", "DEMO", "", "other", "*"]) | random_text,
        "pass": st.sampled_from([PIN, PIN, "", PIN + "0", "0000", "alice-password", PIN + "123456"]) | random_text,
        "transaction_id": tid,
        "state": tid,
        "current_transaction": current,
        "serial": st.sampled_from(serials + [""]) | random_text,
        "type": st.sampled_from(["edupushplus", "edupush", "push", "hotp", ""]) | random_text,
        "edupushplus_wait": st.sampled_from(["1", "30", "300", "-1", "0", "1e9", "abc", ""]) | random_text,
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
        login = [("user", draw(st.sampled_from(["alice", "alice", "bob"]))), ("pass", draw(st.sampled_from(["", "", PIN, "x"]))),
                 ("transaction_id", draw(values["current_transaction"]))]
        if draw(st.booleans()):
            login.append(("realm", "demo"))
        pairs = login + [(k, v) for k, v in pairs if draw(st.integers(0, 3)) == 0 and k not in dict(login) and k != "state"]
    pairs += [(draw(key_text), draw(random_text)) for _ in range(draw(st.integers(0, 2)))]
    if json_values:  # (not for the parameters where eduMFA itself breaks on them: see KNOWN_500S)
        pairs = [(k, draw(json_value) if draw(st.integers(0, 4)) == 0 and (SEND_KNOWN or k not in CORE_STRING_PARAMETERS)
                  else v) for k, v in pairs]
    return pairs


def check_validate_answer(harness, req, response, elapsed, errors_before):
    if elapsed > SLOW_VALIDATE_SECONDS:
        raise AssertionError(harness.failure(f"the request took {elapsed:.1f} s: a client made the server wait", req, response, errors_before))
    if response.status_code != 200:
        assert_json_refusal(harness, req, response, errors_before)
        return None
    body = response.get_json(silent=True)
    if not isinstance(body, dict) or body.get("result", {}).get("status") is not True:
        raise AssertionError(harness.failure("a 200 without eduMFA's JSON result", req, response, errors_before))
    return body


def test_validate_check(fuzz_setup):
    """/validate/check: no 500, no wait, and only a transaction the phone accepted logs alice in, once."""
    harness, phone = fuzz_setup["harness"], fuzz_setup["phone"]
    transactions = Transactions(fuzz_setup)
    values = validate_values(transactions, [phone.serial, fuzz_setup["bob_detail"]["serial"]])
    form = st.tuples(st.sampled_from(["form", "dart_form", "raw_form", "multipart", "query", "query_raw", "query_and_form"]), validate_pairs(values, False))
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
            raise AssertionError(harness.failure(
                f"accepted without an answer of the phone: transactions sent {tids}, accepted by the phone and unused "
                f"{transactions.accepted}, used up {transactions.used}", req, response, errors_before))
        STATS.accepted["validate/check with the transaction the phone accepted"] += 1
        transactions.accepted -= usable
        transactions.used |= usable
        transactions.accept_another()

    run()


def test_triggerchallenge_and_polltransaction(fuzz_setup):
    """/validate/triggerchallenge (admin, no or bad auth) and /validate/polltransaction:
    no 500, JSON errors, and polltransaction says true only for a transaction the phone accepted."""
    harness, phone, admin = fuzz_setup["harness"], fuzz_setup["phone"], fuzz_setup["admin"]
    transactions = Transactions(fuzz_setup)
    values = validate_values(transactions, [phone.serial, fuzz_setup["bob_detail"]["serial"]])
    auth = st.sampled_from([admin.token] * 4 + [None, "", "Bearer x", admin.token + "x", "a.b.c", admin.token[:-5]])
    trigger = st.tuples(st.just("trigger"), st.sampled_from(["form", "json", "query", "json_as_text", "multipart"]),
                        validate_pairs(values, False), auth)
    trigger_json = st.tuples(st.just("trigger"), st.just("json"), validate_pairs(values, True), auth)
    poll_query = st.tuples(st.just("poll"), st.sampled_from(["query", "query_raw", "form_on_get", "json_on_get"]),
                           st.lists(st.tuples(st.sampled_from(["transaction_id"] * 4 + ["state", "user", "serial"]) | key_text,
                                              values["transaction_id"]), max_size=3), st.none())
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
            req = build_phone_request("poll", {"query": "query", "query_raw": "get_raw"}.get(encoding, encoding), user_agent, pairs)
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
                raise AssertionError(harness.failure(
                    f"polltransaction says accepted for {tids}; the phone accepted {transactions.accepted}", req, response, errors_before))

    run()
