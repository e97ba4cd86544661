"""A real eduMFA, configured for the edupushplus plugin, living in one directory.

Tests, the demo and ``serve`` all get their eduMFA from here, so there is exactly
one place that knows how eduMFA is set up.  Everything is done with eduMFA's own
app factory, CLI commands and library functions; nothing of eduMFA is mocked.

The directory holds everything the instance needs (config, keys, SQLite database,
user file, log), and ``edumfa.cfg`` locates files relative to itself, so a
prepared directory can be copied (see :meth:`LocalInstance.clone`).

Command line::

    python -m edupush_token.devtools.local_instance serve --directory DIR --port N
"""

import argparse
import contextlib
import logging
import os
import re
import secrets
import shutil
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import NamedTuple

from ..hosts.edumfa.app import all_loggers, create_edumfa_app

PLUGIN_MODULE = "edupush_token.edumfa_plugin"
THIS_MODULE = "edupush_token.devtools.local_instance"
ADMIN_USERNAME = "admin"
DEMO_REALM = "demo"
DEMO_RESOLVER = "demo-users"
LISTENING_PREFIX = "eduMFA listening on "

CONFIG_FILE = "edumfa.cfg"
DATABASE_FILE = "edumfa.sqlite"
ENCKEY_FILE = "enckey"
AUDIT_PRIVATE_KEY_FILE = "audit-private.pem"
AUDIT_PUBLIC_KEY_FILE = "audit-public.pem"
USERS_FILE = "users.passwd"
ADMIN_PASSWORD_FILE = "admin-password"
LOG_FILE = "edumfa.log"
OPTIONAL_LOGGING_CONFIG_FILE = "logging.yaml"


class DemoUser(NamedTuple):
    username: str
    uid: int
    givenname: str
    surname: str
    email: str
    password: str


DEMO_USERS = (
    DemoUser("alice", 1001, "Alice", "Anderson", "alice@example.org", "alice-password"),
    DemoUser("bob", 1002, "Bob", "Brown", "bob@example.org", "bob-password"),
    DemoUser("carol", 1003, "Carol", "Clark", "carol@example.org", "carol-password"),
)

_CONFIG_TEMPLATE = '''\
# eduMFA configuration written by edupush_token.devtools.local_instance.
# Paths are relative to this file, so the directory can be moved or copied.
# Keep this file, {enckey} and the audit keys: the database is useless without them.
import logging
import os

here = os.path.dirname(os.path.abspath(__file__))

SQLALCHEMY_DATABASE_URI = {database_uri}
SECRET_KEY = {secret_key!r}
EDUMFA_PEPPER = {pepper!r}
EDUMFA_ENCFILE = os.path.join(here, {enckey!r})
EDUMFA_AUDIT_KEY_PRIVATE = os.path.join(here, {audit_private!r})
EDUMFA_AUDIT_KEY_PUBLIC = os.path.join(here, {audit_public!r})
EDUMFA_AUDIT_NO_PRIVATE_KEY_CHECK = True
EDUMFA_RESPONSE_NO_PRIVATE_KEY_CHECK = True
# eduMFA's default ("null") opens a new audit database connection for every request.
EDUMFA_ENGINE_REGISTRY_CLASS = "shared"
EDUMFA_AUDIT_SQL_TRUNCATE = True
EDUMFA_TOKEN_MODULES = [{plugin!r}]
EDUMFA_LOGFILE = os.path.join(here, {logfile!r})
EDUMFA_LOGLEVEL = logging.INFO
# Used instead of EDUMFA_LOGFILE/EDUMFA_LOGLEVEL only if you create it;
# pointing it here keeps eduMFA away from /etc/edumfa/logging.cfg.
EDUMFA_LOGCONFIG = os.path.join(here, {logconfig!r})
'''


class LocalInstance:
    """An eduMFA instance in ``directory``, created on demand by :meth:`prepare`.

    ``database_url`` defaults to an SQLite file in the directory.  Without
    ``admin_password`` a random one is generated once and kept in the file
    ``admin-password``.  ``extra_config`` holds further ``edumfa.cfg`` settings
    (upper-case names, values with a Python literal ``repr``); they are written
    after the defaults and so may override them.
    """

    def __init__(self, directory, database_url=None, admin_password=None, extra_config=None):
        self.directory = Path(directory).resolve()
        self.database_url = database_url
        self._admin_password = admin_password
        self.extra_config = dict(extra_config or {})
        for key in self.extra_config:
            if not re.fullmatch(r"[A-Z][A-Z0-9_]*", key):
                raise ValueError(f"eduMFA only reads upper-case config names, got {key!r}")

    def __repr__(self):
        return f"LocalInstance({str(self.directory)!r})"

    @property
    def config_file(self) -> Path:
        return self.directory / CONFIG_FILE

    @property
    def users_file(self) -> Path:
        return self.directory / USERS_FILE

    @property
    def log_file(self) -> Path:
        return self.directory / LOG_FILE

    @property
    def admin_password(self) -> str:
        """The password of the eduMFA admin ``admin`` (available after :meth:`prepare`)."""
        if self._admin_password is not None:
            return self._admin_password
        return (self.directory / ADMIN_PASSWORD_FILE).read_text().strip()

    def update_setting(self, key: str, value) -> bool:
        """Rewrite one ``KEY = value`` line of the existing ``edumfa.cfg``; True if it changed."""
        text = self.config_file.read_text()
        line = f"{key} = {value!r}"
        setting = re.compile(rf"^{re.escape(key)}\s*=.*$", re.MULTILINE)
        updated = setting.sub(line, text, count=1) if setting.search(text) else text + line + "\n"
        if updated == text:
            return False
        self.config_file.write_text(updated)
        return True

    def prepare(self, progress=None) -> "LocalInstance":
        """Create whatever is missing; never replace a file that exists.

        Safe to call on every start: a second call only checks, and re-points the
        demo resolver at this directory's user file if the directory was copied.
        ``progress(title)`` gives a context manager around each step that may take
        a while (key generation, schema creation, password hashing).
        """
        step = progress or _silently
        self.directory.mkdir(parents=True, exist_ok=True)
        self._write_config()
        self._write_users_file()
        if self._admin_password is None and not (self.directory / ADMIN_PASSWORD_FILE).exists():
            _write_private_file(self.directory / ADMIN_PASSWORD_FILE, secrets.token_urlsafe(16) + "\n")
        with step("Loading eduMFA"):
            app = self.create_app()
        with app.app_context():
            self._run_edumfa_setup_commands(app, step)
            with step("Checking the admin account and the demo realm"):
                self._ensure_admin()
                self._ensure_demo_realm()
            from edumfa.models import db

            db.session.remove()
            db.engine.dispose()
        return self

    def create_app(self):
        """eduMFA's own Flask app for this directory (after :meth:`prepare`).

        Config name "production": "testing" expects eduMFA's test data files
        (not in the wheel) and trusts JWTs signed with its published test key,
        "development" runs with DEBUG.  The paths "production" has inside
        eduMFA's installation are all overridden by our ``edumfa.cfg``.
        """
        if not self.config_file.is_file():
            # eduMFA silently ignores a missing config file and would fall back
            # to a database and key files inside its own installation.
            raise FileNotFoundError(f"{self.config_file} does not exist; call prepare() first")
        env_config = os.environ.get("EDUMFA_CONFIGFILE")
        if env_config and Path(env_config).resolve() != self.config_file:
            raise RuntimeError(
                f"EDUMFA_CONFIGFILE={env_config} is set; eduMFA would use it instead of {self.config_file}"
            )
        if os.environ.get("__EDUMFA_RUNNING_IN_CONTAINER") == "1":
            raise RuntimeError("__EDUMFA_RUNNING_IN_CONTAINER=1 makes eduMFA read /etc/edumfa")
        return create_edumfa_app(self.config_file)

    def clone(self, directory) -> "LocalInstance":
        """A prepared copy of this prepared instance in ``directory``.

        Much faster than preparing from scratch (no key generation, no schema
        creation), which is what the per-test fixtures rely on.  The copy shares
        this instance's secrets, so it is meant for tests and throw-away demos.
        """
        if self.database_url is not None:
            raise ValueError("only the default SQLite database can be cloned")
        shutil.copytree(
            self.directory,
            directory,
            ignore=shutil.ignore_patterns(LOG_FILE + "*", "serve-*.log"),
        )
        return LocalInstance(directory, admin_password=self._admin_password).prepare()

    def _write_config(self):
        if self.config_file.exists():
            self._check_existing_config()
            return
        if self.database_url is None:
            database_uri = f'"sqlite:///" + os.path.join(here, {DATABASE_FILE!r})'
        else:
            database_uri = repr(self.database_url)
        text = _CONFIG_TEMPLATE.format(
            database_uri=database_uri,
            secret_key=secrets.token_urlsafe(32),
            pepper=secrets.token_urlsafe(24),
            enckey=ENCKEY_FILE,
            audit_private=AUDIT_PRIVATE_KEY_FILE,
            audit_public=AUDIT_PUBLIC_KEY_FILE,
            plugin=PLUGIN_MODULE,
            logfile=LOG_FILE,
            logconfig=OPTIONAL_LOGGING_CONFIG_FILE,
        )
        text += "".join(f"{key} = {value!r}\n" for key, value in self.extra_config.items())
        _write_private_file(self.config_file, text)

    def _check_existing_config(self):
        """Refuse settings that an existing ``edumfa.cfg`` would silently ignore."""
        from flask import Config

        existing = Config(str(self.directory))
        existing.from_pyfile(str(self.config_file))
        wanted = dict(self.extra_config)
        if self.database_url is not None:
            wanted["SQLALCHEMY_DATABASE_URI"] = self.database_url
        differing = {key: value for key, value in wanted.items() if existing.get(key) != value}
        if differing:
            raise ValueError(
                f"{self.config_file} already exists and is kept; it does not match {differing!r}. "
                "Edit it by hand or use a new directory."
            )

    def _write_users_file(self):
        if self.users_file.exists():
            return
        from passlib.hash import sha512_crypt

        lines = []
        for user in DEMO_USERS:
            # glibc's default rounds: PasswdIdResolver verifies on every user login.
            crypted = sha512_crypt.using(rounds=5000).hash(user.password)
            gecos = f"{user.givenname} {user.surname},,,,{user.email}"
            lines.append(
                f"{user.username}:{crypted}:{user.uid}:{user.uid}:{gecos}:/home/{user.username}:/bin/sh\n"
            )
        self.users_file.write_text("".join(lines))

    def _run_edumfa_setup_commands(self, app, step):
        """Keys and tables exactly as ``edumfa-manage`` makes them, by running its commands."""
        from edumfa.commands.manage.core import create_audit_keys, create_enckey, create_tables

        runner = app.test_cli_runner()

        def run(command):
            result = runner.invoke(command)
            if result.exit_code != 0:
                raise RuntimeError(
                    f"edumfa-manage {command.name} failed ({result.exit_code}):\n{result.output}"
                ) from result.exception

        encfile = Path(app.config["EDUMFA_ENCFILE"])
        if not encfile.exists():
            with step("Generating the encryption key file"):
                run(create_enckey)
                encfile.chmod(0o600)
        audit_key = Path(app.config["EDUMFA_AUDIT_KEY_PRIVATE"])
        if not audit_key.exists():
            with step("Generating the audit signing keys"):
                run(create_audit_keys)
                audit_key.chmod(0o600)
        with step("Creating or checking the database tables"), _logging_restored_afterwards():
            run(create_tables)

    def _ensure_admin(self):
        from edumfa.lib.auth import create_db_admin, db_admin_exist, verify_db_admin

        if not db_admin_exist(ADMIN_USERNAME):
            create_db_admin(ADMIN_USERNAME, password=self.admin_password)
        elif self._admin_password is not None and not verify_db_admin(
            ADMIN_USERNAME, self._admin_password
        ):
            create_db_admin(ADMIN_USERNAME, password=self._admin_password)

    def _ensure_demo_realm(self):
        from edumfa.lib.realm import realm_is_defined, set_default_realm, set_realm
        from edumfa.lib.resolver import get_resolver_list, save_resolver

        resolver = get_resolver_list(filter_resolver_name=DEMO_RESOLVER).get(DEMO_RESOLVER)
        if resolver is None or resolver["data"].get("fileName") != str(self.users_file):
            save_resolver(
                {"resolver": DEMO_RESOLVER, "type": "passwdresolver", "fileName": str(self.users_file)}
            )
        if not realm_is_defined(DEMO_REALM):
            set_realm(DEMO_REALM, [DEMO_RESOLVER])
            set_default_realm(DEMO_REALM)


class ServedInstance:
    """Serve a directory's eduMFA over HTTP from a separate ``serve`` process.

    ``with ServedInstance(directory) as url:`` gives the base URL once the server
    answers.  The child picks a free port itself (``--port 0``) and reports it, so
    there is no race for the port.  Its output goes to ``serve-stdout.log`` and
    ``serve-stderr.log`` in the directory (a pipe nobody reads would eventually
    block the server); stderr is quoted if the server fails to come up.
    """

    def __init__(self, directory, *, host="127.0.0.1", port=0, startup_timeout=60.0, tls=None):
        self.directory = Path(directory).resolve()
        self.host = host
        self.port = port
        self.tls = tls
        self.startup_timeout = startup_timeout
        self.url = None
        self.process = None

    def __enter__(self) -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._stdout_path = self.directory / "serve-stdout.log"
        self._stderr_path = self.directory / "serve-stderr.log"
        command = [
            sys.executable, "-m", THIS_MODULE,
            "serve", "--directory", str(self.directory), "--host", self.host, "--port", str(self.port),
        ]
        if self.tls is not None:
            certificate, key = self.tls
            command += ["--tls-certificate", str(certificate), "--tls-key", str(key)]
        with open(self._stdout_path, "wb") as stdout, open(self._stderr_path, "wb") as stderr:
            self.process = subprocess.Popen(command, stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL)
        try:
            self.url = self._wait_until_answering()
        except BaseException:
            self._stop()
            raise
        return self.url

    def __exit__(self, *exc_info):
        self._stop()

    def _wait_until_answering(self) -> str:
        deadline = time.monotonic() + self.startup_timeout
        url = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"eduMFA server exited with code {self.process.returncode} before answering:\n"
                    + self._stderr_tail()
                )
            if url is None:
                url = self._reported_url()
            if url is not None and _answers_http(url):
                return url
            time.sleep(0.05)
        raise TimeoutError(
            f"eduMFA server did not answer within {self.startup_timeout}s:\n" + self._stderr_tail()
        )

    def _reported_url(self):
        for line in self._stdout_path.read_text(errors="replace").splitlines():
            if line.startswith(LISTENING_PREFIX):
                return line[len(LISTENING_PREFIX):].strip()
        return None

    def _stderr_tail(self, limit=4000) -> str:
        return self._stderr_path.read_text(errors="replace")[-limit:]

    def _stop(self):
        stop_child(self.process, timeout=10)


def stop_child(process, timeout: float) -> None:
    """Terminate a child server if it still runs; kill it if it does not stop in ``timeout`` seconds."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _answers_http(url) -> bool:
    # Our own child on loopback: its certificate may well be self-signed.
    unverified = ssl._create_unverified_context() if url.startswith("https:") else None
    try:
        with urllib.request.urlopen(url + "/", timeout=2, context=unverified):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def _write_private_file(path: Path, text: str):
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with open(descriptor, "w") as file:
        file.write(text)


@contextlib.contextmanager
def _logging_restored_afterwards():
    """eduMFA's Alembic env.py (run by create_tables) calls ``fileConfig()``: it
    disables all eduMFA loggers and adds a stderr handler to the root logger,
    for the rest of the process.  Undo that."""
    saved = [
        (logger, logger.disabled, logger.level, list(logger.handlers), logger.propagate)
        for logger in [logging.getLogger(), *all_loggers()]
    ]
    try:
        yield
    finally:
        for logger in all_loggers():
            logger.disabled = False
        for logger, disabled, level, handlers, propagate in saved:
            logger.disabled, logger.level, logger.handlers, logger.propagate = disabled, level, handlers, propagate


def serve(directory, host="127.0.0.1", port=0, tls=None):
    """Prepare ``directory`` if needed and serve it until SIGTERM or Ctrl-C."""
    instance = LocalInstance(directory).prepare()
    server = make_server(instance, host, port, tls)
    print(f"{LISTENING_PREFIX}{server.url}", flush=True)
    print(f"admin password: see {instance.directory / ADMIN_PASSWORD_FILE}", flush=True)
    serve_until_stopped(server)


def make_server(instance: LocalInstance, host: str, port: int, tls=None):
    """Werkzeug's threaded server for the instance, bound (so its port is known), with ``.url``.

    ``tls`` is a (certificate file, key file) pair for HTTPS.
    """
    from werkzeug.serving import make_server as werkzeug_server

    server = werkzeug_server(host, port, instance.create_app(), threaded=True, ssl_context=tls)
    server.url = f"{'https' if tls else 'http'}://{_url_host(host)}:{server.server_port}"
    return server


def serve_until_stopped(server) -> None:
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


@contextlib.contextmanager
def _silently(title):
    yield


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m " + THIS_MODULE)
    commands = parser.add_subparsers(dest="command", required=True)
    serve_parser = commands.add_parser("serve", help="serve an eduMFA directory over HTTP")
    serve_parser.add_argument("--directory", required=True, help="instance directory (prepared if needed)")
    serve_parser.add_argument("--host", default="127.0.0.1")
    serve_parser.add_argument("--port", type=int, default=5000, help="0 picks a free port")
    serve_parser.add_argument("--tls-certificate", help="PEM certificate file: serve HTTPS")
    serve_parser.add_argument("--tls-key", help="PEM key file of --tls-certificate")
    args = parser.parse_args(argv)
    if (args.tls_certificate is None) != (args.tls_key is None):
        parser.error("--tls-certificate and --tls-key go together")
    tls = (args.tls_certificate, args.tls_key) if args.tls_certificate else None
    if args.command == "serve":
        serve(args.directory, host=args.host, port=args.port, tls=tls)


if __name__ == "__main__":
    main()
