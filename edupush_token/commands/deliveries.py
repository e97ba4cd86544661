"""``edupush-token deliveries``: what became of recent pushes, from the deployment's database."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

from ..hosts.installed import host_name


def show(config_file: str, serial: Optional[str], limit: int) -> int:
    from ..hosts.reports import delivery_report, format_table

    if not Path(config_file).is_file():
        print(f"No {host_name()} configuration at {config_file}; pass --config.", file=sys.stderr)
        return 2
    rows, summary = delivery_report(config_file, serial, limit)
    print(format_table(rows))
    print()
    print(summary.shown(datetime.now(timezone.utc)))
    return 0
