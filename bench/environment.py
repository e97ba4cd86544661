"""One host (eduMFA or privacyIDEA) for every workload: app, database, Firebase stand-in, users, policies, tokens.

Both token types live in the same app on the same database, so the
only difference between a built-in figure and ours is the token type.  Each
workload gets users of its own (one token each), so workloads never see each
other's challenges or limits.
"""

from __future__ import annotations

import contextlib
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, NamedTuple, Type

from cryptography.hazmat.primitives.asymmetric import rsa

from edupush_token import catalogue, runtime
from edupush_token.devtools.fake_fcm import FakeFCM
from edupush_token.devtools.local_instance import (
    ADMIN_USERNAME,
    DEMO_REALM,
    DEMO_RESOLVER,
    LocalInstance,
)
from edupush_token.devtools.phone import EmulatedPhone, FlaskClientTransport, PhoneToken

from . import key_pool
from .harness import BUILT_IN, OURS, BenchError, TimedTransport, say, time_call
from .hosts import BuiltinPush

GATEWAY = "fcm"
GOOGLE_FCM_HOST = "https://fcm.googleapis.com"
REGISTRATION_URL = "https://bench.example/ttype/{}"
POLL_ONLY = "poll only"
KEY_SIZE = 4096  # the app's key size, and the built-in's fixed server key size
PIN = "1234"
MAX_PUSHES_PER_HOUR = 1000  # the highest hourly cap our token's policy accepts
BENCH_RESOLVER = "bench-users"
DATABASE_NAME = "edumfa_bench"
DRAIN_SECONDS = 30.0
# The Flask test client reports a server that serves one request at a time,
# where our push_wait would refuse to wait; here other threads play the phone.
PUSH_WAIT_SLOTS = 4


class TokenKind(NamedTuple):
    """One of the two token types under comparison."""

    variant: str  # BUILT_IN or OURS
    token_type: str
    label: str
    phone: Type[EmulatedPhone]  # the app that scans this type's QR code

    @property
    def policy_prefix(self) -> str:
        return self.token_type + "_"

    def registration_url(self) -> str:
        return REGISTRATION_URL.format(self.token_type)


def token_kinds(builtin: BuiltinPush) -> Dict[str, TokenKind]:
    """Both token types by variant: the host's built-in and ours (for the eduMFA Authenticator)."""
    return {
        BUILT_IN: TokenKind(BUILT_IN, builtin.token_type, builtin.label, builtin.phone),
        OURS: TokenKind(OURS, catalogue.TOKEN_TYPE, f"{catalogue.TOKEN_TYPE} (ours)", EmulatedPhone),
    }


@dataclass(frozen=True)
class BenchUser:
    """A user of the bench's own resolver; poll-only users get no Firebase pushes."""

    name: str
    poll_only: bool = False


@dataclass
class Device:
    """A phone, the token enrolled on it, and the transport that times its requests."""

    phone: EmulatedPhone
    token: PhoneToken
    transport: TimedTransport

    @property
    def serial(self) -> str:
        return self.token.serial


class Admin:
    """The host's REST API as its admin, over an in-process test client."""

    def __init__(self, client, password):
        self.client = client
        self.headers = {}
        credentials = {"username": ADMIN_USERNAME, "password": password}
        body = self.call("POST", "/auth", json=credentials)
        self.headers = {"Authorization": body["result"]["value"]["token"]}

    def call(self, method, path, json=None, params=None):
        response = self.client.open(path, method=method, json=json, query_string=params, headers=self.headers)
        if response.status_code != 200:
            text = response.get_data(as_text=True)[:500]
            raise BenchError(f"{method} {path}: HTTP {response.status_code}: {text}")
        return response.get_json()

    def set_policy(self, name, scope, action, **fields):
        body = {"scope": scope, "realm": DEMO_REALM, "action": action, **fields}
        self.call("POST", f"/policy/{name}", json=body)


class Environment:
    """The shared host; build it with :func:`open_environment`."""

    def __init__(
        self,
        directory: Path,
        database: str,
        builtin: BuiltinPush,
        instance: LocalInstance,
        app,
        fcm: FakeFCM,
        key_pool_size: int,
    ):
        self.directory = directory
        self.database = database
        self.builtin = builtin
        self.kinds = token_kinds(builtin)
        self.instance = instance
        self.app = app
        self.fcm = fcm
        self.key_pool_size = key_pool_size
        self.client = app.test_client()
        self.admin = Admin(self.client, instance.admin_password)
        self.problems: List[str] = []
        self._phone_key = None

    @property
    def database_url(self) -> str:
        return self.app.config["SQLALCHEMY_DATABASE_URI"]

    def phone_key(self):
        """One RSA-4096 key for every emulated phone: made once, as it costs the phone, not the server."""
        if self._phone_key is None:
            self._phone_key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
        return self._phone_key

    def new_device_phone(self, user: BenchUser, kind: TokenKind, client=None) -> tuple:
        transport = TimedTransport(FlaskClientTransport(client or self.app.test_client()))
        phone = kind.phone(transport, key_size=KEY_SIZE, firebase_token=registration_token(user))
        return phone, transport

    def start_enrollment(self, user: BenchUser, kind: TokenKind) -> str:
        """Enrollment step 1 as the admin; returns the QR code's URL."""
        detail = self.admin.call(
            "POST",
            "/token/init",
            json={
                "type": kind.token_type,
                "genkey": 1,
                "user": user.name,
                "realm": DEMO_REALM,
                "pin": PIN,
            },
        )["detail"]
        return detail["pushurl"]["value"]

    def enroll(self, user: BenchUser, kind: TokenKind) -> Device:
        """A token of ``kind`` for ``user``, enrolled by its own phone and checked."""
        phone, transport = self.new_device_phone(user, kind)
        pending = phone.scan(self.start_enrollment(user, kind))
        pending.private_key = self.phone_key()
        device = Device(phone, phone.enroll(pending), transport)
        self._check_token(user, kind, device)
        if kind.variant == OURS:
            key_pool.wait_until_full(self.app, self.builtin.db, self.key_pool_size)  # measure nothing while it refills
        return device

    def _check_token(self, user: BenchUser, kind: TokenKind, device: Device):
        """The token must push where the workload thinks, or its figures would mean something else.

        A poll-only token of the privacyIDEA app registers ``no_firebase_token``, so the
        registration wanted is the one the phone sent, and a Firebase user's own.
        """
        serial = device.serial
        [token] = self.admin.call("GET", "/token/", params={"serial": serial})["result"]["value"]["tokens"]
        sent = device.token.firebase_token
        wanted = (POLL_ONLY, sent) if user.poll_only else (GATEWAY, registration_token(user))
        found = (token["info"].get(f"{kind.policy_prefix}firebase_configuration"), token["info"].get("firebase_token"))
        if found != wanted:
            raise BenchError(
                f"{user.name}'s {kind.token_type} token {serial} has Firebase "
                f"configuration and registration {found!r}, not {wanted!r}"
            )

    def sibling_app(self, name: str, extra_config: Dict[str, object]):
        """Another app of the host in this process on the same database, with some settings changed.

        A copy of the instance's directory (same keys) whose config file
        ends with the main app's database URL and ``extra_config``.
        """
        directory = self.directory / name
        shutil.copytree(self.instance.directory, directory, ignore=shutil.ignore_patterns("*.sqlite", "*.log*"))
        overrides = {"SQLALCHEMY_DATABASE_URI": self.database_url, **extra_config}
        with open(directory / self.instance.config_file.name, "a") as config:
            config.write("".join(f"{key} = {value!r}\n" for key, value in overrides.items()))
        return LocalInstance(directory).create_app()

    def node_directory(self, name: str) -> Path:
        """A copy of the instance directory for another server process on the same database."""
        if self.database == "sqlite":
            raise BenchError("separate server processes need a shared database server (--database postgresql)")
        directory = self.directory / name
        shutil.copytree(self.instance.directory, directory, ignore=shutil.ignore_patterns("*.log*"))
        return directory

    def versions(self) -> dict:
        if self.database != "postgresql":
            return {}
        from sqlalchemy import text

        with self.app.app_context():
            return {"postgresql_server": self.builtin.db.session.execute(text("SHOW server_version")).scalar()}

    def dispose(self, app) -> None:
        """Close ``app``'s database connections (this one's or a sibling's)."""
        db = self.builtin.db
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def registration_token(user: BenchUser) -> str:
    return f"bench-{user.name}"


@contextlib.contextmanager
def open_environment(
    directory: Path, database: str, builtin: BuiltinPush, users: Iterable[BenchUser], key_pool_size: int
):
    """Everything set up for the given users; torn down (sends drained, servers stopped) on exit."""
    with contextlib.ExitStack() as stack:
        fcm = stack.enter_context(FakeFCM())
        stack.enter_context(builtin_sends_to(builtin, fcm.base_url))
        database_url = stack.enter_context(database_server(database))
        account = directory / "service-account.json"
        fcm.create_service_account(account)
        say(f"preparing {builtin.host_name} on {database}")
        extra_config = {
            "EDUPUSH_FCM_URL": fcm.base_url,
            "EDUPUSH_KEY_POOL_SIZE": key_pool_size,
            "EDUPUSH_PUSH_WAIT_SLOTS": PUSH_WAIT_SLOTS,
        }
        instance = LocalInstance(
            directory / builtin.host, database_url=database_url, extra_config=extra_config, host=builtin.host
        ).prepare()
        app = instance.create_app()
        environment = Environment(directory, database, builtin, instance, app, fcm, key_pool_size)
        stack.callback(environment.dispose, app)
        stack.callback(runtime.deliveries.wait_idle, DRAIN_SECONDS)
        users = list(users)
        add_users(environment.admin, directory / "bench-users.passwd", users)
        configure(environment, account, [user for user in users if user.poll_only])
        yield environment


@contextlib.contextmanager
def database_server(database: str):
    """None for SQLite (LocalInstance's file), or the URL of a database on a throwaway PostgreSQL."""
    if database == "sqlite":
        yield None
        return
    throwaway_postgres = _import_throwaway_postgres()
    say("starting a throwaway PostgreSQL")
    with throwaway_postgres() as server:
        yield server.create_database(DATABASE_NAME)


def _import_throwaway_postgres():
    """The tests' throwaway cluster: the bench runs from a checkout, so tests/support is there."""
    tests = Path(__file__).resolve().parents[1] / "tests"
    if str(tests) not in sys.path:
        sys.path.insert(0, str(tests))
    try:
        from support.postgres import ThrowawayPostgres
    except ImportError as error:
        raise BenchError(f"--database postgresql needs {tests}/support/postgres.py ({error})") from None
    return ThrowawayPostgres


@contextlib.contextmanager
def builtin_sends_to(builtin: BuiltinPush, base_url: str):
    """Point the host's FirebaseProvider at the stand-in: it has no setting, only this module constant.

    Only the host changes; the OAuth endpoint already comes from the service
    account's ``token_uri``.
    """
    FirebaseProvider = builtin.firebase_module
    original = FirebaseProvider.FIREBASE_URL_SEND
    if not original.startswith(GOOGLE_FCM_HOST + "/"):
        raise BenchError(f"{builtin.host_name}'s FIREBASE_URL_SEND is {original!r}, not on {GOOGLE_FCM_HOST}")
    FirebaseProvider.FIREBASE_URL_SEND = base_url + original[len(GOOGLE_FCM_HOST) :]
    try:
        yield
    finally:
        FirebaseProvider.FIREBASE_URL_SEND = original


def add_users(admin: Admin, passwd_file: Path, users: List[BenchUser]):
    """The workloads' users, in a passwd resolver of their own, added to the demo realm."""
    passwd_file.write_text(
        "".join(
            f"{user.name}:x:{uid}:{uid}:{user.name},,,,:/home/{user.name}:/bin/sh\n"
            for uid, user in enumerate(users, start=20000)
        )
    )
    admin.call("POST", f"/resolver/{BENCH_RESOLVER}", json={"type": "passwdresolver", "fileName": str(passwd_file)})
    admin.call("POST", f"/realm/{DEMO_REALM}", json={"resolvers": f"{DEMO_RESOLVER},{BENCH_RESOLVER}"})


def configure(environment: Environment, service_account: Path, poll_only_users: List[BenchUser]):
    """One Firebase gateway for both token types, poll-only users, loosened push-bombing limits.

    The poll-only policy matches its users on top of the realm-wide one, so it
    gets the higher priority (lower number); at equal priority eduMFA would
    refuse the contradiction.  Our limits would refuse a login every few
    milliseconds: the interval goes to 0, the hourly cap to its maximum and
    open requests to 10 (they are still checked on every call, so their cost
    is measured).
    """
    admin, kinds = environment.admin, environment.kinds.values()
    admin.call(
        "POST",
        "/smsgateway",
        json={
            "name": GATEWAY,
            "module": environment.builtin.firebase_provider,
            f"option.{catalogue.FIREBASE_SERVICE_ACCOUNT_OPTION}": str(service_account),
        },
    )
    enrollment = {}
    for kind in kinds:
        enrollment[kind.policy_prefix + "registration_url"] = kind.registration_url()
        enrollment[kind.policy_prefix + "firebase_configuration"] = GATEWAY
    enrollment[environment.kinds[BUILT_IN].policy_prefix + "ttl"] = 10
    enrollment["edupushplus_server_key_size"] = KEY_SIZE
    admin.set_policy("bench-enrollment", "enrollment", enrollment, priority=2)
    if poll_only_users:
        admin.set_policy(
            "bench-poll-only",
            "enrollment",
            {kind.policy_prefix + "firebase_configuration": POLL_ONLY for kind in kinds},
            user=",".join(user.name for user in poll_only_users),
            priority=1,
        )
    admin.set_policy(
        "bench-limits",
        "authentication",
        {
            "edupushplus_min_interval": 0,
            "edupushplus_max_per_hour": MAX_PUSHES_PER_HOUR,
            "edupushplus_max_open_requests": 10,
        },
    )


class Triggered(NamedTuple):
    """One /validate/triggerchallenge: how long it took and the login it started."""

    seconds: float
    transaction_id: str


def trigger(admin: Admin, user: BenchUser, serial: str) -> Triggered:
    """One /validate/triggerchallenge for ``user``; it must have challenged exactly ``serial``."""
    body = {"user": user.name, "realm": DEMO_REALM}
    response, seconds = time_call(
        lambda: admin.client.post("/validate/triggerchallenge", json=body, headers=admin.headers)
    )
    detail = (response.get_json(silent=True) or {}).get("detail", {})
    challenged = [challenge.get("serial") for challenge in detail.get("multi_challenge", [])]
    if response.status_code != 200 or challenged != [serial]:
        raise BenchError(
            f"triggerchallenge for {user.name}: HTTP {response.status_code}: {response.get_data(as_text=True)[:500]}"
        )
    return Triggered(seconds, detail.get("transaction_id", ""))


def finish_login(admin: Admin, user: BenchUser, transaction_id: str) -> None:
    """The application's /validate/check after an accept: it must log in, and its challenge is gone."""
    body = {"user": user.name, "realm": DEMO_REALM, "pass": "", "transaction_id": transaction_id}
    response = admin.client.post("/validate/check", json=body)
    result = (response.get_json(silent=True) or {}).get("result", {})
    if response.status_code != 200 or result.get("authentication") != "ACCEPT":
        raise BenchError(
            f"/validate/check for {user.name}'s accepted login: HTTP {response.status_code}: "
            f"{response.get_data(as_text=True)[:500]}"
        )


def answer_accepted(device: Device, request, who: str) -> None:
    """The phone accepts ``request``; anything but HTTP 200 with value true is an error."""
    response = device.phone.accept(request)
    if response.status != 200 or (response.json or {}).get("result", {}).get("value") is not True:
        raise BenchError(f"{who}'s phone could not accept: HTTP {response.status}: {response.text[:500]}")


def poll_expecting(device: Device, count: int, who: str) -> list:
    """Poll; exactly ``count`` verified login requests must come back."""
    requests = device.phone.poll(device.token)
    if len(requests) != count:
        reason = device.phone.last_drop_reason or "nothing dropped"
        raise BenchError(f"{who}'s phone polled {len(requests)} login requests, not {count} ({reason})")
    return requests
