"""push_wait: how soon a waiting /validate/check returns after the phone's answer.

With push_wait a legacy application sends one /validate/check with the PIN;
the server pushes and holds the request until the phone answers.  Measured:
from the moment the phone's answer POST has returned to the moment the
waiting /validate/check returns (negative if the login returned first).
The built-in token looks at the database once a second (``edupush_wait``,
``push_wait`` on privacyIDEA);
ours is woken by the answer (``edupushplus_wait``).

- same process: both requests served by this process's app (threads);
- PostgreSQL only, across processes: the login waits on server process A
  while the phone polls and answers on server process B, two "nodes" on one
  database, each a separate server process of the host on loopback.
"""

from __future__ import annotations

import threading
import time
from typing import Callable, List
from urllib.parse import urlsplit

import requests

from edupush_token.devtools.local_instance import DEMO_REALM
from edupush_token.devtools.phone import HttpTransport
from edupush_token.devtools.served import ServedInstance

from .environment import PIN, BenchUser, Device, Environment, answer_accepted
from .harness import BUILT_IN, OURS, BenchError, Row, Target, interleaved, say

NAME = "push_wait"
DEFAULT_CALLS = 20
WAIT_SECONDS = 20
POLL_INTERVAL_SECONDS = 0.01
USERS = {BUILT_IN: BenchUser("wait-builtin", poll_only=True), OURS: BenchUser("wait-ours", poll_only=True)}


def run(environment: Environment, calls: int, warmup: int) -> List[Row]:
    environment.admin.set_policy(
        "bench-push-wait",
        "authentication",
        {kind.policy_prefix + "wait": WAIT_SECONDS for kind in environment.kinds.values()},
        user=",".join(user.name for user in USERS.values()),
    )
    devices = {variant: environment.enroll(USERS[variant], kind) for variant, kind in environment.kinds.items()}
    say(f"push_wait: {calls} logins per token type, waiting and answering in this process")
    steps = {
        variant: wait_step(device, in_process_check(environment, USERS[variant])) for variant, device in devices.items()
    }
    rows = [
        Row(
            "push-wait",
            "push_wait: answer → waiting /validate/check returns, same process",
            parts_of(interleaved(steps, calls, warmup)),
            Target("median", 0.05),
        )
    ]
    if environment.database == "postgresql":
        rows.append(across_processes(environment, devices, calls, warmup))
    return rows


def across_processes(environment: Environment, devices, calls: int, warmup: int) -> Row:
    node_b = environment.node_directory("node-b")
    say("push_wait: starting two server processes on the database")
    with ServedInstance(environment.instance.directory) as url_a, ServedInstance(node_b) as url_b:
        for device in devices.values():
            device.transport.inner = RebasedTransport(HttpTransport(verify_tls=False), url_b)
        say(f"push_wait: {calls} logins per token type, waiting on {url_a}, answering on {url_b}")
        steps = {variant: wait_step(device, http_check(url_a, USERS[variant])) for variant, device in devices.items()}
        samples = interleaved(steps, calls, warmup)
    return Row(
        "push-wait-cross-process",
        "push_wait across processes: answer on node B → waiting /validate/check on node A returns",
        parts_of(samples),
        Target("median", 20, absolute_ms=True),
    )


def parts_of(samples) -> dict:
    return {variant: parts["wait"] for variant, parts in samples.items()}


def in_process_check(environment: Environment, user: BenchUser) -> Callable[[], tuple]:
    def check():
        response = environment.app.test_client().post("/validate/check", json=check_body(user))
        return response.status_code, response.get_json(silent=True)

    return check


def http_check(base_url: str, user: BenchUser) -> Callable[[], tuple]:
    def check():
        response = requests.post(base_url + "/validate/check", json=check_body(user), timeout=WAIT_SECONDS + 30)
        return response.status_code, response.json()

    return check


def check_body(user: BenchUser) -> dict:
    return {"user": user.name, "realm": DEMO_REALM, "pass": PIN}


def wait_step(device: Device, check: Callable[[], tuple]):
    """One push_wait login: the check waits in a thread while the phone polls and accepts."""

    def step():
        waiting = Waiting(check)
        request = poll_until_pushed(device, waiting)
        answer_accepted(device, request, device.serial)
        answered = device.transport.finished
        status, body = waiting.result()
        if status != 200 or ((body or {}).get("result") or {}).get("value") is not True:
            raise BenchError(f"push_wait login of {device.serial} did not succeed: HTTP {status}: {body}")
        return {"wait": waiting.finished - answered}

    return step


class Waiting:
    """A request running in a thread, with the moment it returned."""

    def __init__(self, call: Callable[[], tuple]):
        self.finished = None
        self._outcome = None
        self._error = None
        self._thread = threading.Thread(target=self._run, args=(call,), daemon=True)
        self._thread.start()

    def _run(self, call):
        try:
            self._outcome = call()
        except BaseException as error:  # reported by result(), in the measuring thread
            self._error = error
        self.finished = time.perf_counter()

    @property
    def done(self) -> bool:
        return not self._thread.is_alive()

    def result(self) -> tuple:
        self._thread.join(WAIT_SECONDS + 60)
        if self._thread.is_alive():
            raise BenchError("a push_wait /validate/check did not return")
        if self._error is not None:
            raise BenchError(f"a push_wait /validate/check failed: {self._error!r}") from self._error
        return self._outcome


def poll_until_pushed(device: Device, waiting: Waiting):
    """The phone polls until the waiting login's request shows up."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline and not waiting.done:
        requests_seen = device.phone.poll(device.token)
        if requests_seen:
            return requests_seen[0]
        time.sleep(POLL_INTERVAL_SECONDS)
    status, body = waiting.result() if waiting.done else (None, None)
    raise BenchError(f"the phone of {device.serial} never saw the push_wait login: HTTP {status}: {body}")


class RebasedTransport:
    """Sends the phone's requests to ``base_url``, keeping path and query.

    The tokens were enrolled with a registration URL that names no real
    server; the signatures cover that URL, the phone only sends elsewhere.
    """

    def __init__(self, inner, base_url: str):
        self.inner = inner
        self.base_url = base_url

    def post_form(self, url, fields):
        return self.inner.post_form(self._rebase(url), fields)

    def post_text(self, url, body):
        return self.inner.post_text(self._rebase(url), body)

    def get_raw(self, url):
        return self.inner.get_raw(self._rebase(url))

    def _rebase(self, url: str) -> str:
        parts = urlsplit(url)
        return self.base_url + url[len(f"{parts.scheme}://{parts.netloc}") :]
