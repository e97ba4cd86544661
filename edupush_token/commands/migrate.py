"""``edupush-token migrate``: bring the plugin's tables in the host's database to this version's revision."""

from __future__ import annotations

import sys
from pathlib import Path

from ..hosts.installed import host_name
from ..storage.migrate import VERSION_TABLE


def run(config_file: str) -> int:
    from ..hosts.database import upgrade_tables

    if not Path(config_file).is_file():
        print(f"No {host_name()} configuration at {config_file}; pass --config.", file=sys.stderr)
        return 2
    upgrade = upgrade_tables(config_file)
    if upgrade.unknown:
        print(
            f"The edupushplus tables are at revision {upgrade.before}, which this version of edupush-token does not "
            "know: a newer version migrated them. Nothing was changed; upgrade edupush-token here.",
            file=sys.stderr,
        )
        return 1
    if not upgrade.changed:
        print(f"The edupushplus tables are at revision {upgrade.after} already; nothing to do.")
    else:
        before = upgrade.before or f"none (no {VERSION_TABLE} table yet)"
        print(f"The edupushplus tables were upgraded from revision {before} to {upgrade.after}.")
    return 0
