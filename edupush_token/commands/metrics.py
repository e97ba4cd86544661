"""``edupush-token metrics``: the metrics in Prometheus's text format, for node_exporter's textfile collector.

The outbox series come from the deployment's database; the processes'
series from ``PROMETHEUS_MULTIPROC_DIR``, if this command is run with the
one eduMFA's workers use.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional

from ..lifecycle import utc_now
from ..metrics import exposition
from ..metrics.series import MULTIPROCESS_DIRECTORY

NO_PROCESS_SERIES = (
    f"{MULTIPROCESS_DIRECTORY} is not set: only the outbox's series, read from the database; "
    "set it to the directory eduMFA's workers use to add theirs."
)


def run(config_file: str, textfile: Optional[Path]) -> int:
    from ..hosts.installed import host_name
    from ..hosts.reports import outbox_summary

    if not Path(config_file).is_file():
        print(f"No {host_name()} configuration at {config_file}; pass --config.", file=sys.stderr)
        return 2
    if not os.environ.get(MULTIPROCESS_DIRECTORY):
        print(NO_PROCESS_SERIES, file=sys.stderr)
    summary = outbox_summary(config_file)
    if textfile is None:
        sys.stdout.write(exposition.render(summary, utc_now()).decode())
    else:
        exposition.write_textfile(textfile, summary, utc_now())
    return 0
