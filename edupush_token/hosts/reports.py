"""What ``edupush-token deliveries`` and ``metrics`` read: recent pushes and their fate, the outbox."""

from __future__ import annotations

from typing import Iterable, Optional

from ..delivery.outbox import OutboxSummary
from ..delivery.report import shown_state
from .common import Store
from .installed import adapter

COLUMNS = ("created (UTC)", "serial", "state", "attempts", "FCM message id / reason")


def delivery_report(
    config_file: str, serial: Optional[str] = None, limit: int = 50
) -> tuple[list[tuple], OutboxSummary]:
    """Recent delivery records and the outbox's summary (of all tokens), from the installed host's database."""
    with adapter("app").app_context(config_file):
        store = Store(adapter("library").LIBRARY)
        store.ensure_tables()
        return _rows(store, serial, limit), store.outbox_summary()


def outbox_summary(config_file: str) -> OutboxSummary:
    """The outbox's summary alone, for ``edupush-token metrics``."""
    with adapter("app").app_context(config_file):
        store = Store(adapter("library").LIBRARY)
        store.ensure_tables()
        return store.outbox_summary()


def _rows(store: Store, serial: Optional[str], limit: int) -> list[tuple]:
    return [
        (
            record.created.replace(tzinfo=None).isoformat(sep=" ", timespec="seconds"),
            record.serial,
            shown_state(record.delivery_state) or "-",
            str(record.delivery_attempts),
            record.fcm_message_id or record.delivery_detail,
        )
        for record in store.recent_deliveries(serial, limit)
    ]


def format_table(rows: Iterable[tuple]) -> str:
    rows = [COLUMNS, *rows]
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(COLUMNS) - 1)]
    lines = [
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)) + "  " + str(row[-1]) for row in rows
    ]
    return "\n".join(lines)
