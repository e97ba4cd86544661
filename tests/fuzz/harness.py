"""Sending fuzzed requests, reading eduMFA's database, and the checks every request gets."""

from __future__ import annotations

import logging
import sqlite3
import time
import traceback
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Dict, List, Optional, Tuple

from hypothesis import note

from edupush_token.catalogue import ENDPOINT_PATH

from .session import COLLECT_500S, STATS

if TYPE_CHECKING:
    from .phones import Phones

ENDPOINT = ENDPOINT_PATH
# Tables that change with every request, refused or not; and the server key
# pool, which a background thread refills at any moment.
VOLATILE_TABLES = {
    "mfa_audit",
    "usercache",
    "authcache",
    "clientapplication",
    "monitoringstats",
    "jwt_blacklist",
    "edupushplus_server_key",
}


class ErrorCapture(logging.Handler):
    """Keeps the tracebacks eduMFA logs, to put the server side into a failure message."""

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.count = 0
        self._recent: List[Tuple[int, str]] = []

    def emit(self, record):
        if record.exc_info:
            self._recent.append(
                (
                    self.count,
                    f"{record.name}: {record.getMessage()}\n" + "".join(traceback.format_exception(*record.exc_info)),
                )
            )
            self.count += 1
            del self._recent[:-10]

    def since(self, count: int) -> List[str]:
        return [text for index, text in self._recent if index >= count]


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
        body = (
            self.body
            if self.body is None or len(self.body) <= 600
            else self.body[:600] + b"...(%d bytes)" % len(self.body)
        )
        query = (
            self.query
            if self.query is None or len(self.query) <= 600
            else self.query[:600] + f"...({len(self.query)} chars)"
        )
        headers = {k: v for k, v in self.headers.items() if k != "Authorization"}
        if "Authorization" in self.headers:
            headers["Authorization"] = (
                "<admin JWT>" if self.headers["Authorization"].count(".") == 2 else self.headers["Authorization"][:80]
            )
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

    def __init__(self, test_name, client, instance, errors: ErrorCapture):
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
        STATS.record(
            self.test_name,
            endpoint or f"{req.method} {req.path.split('/', 3)[1] if req.path.startswith('/') else req.path}",
            response.status_code,
            req.describe(),
        )
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
        return text[max(0, start - 300) :][-6000:] if start >= 0 else "(no traceback in the eduMFA log)"

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
        raise AssertionError(
            harness.failure(f"expected a 4xx refusal, got HTTP {status}", req, response, errors_before)
        )
    if req.method == "HEAD":
        return
    body = response.get_json(silent=True)
    try:
        ok = (
            body["result"]["status"] is False
            and isinstance(body["result"]["error"]["message"], str)
            and body["result"]["error"]["message"]
        )
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


def assert_unchanged(harness, req, response, before_db, before_poll, phones: Phones, errors_before=0):
    after_db = harness.db_state()
    diff = db_diff(before_db, after_db)
    if diff:
        raise AssertionError(
            harness.failure(
                "a refused request changed the database:\n" + describe_diff(diff), req, response, errors_before
            )
        )
    after_poll = phones.polls()
    if after_poll != before_poll:
        raise AssertionError(
            harness.failure(
                f"a refused request changed what a genuine poll is served:\nbefore: {before_poll}\nafter: {after_poll}",
                req,
                response,
                errors_before,
            )
        )
