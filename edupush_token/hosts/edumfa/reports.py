"""What ``edupush-token deliveries`` and ``metrics`` read: recent pushes and their fate, the outbox."""

from __future__ import annotations

from typing import Iterable, Optional

from ...delivery.outbox import OutboxSummary
from ...delivery.report import shown_state
from .app import app_context
from .ports import Store

COLUMNS = ("created (UTC)", "serial", "state", "attempts", "FCM message id / reason")


def delivery_report(
    config_file: str, serial: Optional[str] = None, limit: int = 50
) -> tuple[list[tuple], OutboxSummary]:
    """Recent delivery records and the outbox's summary (of all tokens), from one eduMFA's database."""
    with app_context(config_file):
        store = Store()
        store.ensure_tables()
        return _rows(store, serial, limit), store.outbox_summary()


def outbox_summary(config_file: str) -> OutboxSummary:
    """The outbox's summary alone, for ``edupush-token metrics``."""
    with app_context(config_file):
        store = Store()
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
