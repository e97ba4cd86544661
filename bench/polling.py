"""The phone's poll (GET /ttype/<type>) of poll-only tokens, with no open login request and with ten.

The app polls every few seconds while it is open, so this request is the
one a server answers most, and for poll-only tokens (both types enrolled
with ``<type>_firebase_configuration = poll only``) it is the only way a
login request reaches the phone.  The host's built-in token signs every open
challenge again on every poll; with ten open that is ten RSA-4096
signatures per poll.  Ours signs a poll-only push once, at the first poll
that serves it, and stores the signature.  Timed: the HTTP exchange only,
not the phone's own signing.

With ten open, two series:

- steady state: the same ten requests on every poll, all served (and, for
  ours, signed) before: what the app sees while the requests wait;
- first poll after a new request: before each timed poll the phone accepts
  its oldest request, the application finishes that login
  (/validate/check with its transaction id, which deletes its challenge)
  and a new login is triggered, so each poll serves ten requests of which
  one is new: ours signs that one in this poll.
"""

from __future__ import annotations

from collections import deque
from typing import List

from .environment import (
    BenchUser,
    Device,
    Environment,
    answer_accepted,
    finish_login,
    poll_expecting,
    trigger,
)
from .harness import BUILT_IN, OURS, BenchError, Row, Target, interleaved, say

NAME = "poll"
DEFAULT_CALLS = 50
OPEN_CHALLENGES = 10
USERS = {BUILT_IN: BenchUser("poll-builtin", poll_only=True), OURS: BenchUser("poll-ours", poll_only=True)}


def run(environment: Environment, calls: int, warmup: int) -> List[Row]:
    devices = {variant: environment.enroll(USERS[variant], kind) for variant, kind in environment.kinds.items()}
    say(f"poll: {calls} polls per token type with no open login request")
    empty = interleaved({variant: poll_step(device, 0) for variant, device in devices.items()}, calls, warmup)
    logins = {variant: OpenLogins(environment, USERS[variant], device) for variant, device in devices.items()}
    for open_logins in logins.values():
        for _ in range(OPEN_CHALLENGES):
            open_logins.start()
    say(f"poll: {calls} polls per token type with {OPEN_CHALLENGES} open login requests, all served before")
    steady = interleaved(
        {variant: poll_step(device, OPEN_CHALLENGES) for variant, device in devices.items()}, calls, warmup
    )
    say(f"poll: {calls} polls per token type with {OPEN_CHALLENGES} open login requests, one of them new")
    fresh = interleaved({variant: open_logins.renew_and_poll for variant, open_logins in logins.items()}, calls, warmup)
    return [
        Row(
            "poll-10-open",
            f"Phone poll, poll-only, {OPEN_CHALLENGES} open login requests, all served before (steady state)",
            {variant: parts["poll"] for variant, parts in steady.items()},
            Target("median", 0.3),
        ),
        Row(
            "poll-10-open-first",
            f"Phone poll, poll-only, {OPEN_CHALLENGES} open login requests, the first "
            "poll after a new one (ours signs it in this poll)",
            {variant: parts["poll"] for variant, parts in fresh.items()},
        ),
        Row(
            "poll-none-open",
            "Phone poll, no open login request",
            {variant: parts["poll"] for variant, parts in empty.items()},
            Target("median", 1.0),
        ),
    ]


def poll_step(device: Device, expected: int):
    """One poll, which must answer ``expected`` login requests.

    The count is taken from the answer itself: the emulated app rightly
    drops requests whose nonce it has seen before, as on every poll after
    the first here.
    """

    def step():
        device.phone.poll(device.token)
        response = device.transport.response
        served = len(((response.json or {}).get("result") or {}).get("value") or [])
        if response.status != 200 or served != expected:
            raise BenchError(
                f"poll of {device.serial} served {served} login requests, not {expected}: "
                f"HTTP {response.status}: {response.text[:300]}"
            )
        return {"poll": device.transport.seconds}

    return step


class OpenLogins:
    """A token's open login requests, oldest first, each with the transaction id of its login."""

    def __init__(self, environment: Environment, user: BenchUser, device: Device):
        self.environment = environment
        self.user = user
        self.device = device
        self.open = deque()  # (the phone's request, transaction id)

    def start(self) -> float:
        """Trigger a login and poll once (this poll is the one that serves it first); the poll's seconds."""
        triggered = trigger(self.environment.admin, self.user, self.device.serial)
        [request] = poll_expecting(self.device, 1, self.user.name)
        seconds = self.device.transport.seconds
        served = len(self.device.transport.response.json["result"]["value"])
        if served != len(self.open) + 1:
            raise BenchError(f"poll of {self.device.serial} served {served} login requests, not {len(self.open) + 1}")
        self.open.append((request, triggered.transaction_id))
        return seconds

    def renew_and_poll(self) -> dict:
        """Finish the oldest login (untimed), start a new one; time the poll that first serves it."""
        request, transaction_id = self.open.popleft()
        answer_accepted(self.device, request, self.user.name)
        finish_login(self.environment.admin, self.user, transaction_id)
        return {"poll": self.start()}
