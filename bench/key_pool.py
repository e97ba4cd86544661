"""How full our server key pool is, read from the database as an admin would.

The pool (the host config's ``EDUPUSH_KEY_POOL_SIZE``) keeps pre-generated server
keys in the table ``edupushplus_server_key`` and refills it in the
background.  A key taken is a row gone (a key is never used twice), so the
row count is the number of keys ready.  Without the table this build has no
pool and every enrollment makes its key in the request.
"""

from __future__ import annotations

import time
from typing import Optional

from .harness import BenchError

POOL_TABLE = "edupushplus_server_key"
FILL_TIMEOUT_SECONDS = 300.0
CHECK_INTERVAL_SECONDS = 0.05


def level(app, db) -> Optional[int]:
    """Keys ready in the pool, or None when this build has no pool table; ``db`` is the host's."""
    from sqlalchemy import func, inspect, select, table

    with app.app_context():
        if not inspect(db.engine).has_table(POOL_TABLE):
            return None
        count = db.session.execute(select(func.count()).select_from(table(POOL_TABLE))).scalar()
        db.session.remove()
        return count


def wait_until_full(app, db, size: int) -> float:
    """Seconds spent waiting until ``size`` keys are ready; 0 without a pool."""
    started = time.monotonic()
    while True:
        ready = level(app, db)
        if ready is None or ready >= size:
            return time.monotonic() - started
        if time.monotonic() - started > FILL_TIMEOUT_SECONDS:
            raise BenchError(f"the key pool held {ready} of {size} keys after {FILL_TIMEOUT_SECONDS:g} s")
        time.sleep(CHECK_INTERVAL_SECONDS)
