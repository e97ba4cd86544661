"""``python -m bench``: every workload, both token types, one host (eduMFA or privacyIDEA), one run.

See docs/benchmarks.md for what each workload measures and why.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import sys
import tempfile
import time
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from edupush_token.devtools.phone import PhoneError
from edupush_token.hosts.installed import default_host

from . import chart, enrollment, polling, push_wait, report, trigger_poll_only, triggerchallenge
from .environment import open_environment
from .harness import BUILT_IN, OURS, BenchError, say
from .hosts import BUILTINS

WORKLOADS = {module.NAME: module for module in (enrollment, polling, push_wait, triggerchallenge, trigger_poll_only)}
DATABASES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
DOCS_FILE = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
# Our hourly cap (at most 1000 pushes per user) bounds the logins of one user;
# the triggerchallenge and push_wait users log in twice per call at most.
MAX_CALLS_AND_WARMUP = 500
PACKAGES = (
    "edumfa",
    "privacyidea",
    "edupush-token",
    "firebase-admin",
    "cryptography",
    "SQLAlchemy",
    "Werkzeug",
    "psycopg2-binary",
)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    started = datetime.now(timezone.utc)
    clock = time.monotonic()
    setup = describe_setup(args, argv, started)
    builtin = BUILTINS[args.host]
    selected = [WORKLOADS[name] for name in args.only]
    users = [user for module in selected for user in module.USERS.values()]
    try:
        with tempfile.TemporaryDirectory(prefix="edupush-bench-") as directory:
            with open_environment(Path(directory), args.database, builtin, users, args.key_pool_size) as environment:
                names = {kind.variant: kind.label for kind in environment.kinds.values()}
                setup["versions"].update(environment.versions())
                rows = []
                for module in selected:
                    rows += run_workload(module, environment, args)
                problems = environment.problems
    except (BenchError, PhoneError) as problem:
        say(f"failed: {problem}")
        return 1
    setup["finished_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    setup["duration_s"] = round(time.monotonic() - clock, 1)
    setup["machine"]["load_average_after"] = load_average()
    name = f"bench-{builtin.results_name(args.database)}"
    chart_name = None
    if not args.no_chart:
        chart_name = f"{name}.png"
        args.output.mkdir(parents=True, exist_ok=True)
        chart.draw(
            args.output / chart_name,
            rows,
            f"{names[OURS]} vs {names[BUILT_IN]}, {setup['database_label']}, {setup['started_at'][:10]}",
            names,
        )
    table = report.markdown(setup, rows, problems, chart_name)
    print(table, end="")
    written = report.write(args.output, name, report.as_json(setup, rows, problems), table)
    say("wrote " + ", ".join(str(path) for path in written) + (f" and {chart_name}" if chart_name else ""))
    if args.update_docs:
        update_docs(args, builtin.results_name(args.database), setup, rows, problems, chart_name)
    for problem in problems:
        say(f"sanity check failed: {problem}")
    say(f"done in {setup['duration_s']:g} s")
    return 1 if problems else 0


def run_workload(module, environment, args):
    calls = args.calls or module.DEFAULT_CALLS
    if module is triggerchallenge:
        return module.run(environment, calls, args.warmup, args.latency)
    return module.run(environment, calls, args.warmup)


def update_docs(args, section, setup, rows, problems, chart_name):
    """Replace this host's and database's section of docs/benchmarks.md, with the chart beside it."""
    docs_chart = None
    if chart_name:
        docs_chart = f"benchmark-{section}.png"
        (DOCS_FILE.parent / docs_chart).write_bytes((args.output / chart_name).read_bytes())
    report.replace_docs_section(DOCS_FILE, section, report.markdown(setup, rows, problems, docs_chart))
    say(f"updated {DOCS_FILE}")


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Every workload (issue 5's and the poll-only ones) for edupushplus and the host's "
        "built-in push token (eduMFA's edupush or privacyIDEA's push), in one run on one app and database. "
        "See docs/benchmarks.md.",
    )
    parser.add_argument(
        "--host",
        choices=sorted(BUILTINS),
        default=default_host(),
        help="the host to run on, which must be installed here (default: the installed one, eduMFA where both are)",
    )
    defaults = ", ".join(f"{name} {module.DEFAULT_CALLS}" for name, module in WORKLOADS.items())
    parser.add_argument("--calls", type=int, help=f"timed calls per series in every workload (defaults: {defaults})")
    parser.add_argument("--warmup", type=int, default=3, help="untimed calls per series first (default 3)")
    parser.add_argument(
        "--database",
        choices=sorted(DATABASES),
        default="sqlite",
        help="sqlite (default), or postgresql: a throwaway cluster, which also "
        "measures push_wait across two server processes",
    )
    parser.add_argument(
        "--only",
        type=workload_list,
        default=list(WORKLOADS),
        help=f"comma-separated workloads to run (default all: {','.join(WORKLOADS)})",
    )
    parser.add_argument(
        "--latency",
        type=float,
        default=0.2,
        help="seconds the FCM stand-in takes to answer in the first triggerchallenge "
        "pass (default 0.2; a second pass uses 0; 0 runs only that)",
    )
    parser.add_argument(
        "--key-pool-size",
        type=int,
        default=8,
        help="EDUPUSH_KEY_POOL_SIZE of the benchmarked host (default 8, the product's)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=Path("bench/results"),
        help="directory for bench-[privacyidea-]<database>.json, .md and .png (default bench/results)",
    )
    parser.add_argument("--no-chart", action="store_true", help="skip the PNG (no matplotlib needed)")
    parser.add_argument(
        "--update-docs", action="store_true", help="also put the table and chart into docs/benchmarks.md"
    )
    args = parser.parse_args(argv)
    if not BUILTINS[args.host].installed():
        parser.error(f"--host {args.host}: {BUILTINS[args.host].host_name} is not installed in this environment")
    if args.calls is not None and args.calls < 1:
        parser.error("--calls must be at least 1")
    if args.warmup < 0 or args.latency < 0 or args.key_pool_size < 1:
        parser.error("--warmup and --latency must not be negative, --key-pool-size at least 1")
    if (args.calls or 0) + args.warmup > MAX_CALLS_AND_WARMUP:
        parser.error(
            f"--calls plus --warmup may be at most {MAX_CALLS_AND_WARMUP}: our hourly cap of "
            "1000 pushes per user bounds the logins of one bench user"
        )
    return args


def workload_list(text: str) -> list:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in WORKLOADS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"choose from {', '.join(WORKLOADS)}; not {text!r}")
    return [name for name in WORKLOADS if name in names]


def describe_setup(args, argv, started) -> dict:
    settings = {key: str(value) if isinstance(value, Path) else value for key, value in vars(args).items()}
    settings["calls_per_workload"] = {name: args.calls or WORKLOADS[name].DEFAULT_CALLS for name in args.only}
    return {
        "command": " ".join(["python -m bench", shlex.join(argv)]).strip(),
        "started_at": started.isoformat(timespec="seconds"),
        "database": args.database,
        "database_label": DATABASES[args.database],
        "host": args.host,
        "host_name": BUILTINS[args.host].host_name,
        "builtin_label": BUILTINS[args.host].label,
        "settings": settings,
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "load_average_before": load_average(),
        },
        "versions": {package: installed_version(package) for package in PACKAGES},
    }


def installed_version(package: str):
    try:
        return version(package)
    except PackageNotFoundError:
        return None


def load_average() -> str:
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "unknown"
