"""Enrollment step 2: the phone's POST of its public key to /ttype/<type>.

The host's built-in token generates the server's RSA-4096 key pair inside
this request.  Ours takes a key from a pool filled in the background.  Two
rows for ours:

- pool full: before every timed enrollment (of either type) the bench waits,
  untimed, until the pool is full again, so a refill never runs during a
  measurement; this is an enrollment at any ordinary pace;
- pool empty: the same request served by a second app on the same database
  with ``EDUPUSH_KEY_POOL_SIZE = 0``, i.e. the key is made in the request, as
  when a burst of enrollments has emptied the pool.

Step 1 (the admin's /token/init) and the phone's own key are untimed; every
phone uses one pre-made RSA-4096 key, which only the phone pays for.
"""

from __future__ import annotations

from typing import List

from . import key_pool
from .environment import BenchUser, Environment, TokenKind
from .harness import BUILT_IN, OURS, Row, Target, interleaved, say

NAME = "enrollment"
DEFAULT_CALLS = 20
POOL_OFF = "ours, key pool off"
USERS = {BUILT_IN: BenchUser("enroll-builtin"), OURS: BenchUser("enroll-ours")}


def run(environment: Environment, calls: int, warmup: int) -> List[Row]:
    pool_off_app = environment.sibling_app("key-pool-off", {"EDUPUSH_KEY_POOL_SIZE": 0})
    watch = PoolWatch(environment)
    kinds = environment.kinds
    steps = {
        BUILT_IN: enroll_step(environment, kinds[BUILT_IN], environment.app, watch),
        OURS: enroll_step(environment, kinds[OURS], environment.app, watch),
        POOL_OFF: enroll_step(environment, kinds[OURS], pool_off_app, watch),
    }
    say(f"enrollment: {calls} enrollments per series, waiting for a full key pool before each")
    try:
        samples = interleaved(steps, calls, warmup)
    finally:
        environment.dispose(pool_off_app)
    built_in = samples[BUILT_IN]["enroll"]
    full = Row(
        "enroll-pool-full",
        "Enrollment step 2, key pool full",
        {BUILT_IN: built_in, OURS: samples[OURS]["enroll"]},
        Target("p95", 0.1),
    )
    empty = Row(
        "enroll-pool-empty",
        "Enrollment step 2, key pool empty (pool off: key made in the request)",
        {BUILT_IN: built_in, OURS: samples[POOL_OFF]["enroll"]},
    )
    full.notes.append(watch.describe(environment.key_pool_size))
    problem = watch.problem()
    if problem:
        environment.problems.append(problem)
    return [full, empty]


class PoolWatch:
    """Waits for a full pool before each enrollment and checks that ours really drew from it."""

    def __init__(self, environment: Environment):
        self.environment = environment
        self.draws_seen = 0
        self.draws = 0
        self.waited_seconds = 0.0
        self.primed = False  # the pool starts filling at our first enrollment step 1

    @property
    def present(self) -> bool:
        """Asked afresh: the plugin may create the pool's table only when it first needs it."""
        return key_pool.level(self.environment.app, self.environment.builtin.db) is not None

    def wait_until_full(self):
        if not self.primed:
            return
        environment = self.environment
        self.waited_seconds += key_pool.wait_until_full(
            environment.app, environment.builtin.db, environment.key_pool_size
        )

    def after_pool_enrollment(self):
        self.draws += 1
        ready = key_pool.level(self.environment.app, self.environment.builtin.db)
        if ready is not None and ready < self.environment.key_pool_size:
            self.draws_seen += 1

    def describe(self, size: int) -> str:
        if not self.present:
            return (
                "this build has no key pool (no table edupushplus_server_key): "
                "ours made its key in the request in both enrollment rows"
            )
        return (
            f"key pool of {size} keys, refilled before each enrollment (untimed, "
            f"{self.waited_seconds:.1f} s in all); ours drew a key in {self.draws_seen} "
            f"of {self.draws} enrollments as far as the pool's level shows"
        )

    def problem(self):
        if self.draws and not self.draws_seen and self.present:
            return (
                "the key pool's level never dropped after an enrollment of ours: "
                "the bench cannot tell whether ours used the pool"
            )
        return None


def enroll_step(environment: Environment, kind: TokenKind, app, watch: PoolWatch):
    """One enrollment of a new token; only step 2's HTTP exchange is timed."""
    user = USERS[kind.variant]
    phone, transport = environment.new_device_phone(user, kind, app.test_client())
    draws_from_pool = kind.variant == OURS and app is environment.app

    def step():
        pending = phone.scan(environment.start_enrollment(user, kind))
        watch.primed = watch.primed or kind.variant == OURS
        pending.private_key = environment.phone_key()
        watch.wait_until_full()
        phone.enroll(pending)
        seconds = transport.seconds
        if draws_from_pool:
            watch.after_pool_enrollment()
        return {"enroll": seconds}

    return step
