"""Fixtures giving tests a real host (eduMFA, or privacyIDEA) with the edupushplus plugin switched on.

The host is the one installed (``HOST``): eduMFA in ``.venv``, privacyIDEA in
``.venv-privacyidea``.  On privacyIDEA only the modules marked ``both_hosts``
are collected; the rest are about eduMFA alone (its web UI, its config
file, its tools) and may import it at the top.

    instance  a fresh LocalInstance (own directory, own SQLite database) per test
    app       its eduMFA Flask app (no app context pushed; see ``app_context``)
    client    Flask test client of ``app``
    admin     AdminAPI logged in as the eduMFA admin, over ``client``
    served    base URL of the same instance served over real HTTP (e2e tests)
    served_admin  AdminAPI over HTTP against ``served``
    admin_over_http  ``admin_over_http(url, instance)`` for other servers (e2e scale-out)
    host_library  the installed host's functions as its adapter calls them (get_one_token, db, challenge_model, ...)
    postgres_server    a throwaway PostgreSQL cluster for the whole session
    postgres_programs  skips (in CI: fails) a test that needs PostgreSQL where it is not installed
    postgres_instance  a prepared LocalInstance on a fresh PostgreSQL database
    make_postgres_instance  the same with further edumfa.cfg settings

Preparing eduMFA (keys, schema, admin, realm) takes a second or two, so it is
done once per session in a template directory that each test copies.

``instance`` is on SQLite.  A test or module marked ``both_engines`` runs
twice, with ``instance`` on SQLite and on PostgreSQL (on privacyIDEA only if
also marked ``both_hosts(postgresql=True)``: there the push_wait wake-ups and
racing answers, which depend on the database, run on both).  Without PostgreSQL's
server programs those runs are skipped, except in CI (``CI=true``), where
they fail: CI must really test PostgreSQL.
"""

from __future__ import annotations

import importlib
import itertools
import os

import pytest

import support
from edupush_token import runtime
from edupush_token.catalogue import Config
from edupush_token.devtools.local_instance import ADMIN_USERNAME, DEMO_REALM, HOSTS, LocalInstance, installed_host
from edupush_token.devtools.served import ServedInstance
from support.postgres import INSTALL_HINT, ThrowawayPostgres, postgres_available

pytest_plugins = ["support.enrolled_phones"]

HOST = installed_host()
BOTH_HOSTS = "both_hosts"


@pytest.fixture(scope="session")
def host_library():
    """The installed host's library as the adapter names it: tests reach the host through it, whichever it is."""
    return support.host_library()


def pytest_ignore_collect(collection_path, config):
    """On privacyIDEA, only the modules that say they run on both hosts (they may not import eduMFA)."""
    if HOST == "edumfa" or collection_path.suffix != ".py" or not collection_path.name.startswith("test_"):
        return None
    return BOTH_HOSTS not in collection_path.read_text()


class AdminAPI:
    """eduMFA's admin REST API with the admin's JWT; one unexpected status raises.

    Works over the Flask test client (``AdminAPI.over_client``) or real HTTP
    (``AdminAPI.over_http``).  Every call returns the decoded JSON body.
    """

    def __init__(self, send, password, username=ADMIN_USERNAME):
        self._send = send
        status, body, text = send("POST", "/auth", json={"username": username, "password": password})
        if status != 200:
            raise AssertionError(f"admin login failed: HTTP {status}: {text}")
        self.token = body["result"]["value"]["token"]

    @classmethod
    def over_client(cls, client, password):
        def send(method, path, json=None, params=None, headers=None):
            response = client.open(path, method=method, json=json, query_string=params, headers=headers)
            return response.status_code, response.get_json(silent=True), response.get_data(as_text=True)

        return cls(send, password)

    @classmethod
    def over_http(cls, base_url, password):
        import requests

        session = requests.Session()

        def send(method, path, json=None, params=None, headers=None):
            response = session.request(method, base_url + path, json=json, params=params, headers=headers, timeout=30)
            try:
                body = response.json()
            except ValueError:
                body = None
            return response.status_code, body, response.text

        return cls(send, password)

    def request(self, method, path, json=None, params=None, expect=200):
        status, body, text = self._send(method, path, json=json, params=params, headers={"Authorization": self.token})
        if status != expect:
            raise AssertionError(f"{method} {path}: expected HTTP {expect}, got {status}: {text}")
        return body

    def get(self, path, params=None, expect=200):
        return self.request("GET", path, params=params, expect=expect)

    def post(self, path, json=None, expect=200):
        return self.request("POST", path, json=json or {}, expect=expect)

    def delete(self, path, expect=200):
        return self.request("DELETE", path, expect=expect)

    def set_policy(self, name, scope, action, realm=DEMO_REALM, **fields):
        """POST /policy/<name>; ``action`` as eduMFA takes it ("a, b=1" or a dict)."""
        body = {"scope": scope, "action": action, **fields}
        if realm is not None:
            body["realm"] = realm
        return self.post(f"/policy/{name}", body)["result"]["value"]


# eduMFA's default Argon2 settings make every admin login take ~0.5 s. The
# stored hash carries its parameters, so cheap ones at creation make logins
# cheap. Note that eduMFA merges this setting into a module-level dict, so it
# stays in effect for all later hashing in the test process.
CHEAP_PASSWORD_HASHING = {f"{HOSTS[HOST].prefix}_HASH_ALGO_PARAMS": {"argon2__rounds": 1, "argon2__memory_cost": 1024}}
# The Flask test client reports a server that serves one request at a time,
# where push_wait would be refused; in tests, other threads play the phone.
PUSH_WAIT_SLOTS = {Config.PUSH_WAIT_SLOTS: 4}
# One pooled key per key size keeps the pool in use without a background
# thread generating eight keys for every test's fresh database.
SMALL_KEY_POOL = {Config.KEY_POOL_SIZE: 1}
TEST_SETTINGS = {**CHEAP_PASSWORD_HASHING, **PUSH_WAIT_SLOTS, **SMALL_KEY_POOL}


@pytest.fixture(scope="session")
def edumfa_template(tmp_path_factory) -> LocalInstance:
    """Prepared once per session; tests get copies through ``instance``."""
    directory = tmp_path_factory.mktemp("edumfa-template")
    return LocalInstance(directory, extra_config=TEST_SETTINGS).prepare()


ENGINES = ("sqlite", "postgresql")
_database_numbers = itertools.count(1)


def pytest_configure(config):
    config.addinivalue_line("markers", "both_engines: run with ``instance`` on SQLite and on PostgreSQL")
    config.addinivalue_line("markers", "postgresql_only: run with ``instance`` on PostgreSQL alone")
    config.addinivalue_line(
        "markers",
        f"{BOTH_HOSTS}(postgresql=False): runs on eduMFA and on privacyIDEA (python3 dev.py test); "
        "with postgresql=True a both_engines test runs on PostgreSQL on privacyIDEA too",
    )


def pytest_generate_tests(metafunc):
    if "engine" not in metafunc.fixturenames:
        return
    if metafunc.definition.get_closest_marker("postgresql_only"):
        metafunc.parametrize("engine", ("postgresql",), indirect=True)
    elif metafunc.definition.get_closest_marker("both_engines") and _postgresql_on_this_host(metafunc):
        metafunc.parametrize("engine", ENGINES, indirect=True)


def _postgresql_on_this_host(metafunc) -> bool:
    """On privacyIDEA, PostgreSQL only where it matters (``both_hosts(postgresql=True)``): CI's time limit."""
    marker = metafunc.definition.get_closest_marker(BOTH_HOSTS)
    return HOST == "edumfa" or bool(marker and marker.kwargs.get("postgresql"))


@pytest.fixture
def engine(request) -> str:
    """The database engine under ``instance``: SQLite unless the test is marked ``both_engines``."""
    return getattr(request, "param", "sqlite")


@pytest.fixture
def instance(engine, request, tmp_path) -> LocalInstance:
    if engine == "postgresql":
        return request.getfixturevalue("postgres_instance")
    return request.getfixturevalue("edumfa_template").clone(tmp_path / "edumfa")


@pytest.fixture(scope="session")
def postgres_programs() -> None:
    """Skips the test where PostgreSQL's server programs are missing, except in CI, where it fails."""
    if not postgres_available():
        message = f"PostgreSQL is not installed; {INSTALL_HINT}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}. CI=true: the PostgreSQL tests must run in CI.")
        pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_server(postgres_programs):
    with ThrowawayPostgres() as server:
        yield server


@pytest.fixture
def postgres_database(postgres_server) -> str:
    """SQLAlchemy URL of a fresh, empty database, dropped after the test."""
    name = f"edumfa_{next(_database_numbers)}"
    yield postgres_server.create_database(name)
    postgres_server.drop_database(name)


@pytest.fixture
def make_postgres_instance(postgres_database, tmp_path):
    """``make(**edumfa_cfg_settings)``: a LocalInstance on this test's fresh PostgreSQL database.

    Prepared from scratch, which on PostgreSQL takes about half a second.
    """

    def make(**extra_config) -> LocalInstance:
        return LocalInstance(
            tmp_path / "edumfa-postgresql",
            database_url=postgres_database,
            extra_config={**TEST_SETTINGS, **extra_config},
        ).prepare()

    return make


@pytest.fixture
def postgres_instance(make_postgres_instance) -> LocalInstance:
    return make_postgres_instance()


@pytest.fixture
def app(instance):
    """eduMFA's Flask app for this test's instance.

    No app context is pushed: requests of the test client would reuse a pushed
    context, and with it ``flask.g``, where eduMFA keeps its request-local
    config snapshot, policy object and teardown finalizers; they would leak from
    one request into the next.  Use ``app_context`` for direct library calls.
    """
    host_config = importlib.import_module(f"{HOST}.lib.config")

    # eduMFA (and privacyIDEA) caches the token classes (and resolver classes) process-wide in
    # the module dict ``edumfa.lib.config.config``, built from whichever app
    # asked first.  Emptying it makes eduMFA rebuild it from this app's
    # EDUMFA_TOKEN_MODULES, so a test with other modules, or a plugin import
    # that failed earlier, cannot leak into later tests.  Everything else
    # eduMFA caches (config, policies, resolver objects, HSM, engines) lives in
    # the app's own store or in ``flask.g``, i.e. is new with every app.
    host_config.config.clear()
    app = instance.create_app()
    yield app
    runtime.keep_outbox_swept(lambda: 0, lambda: None)  # this process's outbox sweeps leave the app behind
    db = importlib.import_module(f"{HOST}.models").db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app_context(app):
    """An app context for calling eduMFA's library directly; don't mix with ``client`` requests."""
    with app.app_context() as context:
        yield context


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def admin(client, instance) -> AdminAPI:
    return AdminAPI.over_client(client, instance.admin_password)


@pytest.fixture
def served(instance):
    """Base URL of this test's instance, served over HTTP by a separate process."""
    with ServedInstance(instance.directory) as url:
        yield url


@pytest.fixture
def served_admin(served, instance) -> AdminAPI:
    return AdminAPI.over_http(served, instance.admin_password)


@pytest.fixture
def admin_over_http():
    """``admin_over_http(url, instance)``: AdminAPI against a served copy of any instance."""

    def connect(url, instance) -> AdminAPI:
        return AdminAPI.over_http(url, instance.admin_password)

    return connect
