"""Server key pairs made ahead of time, so enrollment step 2 does not wait for RSA.

Generating an RSA-4096 key takes about half a second of CPU, which the hosts'
built-in push tokens spend inside the phone's request.  Here a background
thread of each process keeps ``EDUPUSH_KEY_POOL_SIZE`` keys per key size in
the database, private keys encrypted with the host's own encryption like any
token secret.  Taking a key deletes its row in the taking transaction, so no
key is ever handed out twice, on any number of processes or nodes; an empty
pool only means the request generates its key itself, as the built-in does.
"""

from __future__ import annotations

import logging
import threading
from typing import Callable, Optional

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from ..crypto import ServerKeyPair, generate_server_key
from ..ports import SecretBox
from . import migrate
from .schema import server_key

log = logging.getLogger(__name__)

TAKE_ATTEMPTS = 5  # rows another process took between our SELECT and DELETE

RunInHost = Callable[[Callable[[], None]], None]


class KeyPool:
    """The pooled keys of one database, read and written in the host's session."""

    def __init__(self, session: Callable[[], Session], secrets: SecretBox) -> None:
        self._session = session
        self._secrets = secrets

    @property
    def session(self) -> Session:
        session = self._session()
        migrate.ensure_current(session.get_bind())  # type: ignore[arg-type]
        return session

    def take(self, key_size: int) -> Optional[ServerKeyPair]:
        """Claim the oldest pooled key of this size for the current transaction; None if empty."""
        session = self.session
        for _attempt in range(TAKE_ATTEMPTS):
            row = session.execute(
                select(server_key.c.id, server_key.c.public_pem, server_key.c.encrypted_private_pem)
                .where(server_key.c.key_size == key_size)
                .order_by(server_key.c.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            ).first()
            if row is None:
                return None
            claimed = session.execute(delete(server_key).where(server_key.c.id == row.id))
            if claimed.rowcount == 1:  # type: ignore[attr-defined]
                return ServerKeyPair(self._secrets.decrypt(row.encrypted_private_pem), row.public_pem)
        return None

    def available(self, key_size: int) -> int:
        session = self.session
        count = session.execute(
            select(func.count(server_key.c.id)).where(server_key.c.key_size == key_size)
        ).scalar_one()
        session.rollback()
        return int(count)

    def add(self, key_size: int, key: ServerKeyPair) -> None:
        session = self.session
        session.execute(
            insert(server_key).values(
                key_size=key_size,
                public_pem=key.public_pem,
                encrypted_private_pem=self._secrets.encrypt(key.private_pem),
            )
        )
        session.commit()


class Refiller:
    """Tops pools up in the background, one refill at a time per database and key size."""

    def __init__(self, submit: Callable[[Callable[[], None]], bool]) -> None:
        self._submit = submit
        self._running: set[tuple[str, int]] = set()
        self._lock = threading.Lock()

    def refill(
        self, database: str, key_size: int, target: int, pool: Callable[[], KeyPool], in_host: RunInHost
    ) -> None:
        """Call after committing a take: a refill that counted before the commit would still see the key."""
        job = (database, key_size)
        if not target:
            return
        with self._lock:
            if job in self._running:
                return
            self._running.add(job)

        def add_one_key() -> None:
            more_needed = False

            def step() -> None:
                nonlocal more_needed
                keys = pool()
                more_needed = keys.available(key_size) < target
                if more_needed:
                    keys.add(key_size, generate_server_key(key_size))

            try:
                in_host(step)
            except Exception:  # noqa: BLE001 - a failed refill must not kill the thread; requests still work
                log.exception("Could not add a server key to the pool; enrollments generate their own.")
                more_needed = False
            if not (more_needed and self._submit(add_one_key)):
                self._done(job)

        if not self._submit(add_one_key):
            self._done(job)

    def _done(self, job: tuple[str, int]) -> None:
        with self._lock:
            self._running.discard(job)

    def forget(self) -> None:
        """In a forked child: the parent's refills run in the parent."""
        self._lock = threading.Lock()
        self._running.clear()
