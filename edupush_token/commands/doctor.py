"""``edupush-token doctor``: examine a deployment and print each finding with its fix."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional, Sequence

from ..doctor.checks.workers import read_gunicorn_config
from ..doctor.deployment import WorkerSetup
from ..doctor.examine import examine
from ..doctor.render import as_json, as_text
from ..doctor.web import Web


def run(
    config: str,
    gunicorn_config: Optional[Path],
    worker_class: Optional[str],
    threads: Optional[int],
    workers: Optional[int],
    clock_references: Sequence[str],
    nodes: Sequence[str],
    ca_bundle: Optional[str],
    timeout: float,
    json_output: bool,
) -> int:
    setup = WorkerSetup()
    if gunicorn_config:
        try:
            setup = read_gunicorn_config(gunicorn_config)
        except Exception as problem:  # the admin's Python file: show why it does not load
            print(f"edupush-token doctor: {gunicorn_config} does not load: {problem}", file=sys.stderr)
            return 2
    if worker_class or threads or workers:
        source = "command line" if not gunicorn_config else f"{gunicorn_config} and command line"
        setup = WorkerSetup(
            worker_class or setup.worker_class, threads or setup.threads, source, workers or setup.workers
        )
    if not json_output:
        print(f"Checking {config} ...", file=sys.stderr, flush=True)
    report = examine(config, Web(verify=ca_bundle or True, timeout=timeout), setup, clock_references, nodes)
    print(as_json(report) if json_output else as_text(report))
    return 1 if report.failed else 0
