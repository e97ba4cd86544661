"""The phone's poll (GET /ttype/<type>), with no open login request and with ten.

The app polls every few seconds while it is open, so this request is the
one a server answers most.  eduMFA's built-in token signs every open
challenge again on every poll; with ten open that is ten RSA-4096 signatures
per poll.  Timed: the HTTP exchange only, not the phone's own signing.
"""

from __future__ import annotations

from typing import List

from .environment import KINDS, BenchUser, Device, Environment, trigger
from .harness import BUILT_IN, OURS, BenchError, Row, Target, interleaved, say

NAME = "poll"
DEFAULT_CALLS = 50
OPEN_CHALLENGES = 10
USERS = {BUILT_IN: BenchUser("poll-builtin", poll_only=True), OURS: BenchUser("poll-ours", poll_only=True)}


def run(environment: Environment, calls: int, warmup: int) -> List[Row]:
    devices = {kind.variant: environment.enroll(USERS[kind.variant], kind) for kind in KINDS}
    say(f"poll: {calls} polls per token type with no open login request")
    empty = interleaved({variant: poll_step(device, 0) for variant, device in devices.items()},
                        calls, warmup)
    for variant, device in devices.items():
        for _ in range(OPEN_CHALLENGES):
            trigger(environment.admin, USERS[variant], device.serial)
    say(f"poll: {calls} polls per token type with {OPEN_CHALLENGES} open login requests")
    full = interleaved({variant: poll_step(device, OPEN_CHALLENGES) for variant, device in devices.items()},
                       calls, warmup)
    return [
        Row("poll-10-open", f"Phone poll, {OPEN_CHALLENGES} open login requests",
            {variant: parts["poll"] for variant, parts in full.items()}, Target("median", 0.5)),
        Row("poll-none-open", "Phone poll, no open login request",
            {variant: parts["poll"] for variant, parts in empty.items()}, Target("median", 1.0)),
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
            raise BenchError(f"poll of {device.serial} served {served} login requests, not {expected}: "
                             f"HTTP {response.status}: {response.text[:300]}")
        return {"poll": device.transport.seconds}

    return step
