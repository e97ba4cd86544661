"""The ``edupush-token`` command: argument parsing only; the work is in ``edupush_token.commands``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__
from .catalogue import (
    EDUMFA_CONFIG_FILE,
    EDUMFA_CONFIG_FILE_VARIABLE,
    PRIVACYIDEA_CONFIG_FILE,
    PRIVACYIDEA_CONFIG_FILE_VARIABLE,
)
from .hosts.installed import default_config_file, default_host
from .webui import command as webui_command

DEFAULT_SERVE_DIRECTORY = Path("var") / default_host()  # edumfa or privacyidea
DEFAULT_DEMO_DIRECTORY = Path("var") / "demo"
DEFAULT_FAKE_FCM_SERVICE_ACCOUNT = Path("var") / "fake-fcm" / "service-account.json"

DESCRIPTION = """\
The edupushplus push token for eduMFA and privacyIDEA: a local server, a demo, checks
for a real deployment, and the ready-made policy sets.  The commands work on the host
installed next to this package (eduMFA where both are).

  edupush-token serve                      a local eduMFA with the plugin (SQLite)
  edupush-token demo                       enrollment, push, approve, decline, in the terminal
  edupush-token doctor --config FILE       check a deployment; every finding names its fix
  edupush-token policies load|export|list  the ready policy sets into eduMFA and back
  edupush-token webui install              the edupushplus enrollment form in eduMFA's web UI
"""


class _Parser(argparse.ArgumentParser):
    """Wrong usage exits 1, not argparse's 2: ``policies load`` reports "changed" as 2."""

    def error(self, message: str):
        self.print_usage(sys.stderr)
        self.exit(1, f"{self.prog}: error: {message}\n")


def main(argv=None) -> int:
    parser = _Parser(
        prog="edupush-token",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (
        _add_serve,
        _add_demo,
        _add_doctor,
        _add_policies,
        _add_webui,
        _add_deliveries,
        _add_metrics,
        _add_migrate,
        _add_fake_fcm,
    ):
        add(commands)
    args = parser.parse_args(argv)
    return args.run(args)


def _command(commands, name: str, summary: str, description: str):
    return commands.add_parser(
        name, help=summary, description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )


def _add_config(parser) -> None:
    parser.add_argument(
        "--config",
        metavar="FILE",
        default=default_config_file(),
        help=(
            "the host's configuration file (default: eduMFA's "
            f"${EDUMFA_CONFIG_FILE_VARIABLE}, else {EDUMFA_CONFIG_FILE}; privacyIDEA's "
            f"${PRIVACYIDEA_CONFIG_FILE_VARIABLE}, else {PRIVACYIDEA_CONFIG_FILE})"
        ),
    )


def _add_serve(commands) -> None:
    serve = _command(
        commands,
        "serve",
        "run a local eduMFA with the plugin (SQLite by default)",
        "Prepares eduMFA in DIR on first run (edumfa.cfg with eduMFA's speed settings, encryption\n"
        "key file, audit keys, database tables, an admin with a random password, a demo realm with users\n"
        "alice, bob and carol), loads the ready policy sets with this server's URL, and serves it.\n"
        "Later runs reuse everything. Prints the URL and the credentials.",
    )
    serve.add_argument(
        "--directory",
        metavar="DIR",
        type=Path,
        default=DEFAULT_SERVE_DIRECTORY,
        help="where eduMFA's files live (default: %(default)s)",
    )
    serve.add_argument(
        "--database-url",
        metavar="URL",
        help="SQLAlchemy URL, e.g. postgresql+psycopg2://user:pw@host/edumfa "
        "(default: SQLite in DIR; fixed at the first run)",
    )
    serve.add_argument(
        "--host", metavar="ADDRESS", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    serve.add_argument(
        "--port", metavar="N", type=int, default=5000, help="port (0 picks a free one; default: %(default)s)"
    )
    serve.add_argument(
        "--public-url", metavar="URL", help="the URL phones reach this server at (default: the served URL)"
    )
    serve.add_argument(
        "--policy-set",
        dest="policy_sets",
        action="append",
        metavar="SET",
        help="ready policy set or file to load; repeatable (default: poll-only; see `edupush-token policies list`)",
    )
    serve.add_argument(
        "--tls-certificate", metavar="FILE", type=Path, help="PEM certificate: serve HTTPS (with --tls-key)"
    )
    serve.add_argument("--tls-key", metavar="FILE", type=Path, help="PEM private key of --tls-certificate")
    serve.set_defaults(run=_run_serve, parser=serve)


def _run_serve(args) -> int:
    from .commands import serve
    from .commands.policies import DEFAULT_SET

    if (args.tls_certificate is None) != (args.tls_key is None):
        args.parser.error("--tls-certificate and --tls-key go together")
    tls = (str(args.tls_certificate), str(args.tls_key)) if args.tls_certificate else None
    return serve.run(
        args.directory, args.database_url, args.host, args.port, args.public_url, args.policy_sets or [DEFAULT_SET], tls
    )


def _add_demo(commands) -> None:
    demo = _command(
        commands,
        "demo",
        "the whole story in the terminal: QR code, push, approve, login, decline",
        "Prepares a local eduMFA as `serve` does (in DIR), serves it on 127.0.0.1 together with a\n"
        "local stand-in for Firebase, and walks an emulated eduMFA Authenticator app through enrollment\n"
        "(the QR code drawn in the terminal), an approved login, a declined login and a push_wait login,\n"
        "each step with its timing.",
    )
    demo.add_argument(
        "--directory",
        metavar="DIR",
        type=Path,
        default=DEFAULT_DEMO_DIRECTORY,
        help="where the local eduMFA lives (default: %(default)s)",
    )
    demo.add_argument(
        "--port",
        metavar="N",
        type=int,
        default=5000,
        help="port on 127.0.0.1 (0 picks a free one; default: %(default)s)",
    )
    demo.add_argument(
        "--once", action="store_true", help="stop the servers after the demo instead of keeping them running"
    )
    demo.add_argument(
        "--fcm-port",
        metavar="N",
        type=int,
        default=8765,
        help="port of the local FCM stand-in the demo delivers through (default: %(default)s)",
    )
    demo.set_defaults(run=lambda args: _run_demo(args.directory, args.port, args.once, args.fcm_port))


def _run_demo(directory: Path, port: int, once: bool, fcm_port: int) -> int:
    from .commands.demo import run

    return run(directory, port, once, fcm_port)


def _add_doctor(commands) -> None:
    doctor = _command(
        commands,
        "doctor",
        "check a deployment: plugin, policies, Firebase, clock, workers, settings",
        "Reads the deployment's edumfa.cfg and database (run it as eduMFA's user, with eduMFA's Python)\n"
        "and checks: the plugin imports and is in EDUMFA_TOKEN_MODULES; the enrollment policy's\n"
        "registration URL is canonical, https, without query string and reachable; the Firebase gateway's\n"
        "service-account file is valid, its token endpoint reachable, and Firebase accepts a validate_only\n"
        "test send through it; the clock agrees with the servers\n"
        "it talks to; the gunicorn worker class can hold push_wait logins; the database suits the worker\n"
        "processes and survives a restart; eduMFA's speed settings are on.\n"
        "Each finding says what is wrong and how to fix it. Exit code 1 if there is an error.",
    )
    _add_config(doctor)
    doctor.add_argument(
        "--gunicorn-config", metavar="FILE", type=Path, help="gunicorn's config file (worker_class, threads)"
    )
    doctor.add_argument(
        "--worker-class", metavar="CLASS", help="gunicorn worker class, e.g. sync, gthread, gevent (overrides the file)"
    )
    doctor.add_argument("--threads", metavar="N", type=int, help="gunicorn threads per worker (overrides the file)")
    doctor.add_argument("--workers", metavar="N", type=int, help="gunicorn worker processes (overrides the file)")
    doctor.add_argument(
        "--clock-reference",
        action="append",
        metavar="URL",
        help="server whose Date header to compare the clock with; repeatable "
        "(default: the registration URLs and Firebase token endpoints)",
    )
    doctor.add_argument(
        "--node",
        action="append",
        metavar="URL",
        help="a running eduMFA node's own base URL (not the load balancer's), to check that it serves the plugin; "
        "repeatable",
    )
    doctor.add_argument("--ca-bundle", metavar="FILE", help="CA certificates to trust for HTTPS checks (a private CA)")
    doctor.add_argument(
        "--timeout", metavar="SECONDS", type=float, default=5.0, help="seconds per HTTP check (default: %(default)s)"
    )
    doctor.add_argument("--json", action="store_true", help="print the findings as JSON")
    doctor.set_defaults(run=_run_doctor)


def _run_doctor(args) -> int:
    from .commands import doctor

    return doctor.run(
        args.config,
        args.gunicorn_config,
        args.worker_class,
        args.threads,
        args.workers,
        args.clock_reference or (),
        args.node or (),
        args.ca_bundle,
        args.timeout,
        args.json,
    )


def _add_policies(commands) -> None:
    policies = _command(
        commands,
        "policies",
        "load the ready policy sets into eduMFA, export them back, list them",
        "The ready policy sets (the repository's policies/, shipped with the package) go into eduMFA\n"
        "through eduMFA's own importer (what `edumfa-manage config import policy -u` does). Loading is\n"
        "idempotent and all-or-nothing: policies that already match are left alone; unknown actions,\n"
        "invalid values, or a policy changed in eduMFA since (without --force) write nothing.\n"
        "Exit status of load: 0 unchanged, 2 changed, 1 refused (nothing written).\n"
        "`export` writes eduMFA's edupushplus policies in the same file format, so export and load\n"
        "round-trip.",
    )
    actions = policies.add_subparsers(dest="action", required=True, metavar="ACTION")
    load = actions.add_parser(
        "load",
        help="load ready sets (or policy files) into eduMFA",
        description="Load ready sets (by name, e.g. poll-only) or policy files into eduMFA.",
    )
    load.add_argument("sets", nargs="*", metavar="SET", help="ready set name or policy file (default: poll-only)")
    load.add_argument(
        "--public-url",
        metavar="URL",
        help="your eduMFA's public URL; replaces the sets' placeholder https://edumfa.example.org",
    )
    load.add_argument(
        "--firebase-gateway",
        metavar="NAME",
        help='the Firebase gateway (eduMFA SMS gateway) new tokens are pushed through; "poll only" for none',
    )
    load.add_argument(
        "--force", action="store_true", help="overwrite policies that were changed in eduMFA since they were loaded"
    )
    _add_config(load)
    load.set_defaults(
        run=lambda args: _policies().load(args.config, args.sets, args.public_url, args.firebase_gateway, args.force)
    )
    export = actions.add_parser(
        "export",
        help="write eduMFA's edupushplus policies as a policy file",
        description="Write policies from eduMFA in the ready sets' file format.",
    )
    export.add_argument(
        "names", nargs="*", metavar="NAME", help="policy names (default: every policy with an edupushplus action)"
    )
    export.add_argument("--output", "-o", metavar="FILE", type=Path, help="file to write (default: standard output)")
    _add_config(export)
    export.set_defaults(run=lambda args: _policies().export(args.config, args.names, args.output))
    listing = actions.add_parser("list", help="show the ready sets and their policies")
    listing.set_defaults(run=lambda args: _policies().list_ready_sets())


def _policies():
    from .commands import policies

    return policies


def _add_webui(commands) -> None:
    webui_command.register(commands)
    commands.choices["webui"].set_defaults(run=webui_command.run)


def _add_deliveries(commands) -> None:
    deliveries = _command(
        commands,
        "deliveries",
        "show what became of recent pushes (queued, sent with FCM message id, failed and why)",
        "Reads the delivery records of the eduMFA configured in CONFIG (its edumfa.cfg).",
    )
    _add_config(deliveries)
    deliveries.add_argument("--serial", help="only this token")
    deliveries.add_argument("--limit", type=int, default=50, help="how many, newest first (default: %(default)s)")
    deliveries.set_defaults(run=_show_deliveries)


def _show_deliveries(args) -> int:
    from .commands import deliveries

    return deliveries.show(args.config, args.serial, args.limit)


def _add_metrics(commands) -> None:
    metrics = _command(
        commands,
        "metrics",
        "the push metrics in Prometheus's text format (for node_exporter's textfile collector)",
        "Prints, or writes to FILE (atomically, for node_exporter's textfile collector), the outbox's\n"
        "series read from the database of the eduMFA configured in CONFIG and, with PROMETHEUS_MULTIPROC_DIR\n"
        "set to the directory eduMFA's workers use, their counters, histograms and gauges.\n"
        "eduMFA serves the same at GET /ttype/edupushplus?metrics to an admin.",
    )
    _add_config(metrics)
    metrics.add_argument("--textfile", metavar="FILE", type=Path, help="write here (end it in .prom) instead of stdout")
    metrics.set_defaults(run=_write_metrics)


def _write_metrics(args) -> int:
    from .commands import metrics

    return metrics.run(args.config, args.textfile)


def _add_migrate(commands) -> None:
    migrate = _command(
        commands,
        "migrate",
        "bring the plugin's tables in eduMFA's database up to date",
        "Upgrades the plugin's own tables (edupushplus_*) in the database of the eduMFA configured in\n"
        "FILE to the revision this version needs, and records it in edupushplus_alembic_version.\n"
        "eduMFA's own tables are eduMFA's (edumfa-manage createdb / db upgrade). The plugin does the\n"
        "same at its first use in each process; run this as part of an upgrade to have it done at a\n"
        "time of your choosing. Running it again changes nothing.",
    )
    _add_config(migrate)
    migrate.set_defaults(run=_run_migrate)


def _run_migrate(args) -> int:
    from .commands import migrate

    return migrate.run(args.config)


def _add_fake_fcm(commands) -> None:
    fake_fcm = _command(
        commands,
        "fake-fcm",
        "serve a local stand-in for Firebase Cloud Messaging that the real firebase-admin SDK talks to",
        "Serves Google's service-account OAuth token endpoint and FCM's HTTP v1 send endpoint on\n"
        "127.0.0.1, writes a service-account file whose token_uri points at it (if the file is\n"
        "missing), records every push and can be steered (faults, latency, unregistered tokens)\n"
        "over HTTP under /_fake/.",
    )
    fake_fcm.add_argument(
        "--port", type=int, default=8765, help="port on 127.0.0.1 (0 picks a free one; default: %(default)s)"
    )
    fake_fcm.add_argument(
        "--service-account",
        type=Path,
        default=DEFAULT_FAKE_FCM_SERVICE_ACCOUNT,
        help="service-account JSON to write if missing, or one a stand-in on this address wrote to reuse; an existing file is never modified (default: %(default)s)",
    )
    fake_fcm.add_argument(
        "--project", default=None, help="Firebase project ID of a new service account (default: edupush-demo)"
    )
    fake_fcm.add_argument(
        "--latency", type=float, default=0.0, help="seconds added to every send request (default: %(default)s)"
    )
    fake_fcm.set_defaults(run=lambda args: _run_fake_fcm(args.port, args.service_account, args.project, args.latency))


def _run_fake_fcm(port: int, service_account: Path, project, latency: float) -> int:
    from .commands import fake_fcm

    return fake_fcm.serve(port, service_account, project, latency)


if __name__ == "__main__":
    sys.exit(main())
