"""A real eduMFA (or privacyIDEA), configured for the edupushplus plugin, living in one directory.

Tests, the demo and ``serve`` all get their eduMFA from here, so there is exactly
one place that knows how eduMFA is set up.  Everything is done with eduMFA's own
app factory, CLI commands and library functions; nothing of eduMFA is mocked.

The directory holds everything the instance needs (config, keys, SQLite database,
user file, log), and ``edumfa.cfg`` (``pi.cfg``) locates files relative to itself,
so a prepared directory can be copied (see :meth:`LocalInstance.clone`).  The
host is the one whose config file the directory holds, else ``host``'s.

:mod:`.served` serves such a directory from a child process.
"""

import contextlib
import importlib
import os
import re
import secrets
import shutil
from pathlib import Path
from typing import NamedTuple

from ..catalogue import (
    EDUMFA_CONFIG_FILE_VARIABLE,
    EDUMFA_PLUGIN_MODULE,
    ENGINE_OPTIONS,
    POOL_PRE_PING,
    PRIVACYIDEA_CONFIG_FILE_VARIABLE,
    PRIVACYIDEA_PLUGIN_MODULE,
)
from ..hosts.installed import installed_host

PLUGIN_MODULE = EDUMFA_PLUGIN_MODULE
ADMIN_USERNAME = "admin"
DEMO_REALM = "demo"
DEMO_RESOLVER = "demo-users"

CONFIG_FILE = "edumfa.cfg"
DATABASE_FILE = "edumfa.sqlite"
ENCKEY_FILE = "enckey"
AUDIT_PRIVATE_KEY_FILE = "audit-private.pem"
AUDIT_PUBLIC_KEY_FILE = "audit-public.pem"
USERS_FILE = "users.passwd"
ADMIN_PASSWORD_FILE = "admin-password"
LOG_FILE = "edumfa.log"
OPTIONAL_LOGGING_CONFIG_FILE = "logging.yaml"


class HostSetup(NamedTuple):
    """How one host names its files and settings, and where its adapter's tools are."""

    name: str
    config_file: str
    database_file: str
    log_file: str
    prefix: str  # of the host's config keys
    plugin: str
    config_variable: str  # the environment variable naming the host's config file
    package: str  # hosts.<package>: its app (create_<package>_app) and provisioning modules


HOSTS = {
    "edumfa": HostSetup(
        "eduMFA", CONFIG_FILE, DATABASE_FILE, LOG_FILE, "EDUMFA", PLUGIN_MODULE, EDUMFA_CONFIG_FILE_VARIABLE, "edumfa"
    ),
    "privacyidea": HostSetup(
        "privacyIDEA",
        "pi.cfg",
        "privacyidea.sqlite",
        "privacyidea.log",
        "PI",
        PRIVACYIDEA_PLUGIN_MODULE,
        PRIVACYIDEA_CONFIG_FILE_VARIABLE,
        "privacyidea",
    ),
}


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

_CONFIG_TEMPLATE = """\
# {host} configuration written by edupush_token.devtools.local_instance.
# Paths are relative to this file, so the directory can be moved or copied.
# Keep this file, {enckey} and the audit keys: the database is useless without them.
import logging
import os

here = os.path.dirname(os.path.abspath(__file__))

SQLALCHEMY_DATABASE_URI = {database_uri}
# Test pooled connections before use: the first requests after a database restart then succeed.
{engine_options} = {{{pre_ping!r}: True}}
SECRET_KEY = {secret_key!r}
{prefix}_PEPPER = {pepper!r}
{prefix}_ENCFILE = os.path.join(here, {enckey!r})
{prefix}_AUDIT_KEY_PRIVATE = os.path.join(here, {audit_private!r})
{prefix}_AUDIT_KEY_PUBLIC = os.path.join(here, {audit_public!r})
{prefix}_AUDIT_NO_PRIVATE_KEY_CHECK = True
{prefix}_RESPONSE_NO_PRIVATE_KEY_CHECK = True
# The host's default ("null") opens a new audit database connection for every request.
{prefix}_ENGINE_REGISTRY_CLASS = "shared"
{prefix}_AUDIT_SQL_TRUNCATE = True
{prefix}_TOKEN_MODULES = [{plugin!r}]
{prefix}_LOGFILE = os.path.join(here, {logfile!r})
{prefix}_LOGLEVEL = logging.INFO
# Used instead of {prefix}_LOGFILE/{prefix}_LOGLEVEL only if you create it;
# pointing it here keeps the host away from its logging config in /etc.
{prefix}_LOGCONFIG = os.path.join(here, {logconfig!r})
"""


class LocalInstance:
    """An eduMFA instance in ``directory``, created on demand by :meth:`prepare`.

    ``database_url`` defaults to an SQLite file in the directory.  Without
    ``admin_password`` a random one is generated once and kept in the file
    ``admin-password``.  ``extra_config`` holds further ``edumfa.cfg`` settings
    (upper-case names, values with a Python literal ``repr``); they are written
    after the defaults and so may override them.
    """

    def __init__(self, directory, database_url=None, admin_password=None, extra_config=None, host=None):
        self.directory = Path(directory).resolve()
        found = [name for name, setup in HOSTS.items() if (self.directory / setup.config_file).is_file()]
        self.host = HOSTS[found[0] if found else host or installed_host()]
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
        return self.directory / self.host.config_file

    @property
    def users_file(self) -> Path:
        return self.directory / USERS_FILE

    @property
    def log_file(self) -> Path:
        return self.directory / self.host.log_file

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
        provisioning = self._host_module("provisioning")
        self.directory.mkdir(parents=True, exist_ok=True)
        self._write_config()
        self._write_users_file()
        if self._admin_password is None and not (self.directory / ADMIN_PASSWORD_FILE).exists():
            _write_private_file(self.directory / ADMIN_PASSWORD_FILE, secrets.token_urlsafe(16) + "\n")
        with step(f"Loading {self.host.name}"):
            app = self.create_app()
        with app.app_context():
            provisioning.run_setup_commands(app, step)
            with step("Checking the admin account and the demo realm"):
                provisioning.ensure_admin(ADMIN_USERNAME, self.admin_password, replace=self._admin_password is not None)
                provisioning.ensure_realm(DEMO_REALM, DEMO_RESOLVER, self.users_file)
            provisioning.close_database()
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
        variable = self.host.config_variable
        env_config = os.environ.get(variable)
        if env_config and Path(env_config).resolve() != self.config_file:
            raise RuntimeError(
                f"{variable}={env_config} is set; {self.host.name} would use it instead of {self.config_file}"
            )
        if os.environ.get("__EDUMFA_RUNNING_IN_CONTAINER") == "1":
            raise RuntimeError("__EDUMFA_RUNNING_IN_CONTAINER=1 makes eduMFA read /etc/edumfa")
        return getattr(self._host_module("app"), f"create_{self.host.package}_app")(self.config_file)

    def _host_module(self, name):
        return importlib.import_module(f"edupush_token.hosts.{self.host.package}.{name}")

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
            ignore=shutil.ignore_patterns(self.host.log_file + "*", "serve-*.log"),
        )
        return LocalInstance(directory, admin_password=self._admin_password).prepare()

    def _write_config(self):
        if self.config_file.exists():
            self._check_existing_config()
            return
        if self.database_url is None:
            database_uri = f'"sqlite:///" + os.path.join(here, {self.host.database_file!r})'
        else:
            database_uri = repr(self.database_url)
        text = _CONFIG_TEMPLATE.format(
            host=self.host.name,
            prefix=self.host.prefix,
            database_uri=database_uri,
            engine_options=ENGINE_OPTIONS,
            pre_ping=POOL_PRE_PING,
            secret_key=secrets.token_urlsafe(32),
            pepper=secrets.token_urlsafe(24),
            enckey=ENCKEY_FILE,
            audit_private=AUDIT_PRIVATE_KEY_FILE,
            audit_public=AUDIT_PUBLIC_KEY_FILE,
            plugin=self.host.plugin,
            logfile=self.host.log_file,
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
            lines.append(f"{user.username}:{crypted}:{user.uid}:{user.uid}:{gecos}:/home/{user.username}:/bin/sh\n")
        self.users_file.write_text("".join(lines))


def _write_private_file(path: Path, text: str):
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with open(descriptor, "w") as file:
        file.write(text)


@contextlib.contextmanager
def _silently(title):
    yield
