"""A throwaway PostgreSQL cluster for the tests and the benchmark.

Several eduMFA workers and nodes sharing one PostgreSQL database is the
deployment the plugin must be correct in, so the tests run a real server:
``initdb`` and ``pg_ctl`` in a temporary directory, listening on 127.0.0.1
only, with durability switched off (nothing in it needs to survive a crash)::

    with ThrowawayPostgres() as server:
        url = server.create_database("edumfa")   # postgresql+psycopg2://...

PostgreSQL refuses to run as root; as root the cluster belongs to the system
user ``postgres`` (Debian's ``postgresql`` package creates it).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import Iterator, Optional

SERVER_USER = "postgres"
SUPERUSER = "postgres"
HOST = "127.0.0.1"
NEEDED_PROGRAMS = ("initdb", "pg_ctl", "postgres")
DATABASE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}\Z")
INSTALL_HINT = "install PostgreSQL's server programs (Debian: apt-get install postgresql)"

# Speed over durability, and room for gunicorn's workers x threads on two nodes.
THROWAWAY_SETTINGS = {
    "listen_addresses": f"'{HOST}'",
    "unix_socket_directories": "''",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "300",
    "shared_buffers": "64MB",
    "logging_collector": "off",
}


class PostgresUnavailable(RuntimeError):
    """The PostgreSQL server programs, the server user or psycopg2 are missing."""


def find_bindir() -> Optional[Path]:
    """The directory holding initdb, pg_ctl and postgres, or None.

    ``pg_config --bindir`` first (it names the installation in use), then the
    highest version under Debian's ``/usr/lib/postgresql``.
    """
    candidates = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        result = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        if result.returncode == 0 and result.stdout.strip():
            candidates.append(Path(result.stdout.strip()))
    debian = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True)
    candidates += [Path(directory) for directory in debian]
    for directory in candidates:
        if all(os.access(directory / program, os.X_OK) for program in NEEDED_PROGRAMS):
            return directory
    return None


def _version_key(bindir: str) -> tuple:
    version = Path(bindir).parent.name
    return tuple(int(part) for part in re.findall(r"\d+", version))


def postgres_available() -> bool:
    """Whether the server programs are installed, so ``ThrowawayPostgres`` can start."""
    return find_bindir() is not None


class ThrowawayPostgres:
    """A PostgreSQL cluster that exists for the duration of a ``with`` block.

    The data directory is a fresh temporary directory, the port a free one,
    the superuser password random; on exit the server is stopped (immediately:
    there is nothing to keep) and the directory removed, also after a failure.
    """

    def __init__(self, settings: Optional[dict] = None, start_attempts: int = 3, startup_timeout: int = 60):
        self.settings = {**THROWAWAY_SETTINGS, **(settings or {})}
        self.start_attempts = start_attempts
        self.startup_timeout = startup_timeout
        self.password = secrets.token_urlsafe(24)
        self.port: Optional[int] = None
        self.root: Optional[Path] = None
        self._bindir: Optional[Path] = None
        self._owner: Optional[pwd.struct_passwd] = None
        self._running = False

    @property
    def data_directory(self) -> Path:
        return self.root / "data"

    @property
    def log_file(self) -> Path:
        return self.root / "server.log"

    def __enter__(self) -> "ThrowawayPostgres":
        self._bindir = find_bindir()
        if self._bindir is None:
            raise PostgresUnavailable(f"initdb, pg_ctl and postgres were not found; {INSTALL_HINT}")
        self._owner = _server_owner()
        self.root = Path(tempfile.mkdtemp(prefix="edupush-postgres-"))
        try:
            self._give_to_owner(self.root)
            self._initdb()
            self._start()
        except BaseException:
            self._stop_and_remove()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop_and_remove()

    def url(self, database: str = "postgres") -> str:
        """SQLAlchemy URL of ``database`` on this server."""
        return f"postgresql+psycopg2://{SUPERUSER}:{self.password}@{HOST}:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create an empty database and return its SQLAlchemy URL."""
        self._administer(f"CREATE DATABASE {_identifier(name)} ENCODING 'UTF8' TEMPLATE template0")
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop a database, disconnecting whoever is still connected to it."""
        self._administer(f"DROP DATABASE IF EXISTS {_identifier(name)} WITH (FORCE)")

    def _administer(self, statement: str) -> None:
        connection = self.connect()
        try:
            connection.autocommit = True  # CREATE/DROP DATABASE cannot run in a transaction
            with connection.cursor() as cursor:
                cursor.execute(statement)
        finally:
            connection.close()

    def connect(self, database: str = "postgres"):
        """A plain psycopg2 connection, for what SQLAlchemy is too much for."""
        try:
            import psycopg2
        except ImportError:
            raise PostgresUnavailable('psycopg2 is not installed: pip install "edupush-token[postgresql]"') from None
        return psycopg2.connect(host=HOST, port=self.port, user=SUPERUSER, password=self.password, dbname=database)

    def _initdb(self):
        password_file = self.root / "superuser-password"
        password_file.write_text(self.password + "\n")
        self._give_to_owner(password_file)
        try:
            self._run(
                "initdb",
                "--pgdata",
                str(self.data_directory),
                "--username",
                SUPERUSER,
                "--pwfile",
                str(password_file),
                "--auth",
                "scram-sha-256",
                "--encoding",
                "UTF8",
                "--no-locale",
                "--no-sync",
                "--no-instructions",
            )
        finally:
            password_file.unlink()

    def _start(self):
        """Start on a free port; another process may take the port first, so retry."""
        for attempt in range(1, self.start_attempts + 1):
            self.port = _free_port()
            self._write_settings()
            result = self._pg_ctl_start(check=False)
            if result.returncode == 0:
                self._running = True
                return
            if attempt == self.start_attempts or "could not bind" not in self._log_tail():
                raise RuntimeError(f"PostgreSQL did not start:\n{result.stdout}{result.stderr}\n{self._log_tail()}")

    @contextlib.contextmanager
    def stopped(self) -> Iterator[None]:
        """The server down for the block ("fast": clients are disconnected), then up again on the same port.

        For tests of what a restart of the database does to requests in progress;
        the server is started again also when the block fails.
        """
        self._run("pg_ctl", "stop", "--pgdata", str(self.data_directory), "--mode", "fast", "--wait")
        self._running = False
        try:
            yield
        finally:
            self._pg_ctl_start()
            self._running = True

    def _pg_ctl_start(self, check: bool = True) -> subprocess.CompletedProcess:
        return self._run(
            "pg_ctl",
            "start",
            "--pgdata",
            str(self.data_directory),
            "--log",
            str(self.log_file),
            "--wait",
            "--timeout",
            str(self.startup_timeout),
            check=check,
        )

    def _write_settings(self):
        """``postgresql.auto.conf`` is read last, so these override initdb's defaults."""
        lines = [f"{name} = {value}\n" for name, value in {**self.settings, "port": str(self.port)}.items()]
        settings_file = self.data_directory / "postgresql.auto.conf"
        settings_file.write_text("".join(lines))
        self._give_to_owner(settings_file)

    def _stop_and_remove(self):
        try:
            if self._running:
                self._run(
                    "pg_ctl", "stop", "--pgdata", str(self.data_directory), "--mode", "immediate", "--wait", check=False
                )
                self._running = False
        finally:
            if self.root is not None:
                shutil.rmtree(self.root, ignore_errors=True)
                self.root = None

    def _run(self, program: str, *arguments: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(self._bindir / program), *arguments]
        as_owner = {}
        if self._owner.pw_uid != os.geteuid():
            as_owner = {"user": self._owner.pw_uid, "group": self._owner.pw_gid, "extra_groups": []}
        environment = {**os.environ, "HOME": str(self.root), "LC_ALL": "C"}
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            cwd=self.root,
            env=environment,
            stdin=subprocess.DEVNULL,
            **as_owner,
        )
        if check and result.returncode != 0:
            raise RuntimeError(f"{program} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
        return result

    def _give_to_owner(self, path: Path):
        if self._owner.pw_uid != os.geteuid():
            os.chown(path, self._owner.pw_uid, self._owner.pw_gid)

    def _log_tail(self, limit: int = 4000) -> str:
        try:
            return self.log_file.read_text(errors="replace")[-limit:]
        except OSError:
            return ""


def _identifier(name: str) -> str:
    if not DATABASE_NAME.match(name):
        raise ValueError(f"database names here are lower-case identifiers, got {name!r}")
    return f'"{name}"'


def _server_owner() -> pwd.struct_passwd:
    """Who runs the server: ourselves, or the user ``postgres`` if we are root."""
    if os.geteuid() != 0:
        return pwd.getpwuid(os.geteuid())
    try:
        return pwd.getpwnam(SERVER_USER)
    except KeyError:
        raise PostgresUnavailable(
            f"PostgreSQL refuses to run as root and there is no user {SERVER_USER!r} to run it as; "
            f"{INSTALL_HINT}, which creates it, or: useradd --system {SERVER_USER}"
        ) from None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


if __name__ == "__main__":  # .ci/run asks this way: no package to import on a bare machine
    raise SystemExit(0 if postgres_available() else 1)
