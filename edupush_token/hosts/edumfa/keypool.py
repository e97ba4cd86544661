"""Server key pairs made ahead of time, so enrollment step 2 does not wait for RSA.

Generating an RSA-4096 key takes about half a second of CPU, which eduMFA's
built-in token spends inside the phone's request.  Here a background thread
of each process keeps ``EDUPUSH_KEY_POOL_SIZE`` keys per key size in the
database, private keys encrypted with eduMFA's own encryption like any token
secret.  Taking a key deletes its row in the taking transaction, so no key is
ever handed out twice, on any number of processes or nodes; an empty pool
only means the request generates its key itself, as the built-in does.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Optional

from flask import current_app
from sqlalchemy import func, select

from edumfa.lib.crypto import decryptPassword, encryptPassword
from edumfa.models import db

from ...crypto import ServerKeyPair, generate_server_key
from ...delivery.dispatcher import Dispatcher
from .tables import create_once

log = logging.getLogger(__name__)

POOL_SIZE_CONFIG = "EDUPUSH_KEY_POOL_SIZE"
DEFAULT_POOL_SIZE = 8
TAKE_ATTEMPTS = 5  # rows another process took between our SELECT and DELETE


class PooledServerKey(db.Model):
    __tablename__ = "edupushplus_server_key"

    id = db.Column(db.Integer, primary_key=True)
    key_size = db.Column(db.Integer, nullable=False, index=True)
    public_pem = db.Column(db.UnicodeText, nullable=False)
    encrypted_private_pem = db.Column(db.UnicodeText, nullable=False)
    created = db.Column(db.DateTime, nullable=False, default=datetime.utcnow)


generator = Dispatcher(workers=1, capacity=100, name="edupushplus-keys")
_refilling: set[tuple[str, int]] = set()
_refilling_lock = threading.Lock()


def pool_size() -> int:
    return max(0, int(current_app.config.get(POOL_SIZE_CONFIG, DEFAULT_POOL_SIZE)))


def server_key(key_size: int) -> ServerKeyPair:
    """A fresh key pair for one enrollment: from the pool if it has one, else made now."""
    pooled = take(key_size) if pool_size() else None
    return pooled or generate_server_key(key_size)


def take(key_size: int) -> Optional[ServerKeyPair]:
    """Claim the oldest pooled key of this size for the current transaction; None if empty."""
    create_once(PooledServerKey)
    for _attempt in range(TAKE_ATTEMPTS):
        row = db.session.execute(
            select(PooledServerKey.id, PooledServerKey.public_pem, PooledServerKey.encrypted_private_pem)
            .where(PooledServerKey.key_size == key_size)
            .order_by(PooledServerKey.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).first()
        if row is None:
            return None
        claimed = db.session.execute(PooledServerKey.__table__.delete().where(PooledServerKey.id == row.id))
        if claimed.rowcount == 1:
            return ServerKeyPair(private_pem=decryptPassword(row.encrypted_private_pem), public_pem=row.public_pem)
    return None


def available(key_size: int) -> int:
    create_once(PooledServerKey)
    count = db.session.execute(
        select(func.count(PooledServerKey.id)).where(PooledServerKey.key_size == key_size)
    ).scalar_one()
    db.session.rollback()
    return count


def refill(key_size: int) -> None:
    """Top the pool up to its size in the background (one refill per database and size).

    Call it after committing a take: a refill that counted before the commit
    would still see the taken key.
    """
    target = pool_size()
    if not target:
        return
    app = current_app._get_current_object()
    job = (db.engine.url.render_as_string(hide_password=False), key_size)
    with _refilling_lock:
        if job in _refilling:
            return
        _refilling.add(job)

    def add_one_key() -> None:
        try:
            with app.app_context():
                more_needed = available(key_size) < target
                if more_needed:
                    _add(key_size, generate_server_key(key_size))
        except Exception:  # noqa: BLE001 - a failed refill must not kill the thread; requests still work
            log.exception("Could not add a server key to the pool; enrollments generate their own.")
            more_needed = False
        if not (more_needed and generator.submit(add_one_key)):
            with _refilling_lock:
                _refilling.discard(job)

    if not generator.submit(add_one_key):
        with _refilling_lock:
            _refilling.discard(job)


def _add(key_size: int, key: ServerKeyPair) -> None:
    db.session.add(PooledServerKey(
        key_size=key_size,
        public_pem=key.public_pem,
        encrypted_private_pem=encryptPassword(key.private_pem),
    ))
    db.session.commit()
