"""A login with both tokens enrolled poll-only: /validate/triggerchallenge and the phone's first poll.

Poll-only tokens get no push through Firebase: the app finds its login
requests by polling.  The host's built-in token (enrollment policy
``edupush_firebase_configuration = poll only``, privacyIDEA's
``push_firebase_configuration``) then only stores the
challenge in the trigger and signs it on every poll; ours
(``edupushplus_firebase_configuration = poll only``) stores the push
unsigned in the trigger and signs it at the first poll that serves it.

Each login: the trigger (timed), the phone's first poll, which serves this
one login request (timed: ours signs it here), and the accept (timed; the
triggerchallenge workload times it for Firebase tokens).  Answering keeps
every token at no open request, as real users do.
"""

from __future__ import annotations

from typing import List

from .environment import BenchUser, Environment
from .harness import BUILT_IN, OURS, Row, Target, interleaved, say
from .triggerchallenge import login_step

NAME = "trigger_poll_only"
DEFAULT_CALLS = 50
USERS = {
    BUILT_IN: BenchUser("pollonly-builtin", poll_only=True),
    OURS: BenchUser("pollonly-ours", poll_only=True),
}


def run(environment: Environment, calls: int, warmup: int) -> List[Row]:
    devices = {variant: environment.enroll(user, environment.kinds[variant]) for variant, user in USERS.items()}
    say(f"trigger_poll_only: {calls} logins per token type, both tokens poll-only")
    steps = {variant: login_step(environment, USERS[variant], device) for variant, device in devices.items()}
    samples = interleaved(steps, calls, warmup)
    return [
        Row(
            "trigger-poll-only",
            "/validate/triggerchallenge, both tokens poll-only",
            {variant: parts["trigger"] for variant, parts in samples.items()},
            Target("median", 1.0),
        ),
        Row(
            "poll-first-1-open",
            "Phone's first poll after a poll-only trigger, 1 open login request (ours signs it in this poll)",
            {variant: parts["poll"] for variant, parts in samples.items()},
        ),
        Row(
            "answer-poll-only",
            "Phone's answer POST (accept), both tokens poll-only",
            {variant: parts["answer"] for variant, parts in samples.items()},
            Target("median", 1.0),
        ),
    ]
