"""A login's server side: /validate/triggerchallenge, then the phone's answer POST.

The host's built-in token sends the push to Firebase inside the trigger
request, so every login waits for Google; ours stores the challenge and
hands the push to a background dispatcher.  The local FCM stand-in answers
after ``--latency`` seconds (default 0.2), then, in a second pass, at once.

Each login: trigger (timed), the phone polls (timed: a row without a
target, the poll of a push the phone also got through Firebase) and accepts
(the answer POST, timed).  Answering keeps every token at no open request, as
real users do.  A third series, ours with a poll-only token, shows what
delivering through Firebase adds to our trigger.  A pass ends when our
dispatcher has finished its sends, so none spill into the next pass; then
every login must have reached the stand-in, for both Firebase series.
"""

from __future__ import annotations

from typing import List

from edupush_token import runtime

from .environment import (
    DRAIN_SECONDS,
    BenchUser,
    Device,
    Environment,
    answer_accepted,
    poll_expecting,
    registration_token,
    trigger,
)
from .harness import BUILT_IN, OURS, BenchError, Row, Target, interleaved, say

NAME = "triggerchallenge"
DEFAULT_CALLS = 50
OURS_POLL_ONLY = "ours poll-only"
USERS = {
    BUILT_IN: BenchUser("login-builtin"),
    OURS: BenchUser("login-ours"),
    OURS_POLL_ONLY: BenchUser("login-ours-poll-only", poll_only=True),
}
KIND_OF = {BUILT_IN: BUILT_IN, OURS: OURS, OURS_POLL_ONLY: OURS}  # series -> the variant of its token type


def run(environment: Environment, calls: int, warmup: int, latency: float) -> List[Row]:
    devices = {
        variant: environment.enroll(user, environment.kinds[KIND_OF[variant]]) for variant, user in USERS.items()
    }
    latencies = [latency, 0.0] if latency > 0 else [latency]
    rows, answers, polls = [], None, None
    for seconds in latencies:
        say(f"triggerchallenge: {calls} logins per series with the FCM stand-in answering after {seconds * 1000:g} ms")
        environment.fcm.set_latency(send=seconds)
        steps = {variant: login_step(environment, USERS[variant], device) for variant, device in devices.items()}
        samples = interleaved(steps, calls, warmup)
        if not runtime.deliveries.wait_idle(DRAIN_SECONDS):
            raise BenchError(f"our dispatcher did not finish its sends within {DRAIN_SECONDS:g} s")
        rows.append(trigger_row(samples, seconds))
        if answers is None:
            answers = Row(
                "answer",
                f"Phone's answer POST (accept), FCM stand-in at {ms(seconds)}",
                {variant: parts["answer"] for variant, parts in samples.items()},
                Target("median", 1.0),
            )
            polls = Row(
                "poll-first-1-open-fcm",
                "Phone's poll after a trigger, tokens with Firebase, 1 open login request (also pushed)",
                {variant: parts["poll"] for variant, parts in samples.items()},
            )
    check_pushes(environment, len(latencies) * (warmup + calls))
    return rows + [answers, polls]


def login_step(environment: Environment, user: BenchUser, device: Device):
    """One login of ``user``: the trigger, the phone's poll for it and its accept, each timed.

    The poll is the first one to see this login request, so it is the poll
    that signs a push nobody has signed yet (ours, poll-only).
    """

    def step():
        triggered = trigger(environment.admin, user, device.serial)
        [request] = poll_expecting(device, 1, user.name)
        poll_seconds = device.transport.seconds
        answer_accepted(device, request, user.name)
        return {"trigger": triggered.seconds, "poll": poll_seconds, "answer": device.transport.seconds}

    return step


def trigger_row(samples, latency: float) -> Row:
    # Issue 3 asks for at most 0.1 x the built-in with a realistic Firebase; issue 5 for no slower at all.
    target = Target("median", 0.1 if latency > 0 else 1.0)
    row = Row(
        f"trigger-fcm-{latency * 1000:g}ms",
        f"/validate/triggerchallenge, FCM stand-in at {ms(latency)}",
        {variant: parts["trigger"] for variant, parts in samples.items()},
        target,
    )
    stats = row.stats
    added = stats[OURS]["median_ms"] - stats[OURS_POLL_ONLY]["median_ms"]
    wanted = " (issue 3 asks for < 10 ms)" if latency > 0 else ""
    row.notes.append(f"ours with Firebase minus ours poll-only (medians): {added:+.1f} ms{wanted}")
    return row


def check_pushes(environment: Environment, logins: int) -> None:
    """Every login of a Firebase token must have reached the stand-in, none of the poll-only one."""
    for variant, user in USERS.items():
        sent = [record for record in environment.fcm.messages if record["token"] == registration_token(user)]
        delivered = sum(1 for record in sent if record["status"] == 200)
        expected = 0 if user.poll_only else logins
        if (len(sent), delivered) != (expected, expected):
            environment.problems.append(
                f"{variant} ({user.name}): the FCM stand-in got {len(sent)} sends, {delivered} answered "
                f"200; expected {expected}"
            )


def ms(seconds: float) -> str:
    return f"{seconds * 1000:g} ms"
