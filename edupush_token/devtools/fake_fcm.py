"""A local stand-in for Firebase Cloud Messaging that the real firebase-admin SDK talks to.

Nothing here reaches Google, so tests, the demo and benchmarks deliver pushes to
this server instead: real HTTP on loopback, Google's OAuth token endpoint for
service accounts and the FCM HTTP v1 ``messages:send`` endpoint, answering with
the status codes and JSON error bodies that FCM and Google OAuth use, so that
the *unmodified* SDK raises the same exceptions it raises in production.

Pointing the real SDK at it
---------------------------
The OAuth endpoint comes from the service account's ``token_uri`` (google-auth
uses it as is), so a service account written by :meth:`FakeFCM.create_service_account`
already points at ``<base_url>/token``.  The FCM URL is fixed in the SDK, so it
is overridden on the messaging service of our own ``firebase_admin`` App::

    import firebase_admin
    from firebase_admin import credentials, messaging
    app = firebase_admin.initialize_app(credentials.Certificate(path), name="gw-1", options={"httpTimeout": 5})
    service = messaging._get_messaging_service(app)
    service._fcm_url = f"{base_url}/v1/projects/{project_id}/messages:send"
    messaging.send(messaging.Message(token="reg-token", data={"a": "b"}), app=app)

Note: google-auth signs the JWT with ``aud`` = ``https://oauth2.googleapis.com/token``
whatever the ``token_uri`` is, so that audience is accepted here, as Google does.
The service account must keep ``universe_domain`` = ``googleapis.com``: for any
other universe google-auth skips the token endpoint and sends self-signed JWTs.

What the SDK does by itself (firebase-admin 7.x, measured by the tests in
``tests/integration/test_fake_fcm.py``): it retries 500 and 503 up to 4 times
(5 requests per send) with backoff 0, 1, 2, 4 s or the ``Retry-After`` seconds
instead; it also retries 429 *when* it carries ``Retry-After``; it retries a
read timeout once (so a push can be sent twice); and on 401 google-auth fetches
a new access token and re-sends, twice (3 send requests per send).  Faults
meant to reach the caller must therefore be queued ``times=`` that many.

Use
---
In-process::

    with FakeFCM() as fcm:
        fcm.create_service_account(path, project_id="edupush-demo")
        fcm.add_fault("send", error_code="UNREGISTERED")       # next send: 404
        fcm.add_fault("send", status=503, times=5, retry_after="1")
        fcm.add_fault("send", hang=3.0)                         # answer after 3 s
        fcm.set_latency(send=0.2)
        fcm.unregister("reg-token")
        message = fcm.wait_for_message("reg-token", timeout=5)

From another process (``edupush-token fake-fcm`` serving), the same through
:class:`FakeFCMControl` or plain HTTP under ``/_fake/``::

    GET  /_fake/health
    GET  /_fake/messages?token=T&after=SEQ&wait=S&all=1   (answered sends, in answer order)
    GET  /_fake/stats
    GET  /_fake/faults          POST /_fake/faults {"endpoint", "status", "error_code",
                                                    "times", "retry_after", "hang", "body"}
    DELETE /_fake/faults
    POST /_fake/latency {"send": seconds, "token": seconds}
    POST /_fake/unregister {"token": T}
    POST /_fake/reset
    POST /_fake/service-accounts  <a service-account JSON with its private key>
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import os
import re
import secrets
import socket
import string
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Dict, List, Optional, Set, Tuple, Union

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

DEFAULT_PROJECT_ID = "edupush-demo"
JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
# Audiences Google's token endpoint accepts; google-auth always uses the first.
GOOGLE_TOKEN_AUDIENCES = frozenset({
    GOOGLE_TOKEN_URI,
    "https://www.googleapis.com/oauth2/v4/token",
    "https://accounts.google.com/o/oauth2/token",
})
FCM_SCOPES = frozenset({
    "https://www.googleapis.com/auth/firebase.messaging",
    "https://www.googleapis.com/auth/cloud-platform",
})
ACCESS_TOKEN_LIFETIME = 3600
MAX_ASSERTION_LIFETIME = 3600
CLOCK_SKEW = 300
MAX_DATA_BYTES = 4096
ENDPOINTS = ("send", "token")

FCM_ERROR_TYPE = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
BAD_REQUEST_TYPE = "type.googleapis.com/google.rpc.BadRequest"
ERROR_INFO_TYPE = "type.googleapis.com/google.rpc.ErrorInfo"

# FCM v1 ErrorCode -> (HTTP status, canonical status, FCM's message).
FCM_ERRORS: Dict[str, Tuple[int, str, str]] = {
    "INVALID_ARGUMENT": (400, "INVALID_ARGUMENT", "Request contains an invalid argument."),
    "THIRD_PARTY_AUTH_ERROR": (401, "UNAUTHENTICATED", "Auth error from APNS or Web Push Service"),
    "SENDER_ID_MISMATCH": (403, "PERMISSION_DENIED", "SenderId mismatch"),
    "UNREGISTERED": (404, "NOT_FOUND", "Requested entity was not found."),
    "QUOTA_EXCEEDED": (429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."),
    "INTERNAL": (500, "INTERNAL", "Internal error encountered."),
    "UNAVAILABLE": (503, "UNAVAILABLE", "The service is currently unavailable."),
}
FCM_ERROR_FOR_STATUS = {status: code for code, (status, _, _) in FCM_ERRORS.items()}
CANONICAL_STATUS = {
    400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
    409: "ABORTED", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 501: "UNIMPLEMENTED",
    503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED",
}
# HTTP status -> (OAuth error, error_description) for faults on the token endpoint.
OAUTH_FAULTS = {
    400: ("invalid_grant", "Invalid JWT Signature."),
    401: ("invalid_client", "The OAuth client was not found."),
    403: ("access_denied", "Access denied."),
    429: ("rate_limit_exceeded", "Rate Limit Exceeded"),
    500: ("internal_failure", "Backend Error"),
    503: ("temporarily_unavailable", "The service is currently unavailable."),
}
BAD_TIMEFRAME = (
    "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable "
    "timeframe. Check your iat and exp values in the JWT claim."
)
MISSING_CREDENTIAL = (
    "Request is missing required authentication credential. Expected OAuth 2 access token, "
    "login cookie or other valid authentication credential. "
    "See https://developers.google.com/identity/sign-in/web/devconsole-project."
)
INVALID_CREDENTIAL = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, "
    "login cookie or other valid authentication credential. "
    "See https://developers.google.com/identity/sign-in/web/devconsole-project."
)
SEND_PATH = re.compile(r"^/v1/projects/([^/]+)/messages:send$")


# --------------------------------------------------------------------------- error bodies

def fcm_error_body(http_status: int, status: str, message: str, error_code: Optional[str] = None,
                   details: Tuple[dict, ...] = ()) -> dict:
    """Google's error envelope; the SDK picks the FCM error code out of ``details``."""
    all_details = list(details)
    if error_code:
        all_details.append({"@type": FCM_ERROR_TYPE, "errorCode": error_code})
    error: Dict[str, Any] = {"code": http_status, "message": message, "status": status}
    if all_details:
        error["details"] = all_details
    return {"error": error}


def fcm_error(error_code: str, message: Optional[str] = None, details: Tuple[dict, ...] = ()) -> Tuple[int, dict]:
    """(HTTP status, body) for one of FCM's v1 error codes."""
    http_status, status, default_message = FCM_ERRORS[error_code]
    return http_status, fcm_error_body(http_status, status, message or default_message, error_code, details)


def _fault_error(status: Optional[int], error_code: Optional[str]) -> Tuple[int, dict]:
    """The send endpoint's answer for an injected fault."""
    if error_code:
        code_status, canonical, message = FCM_ERRORS[error_code]
        http_status = status or code_status
        return http_status, fcm_error_body(http_status, canonical, message, error_code)
    assert status is not None
    if status in FCM_ERROR_FOR_STATUS:
        return fcm_error(FCM_ERROR_FOR_STATUS[status])
    return status, fcm_error_body(status, CANONICAL_STATUS.get(status, "UNKNOWN"), _phrase(status))


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _bad_request(message: str, field_name: Optional[str] = None, error_code: Optional[str] = None) -> Tuple[int, dict]:
    """400 INVALID_ARGUMENT with a ``google.rpc.BadRequest`` detail, as FCM sends for bad fields."""
    bad_request: Dict[str, Any] = {"@type": BAD_REQUEST_TYPE}
    if field_name:
        bad_request["fieldViolations"] = [{"field": field_name, "description": message}]
    return 400, fcm_error_body(400, "INVALID_ARGUMENT", message, error_code, (bad_request,))


def _unauthenticated(message: str, reason: str) -> Tuple[int, dict]:
    info = {"@type": ERROR_INFO_TYPE, "reason": reason, "domain": "googleapis.com",
            "metadata": {"service": "fcm.googleapis.com", "method": "google.firebase.fcm.v1.FcmService.SendMessage"}}
    return 401, fcm_error_body(401, "UNAUTHENTICATED", message, None, (info,))


class OAuthError(Exception):
    """A refusal of the token endpoint, in Google's OAuth error shape."""

    def __init__(self, error: str, description: str, status: int = 400):
        super().__init__(f"{error}: {description}")
        self.error, self.description, self.status = error, description, status

    def body(self) -> dict:
        return {"error": self.error, "error_description": self.description}


# --------------------------------------------------------------------------- service accounts

def generate_private_key_pem() -> str:
    """A fresh RSA-2048 key as PKCS#8 PEM, the form of a service account's ``private_key``."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def generate_service_account(project_id: str = DEFAULT_PROJECT_ID, token_uri: str = GOOGLE_TOKEN_URI,
                             private_key_pem: Optional[str] = None) -> dict:
    """A service-account key file's content, shaped like the ones Google hands out.

    Known to no fake until trusted; see :meth:`FakeFCM.create_service_account`.
    ``private_key_pem`` reuses a key (RSA generation costs ~50 ms; tests make many accounts).
    """
    pem = private_key_pem or generate_private_key_pem()
    suffix = "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(5))
    client_email = f"firebase-adminsdk-{suffix}@{project_id}.iam.gserviceaccount.com"
    return {
        "type": "service_account",
        "project_id": project_id,
        "private_key_id": secrets.token_hex(20),
        "private_key": pem,
        "client_email": client_email,
        "client_id": str(10 ** 20 + secrets.randbelow(9 * 10 ** 20)),
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/"
                                + urllib.parse.quote(client_email),
        "universe_domain": "googleapis.com",
    }


def write_service_account(path: Union[str, Path], info: dict) -> None:
    """Write a key file readable by its owner only, as a private key deserves."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        json.dump(info, file, indent=2)
        file.write("\n")


@dataclass
class _Account:
    client_email: str
    project_id: str
    key_id: str
    public_key: Any


@dataclass
class _AccessGrant:
    client_email: str
    project_id: str
    scopes: Set[str]
    expires_at: float


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# --------------------------------------------------------------------------- faults

@dataclass
class Fault:
    """One queued misbehaviour of an endpoint, used for the next ``times`` requests.

    ``status``/``error_code`` make it answer an error (the body follows from them,
    or ``body`` as given); ``hang`` sleeps that many seconds first (alone: then
    answers normally); ``times=None`` keeps it until reset or ``clear_faults``.
    """

    endpoint: str = "send"
    status: Optional[int] = None
    error_code: Optional[str] = None
    times: Optional[int] = 1
    retry_after: Optional[str] = None
    hang: Optional[float] = None
    body: Optional[dict] = None
    hits: int = 0

    def __post_init__(self):
        if self.endpoint not in ENDPOINTS:
            raise ValueError(f"endpoint must be one of {ENDPOINTS}, not {self.endpoint!r}")
        if self.error_code is not None and self.error_code not in FCM_ERRORS:
            raise ValueError(f"unknown FCM error code {self.error_code!r}; known: {sorted(FCM_ERRORS)}")
        if self.error_code is not None and self.endpoint != "send":
            raise ValueError("error_code only applies to the send endpoint")
        if self.status is None and self.error_code is None and self.hang is None:
            raise ValueError("a fault needs a status, an error_code or a hang")
        if self.times is not None and self.times < 1:
            raise ValueError("times must be at least 1 (or None for until reset)")
        if self.retry_after is not None:
            self.retry_after = str(self.retry_after)

    @property
    def answers_error(self) -> bool:
        return self.status is not None or self.error_code is not None

    def to_json(self) -> dict:
        return asdict(self)


# --------------------------------------------------------------------------- the fake

class FakeFCM:
    """FCM HTTP v1 and Google's service-account OAuth, served on loopback in a thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.host, self.port = host, port
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._stopping = threading.Event()
        self._server: Optional[_Server] = None
        self._thread: Optional[threading.Thread] = None
        self._accounts: Dict[str, _Account] = {}
        self._grants: Dict[str, _AccessGrant] = {}
        self._answered = 0  # ``seq`` of the last answer; never reset, so remote readers stay in step
        self._reset_state()

    def _reset_state(self) -> None:
        self._records: List[dict] = []
        self._token_requests: List[dict] = []
        self._faults: Dict[str, List[Fault]] = {endpoint: [] for endpoint in ENDPOINTS}
        self._unregistered: Set[str] = set()
        self._cursors: Dict[str, int] = {}
        self._send_latency = 0.0
        self._token_latency = 0.0

    # -- lifecycle

    def start(self) -> "FakeFCM":
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = _Server((self.host, self.port), _Handler, self)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        name=f"fake-fcm:{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; hanging requests are cut short and open connections closed."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        with self._changed:
            self._changed.notify_all()
        server.shutdown()
        server.close_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> "FakeFCM":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def token_uri(self) -> str:
        return f"{self.base_url}/token"

    def send_url(self, project_id: str = DEFAULT_PROJECT_ID) -> str:
        return f"{self.base_url}/v1/projects/{project_id}/messages:send"

    # -- service accounts

    def create_service_account(self, path: Union[str, Path], project_id: str = DEFAULT_PROJECT_ID,
                               private_key_pem: Optional[str] = None) -> dict:
        """Generate a key, write a Google-shaped service-account file at ``path`` and trust it."""
        info = generate_service_account(project_id, self.token_uri, private_key_pem)
        write_service_account(path, info)
        self.trust_service_account(info)
        return info

    def trust_service_account(self, path_or_info: Union[str, Path, dict]) -> dict:
        """Accept JWTs signed by this service account's key from now on."""
        info = path_or_info if isinstance(path_or_info, dict) else json.loads(Path(path_or_info).read_text())
        if info.get("type") != "service_account":
            raise ValueError("not a service-account key file (type is not 'service_account')")
        private_key = serialization.load_pem_private_key(info["private_key"].encode(), password=None)
        account = _Account(info["client_email"], info["project_id"], info["private_key_id"], private_key.public_key())
        with self._lock:
            self._accounts[account.client_email] = account
        return info

    # -- steering

    def add_fault(self, endpoint: str = "send", status: Optional[int] = None, *, error_code: Optional[str] = None,
                  times: Optional[int] = 1, retry_after: Optional[Union[str, int]] = None,
                  hang: Optional[float] = None, body: Optional[dict] = None) -> Fault:
        """Queue a fault for the next ``times`` requests to ``endpoint`` (FIFO per endpoint)."""
        fault = Fault(endpoint, status, error_code, times, retry_after, hang, body)
        with self._lock:
            self._faults[endpoint].append(fault)
        return fault

    def clear_faults(self) -> None:
        with self._lock:
            for queue in self._faults.values():
                queue.clear()

    def pending_faults(self) -> Dict[str, List[dict]]:
        with self._lock:
            return {endpoint: [fault.to_json() for fault in queue] for endpoint, queue in self._faults.items()}

    def set_latency(self, send: Optional[float] = None, token: Optional[float] = None) -> None:
        """Seconds added before answering every send (and token) request; None leaves it."""
        with self._lock:
            if send is not None:
                self._send_latency = max(0.0, float(send))
            if token is not None:
                self._token_latency = max(0.0, float(token))

    @property
    def latency(self) -> Dict[str, float]:
        return {"send": self._send_latency, "token": self._token_latency}

    def unregister(self, registration_token: str) -> None:
        """From now on sends to this token answer 404 UNREGISTERED, like an uninstalled app."""
        with self._lock:
            self._unregistered.add(registration_token)

    def reset(self) -> None:
        """Forget recordings, faults, latency and unregistrations; keep accounts and access tokens."""
        with self._changed:
            self._reset_state()
            self._changed.notify_all()

    # -- recordings

    @property
    def messages(self) -> List[dict]:
        """Every send request received, in arrival order.

        Each record: ``index`` (arrival), ``time``, ``project``, ``message`` (the JSON
        as sent), ``token``, ``validate_only``, ``status``/``error_code``/``name`` of the
        answer (None while still hanging), ``delivered`` and ``seq`` (answer order).
        """
        with self._lock:
            return [copy.deepcopy(record) for record in self._records]

    @property
    def token_requests(self) -> List[dict]:
        """Every token request received: time, client_email, status, error."""
        with self._lock:
            return [copy.deepcopy(record) for record in self._token_requests]

    def delivered(self, registration_token: Optional[str] = None, after: int = 0) -> List[dict]:
        """Records of sends answered 200 (and not ``validate_only``) in answer order, ``seq`` > ``after``."""
        with self._lock:
            return [copy.deepcopy(record) for record in self._answered_locked(registration_token, after, False)]

    def _answered_locked(self, registration_token: Optional[str], after: int, include_failed: bool) -> List[dict]:
        """Answered records with ``seq`` > ``after``, in answer order.

        Answer order, not arrival order: a hung request may be answered after a
        later one, and a reader that remembers the last ``seq`` must not miss it.
        """
        found = [record for record in self._records
                 if record["seq"] is not None and record["seq"] > after
                 and (include_failed or record["delivered"])
                 and (registration_token is None or record["token"] == registration_token)]
        return sorted(found, key=lambda record: record["seq"])

    def wait_for_message(self, registration_token: str, timeout: float = 5.0) -> dict:
        """The next message delivered to this token that this method has not returned yet.

        Blocks up to ``timeout`` seconds; raises ``TimeoutError`` if none arrives.
        """
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                after = self._cursors.get(registration_token, 0)
                found = self._answered_locked(registration_token, after, False)
                if found:
                    self._cursors[registration_token] = found[0]["seq"]
                    return copy.deepcopy(found[0]["message"])
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._stopping.is_set():
                    raise TimeoutError(f"no message for {registration_token!r} within {timeout} s")
                self._changed.wait(remaining)

    def _wait_for_records(self, registration_token: Optional[str], after: int, wait: float,
                          include_failed: bool) -> List[dict]:
        deadline = time.monotonic() + wait
        with self._changed:
            while True:
                found = self._answered_locked(registration_token, after, include_failed)
                remaining = deadline - time.monotonic()
                if found or remaining <= 0 or self._stopping.is_set():
                    return [copy.deepcopy(record) for record in found]
                self._changed.wait(remaining)

    def stats(self) -> dict:
        with self._lock:
            by_status: Dict[str, int] = {}
            for record in self._records:
                by_status[str(record["status"])] = by_status.get(str(record["status"]), 0) + 1
            return {
                "send_requests": len(self._records),
                "delivered": sum(1 for record in self._records if record["delivered"]),
                "token_requests": len(self._token_requests),
                "send_by_status": by_status,
            }

    # -- request handling (called from server threads)

    def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._stopping.wait(seconds)

    def _take_fault(self, endpoint: str) -> Optional[Fault]:
        with self._lock:
            queue = self._faults[endpoint]
            if not queue:
                return None
            fault = queue[0]
            fault.hits += 1
            if fault.times is not None and fault.hits >= fault.times:
                queue.pop(0)
            return fault

    def _handle_token(self, form: Dict[str, str]) -> Tuple[int, dict, Dict[str, str]]:
        """Record the request, apply latency and faults, else verify the grant like Google."""
        record = {"time": time.time(), "client_email": None, "status": None, "error": None}
        with self._lock:
            self._token_requests.append(record)
        self._sleep(self._token_latency)
        fault = self._take_fault("token")
        if fault and fault.hang:
            self._sleep(fault.hang)
        if fault and fault.answers_error:
            status = fault.status or 400
            error, description = OAUTH_FAULTS.get(status, ("server_error", _phrase(status)))
            body = fault.body or {"error": error, "error_description": description}
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            self._finish_token(record, status, error=body.get("error"))
            return status, body, headers
        try:
            account, claims = self._verify_assertion(form)
        except OAuthError as refusal:
            self._finish_token(record, refusal.status, error=f"{refusal.error}: {refusal.description}")
            return refusal.status, refusal.body(), {}
        access_token = "ya29.fake-" + secrets.token_urlsafe(48)
        with self._lock:
            self._grants[access_token] = _AccessGrant(
                account.client_email, account.project_id, set(str(claims.get("scope", "")).split()),
                time.time() + ACCESS_TOKEN_LIFETIME)
        self._finish_token(record, 200, client_email=account.client_email)
        return 200, {"access_token": access_token, "expires_in": ACCESS_TOKEN_LIFETIME, "token_type": "Bearer"}, {}

    def _finish_token(self, record: dict, status: int, client_email: Optional[str] = None,
                      error: Optional[str] = None) -> None:
        with self._lock:
            record.update(status=status, client_email=client_email, error=error)

    def _verify_assertion(self, form: Dict[str, str]) -> Tuple[_Account, dict]:
        """Check a JWT-bearer grant the way Google does for service accounts."""
        grant_type = form.get("grant_type")
        if grant_type != JWT_BEARER_GRANT:
            raise OAuthError("unsupported_grant_type", f"Invalid grant_type: {grant_type or ''}")
        assertion = form.get("assertion")
        if not assertion:
            raise OAuthError("invalid_request", "Missing required parameter: assertion")
        try:
            header_part, payload_part, signature_part = assertion.split(".")
            header = json.loads(_b64url_decode(header_part))
            claims = json.loads(_b64url_decode(payload_part))
            signature = _b64url_decode(signature_part)
        except (ValueError, binascii.Error):
            raise OAuthError("invalid_grant", "Invalid JWT: could not be parsed.") from None
        if not isinstance(header, dict) or not isinstance(claims, dict):
            raise OAuthError("invalid_grant", "Invalid JWT: could not be parsed.")
        with self._lock:
            account = self._accounts.get(str(claims.get("iss")))
        if account is None:
            raise OAuthError("invalid_grant", "Invalid grant: account not found")
        if header.get("alg") != "RS256" or header.get("kid", account.key_id) != account.key_id:
            raise OAuthError("invalid_grant", "Invalid JWT Signature.")
        try:
            account.public_key.verify(signature, f"{header_part}.{payload_part}".encode("ascii"),
                                      padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            raise OAuthError("invalid_grant", "Invalid JWT Signature.") from None
        if claims.get("aud") not in GOOGLE_TOKEN_AUDIENCES | {self.token_uri}:
            raise OAuthError("invalid_grant", f"Invalid JWT: Failed audience check. The right audience is {GOOGLE_TOKEN_URI}.")
        issued_at, expires = claims.get("iat"), claims.get("exp")
        now = time.time()
        if (not isinstance(issued_at, (int, float)) or not isinstance(expires, (int, float))
                or expires - issued_at > MAX_ASSERTION_LIFETIME or expires <= issued_at
                or issued_at > now + CLOCK_SKEW or expires < now - CLOCK_SKEW):
            raise OAuthError("invalid_grant", BAD_TIMEFRAME)
        return account, claims

    def _handle_send(self, project: str, authorization: Optional[str],
                     raw_body: bytes) -> Tuple[int, dict, Dict[str, str]]:
        """Record the request, apply latency and faults, else answer like FCM."""
        try:
            payload = json.loads(raw_body.decode("utf-8")) if raw_body else {}
        except (UnicodeDecodeError, ValueError):
            payload = None
        message = payload.get("message") if isinstance(payload, dict) else None
        record = {
            "index": None, "time": time.time(), "project": project,
            "message": message if isinstance(message, dict) else None,
            "token": _recipient(message) if isinstance(message, dict) else None,
            "validate_only": bool(isinstance(payload, dict) and payload.get("validate_only")),
            "status": None, "error_code": None, "name": None, "delivered": False, "seq": None,
        }
        with self._lock:
            record["index"] = len(self._records)
            self._records.append(record)
        self._sleep(self._send_latency)
        fault = self._take_fault("send")
        if fault and fault.hang:
            self._sleep(fault.hang)
        headers: Dict[str, str] = {}
        if fault and fault.answers_error:
            status, body = _fault_error(fault.status, fault.error_code)
            if fault.body is not None:
                body = fault.body
            if fault.retry_after:
                headers["Retry-After"] = fault.retry_after
        else:
            status, body, headers = self._process_send(project, authorization, payload)
        with self._changed:
            self._answered += 1
            record["seq"] = self._answered
            record["status"] = status
            record["error_code"] = _error_code_of(body)
            if status == 200:
                record["name"] = body.get("name")
                record["delivered"] = not record["validate_only"]
            self._changed.notify_all()
        return status, body, headers

    def _process_send(self, project: str, authorization: Optional[str],
                      payload: Any) -> Tuple[int, dict, Dict[str, str]]:
        """Validate a send like FCM: credentials, project, body, then the target."""
        refusal = self._check_credentials(project, authorization)
        if refusal:
            return refusal
        problem = _check_message(payload)
        if problem:
            return (*problem, {})
        message = payload["message"]
        if payload.get("validate_only"):
            return 200, {"name": f"projects/{project}/messages/fake_message_id"}, {}
        with self._lock:
            unregistered = _recipient(message) in self._unregistered
        if unregistered:
            return (*fcm_error("UNREGISTERED"), {})
        message_id = f"0:{time.time_ns() // 1000}%{secrets.token_hex(8)}"
        return 200, {"name": f"projects/{project}/messages/{message_id}"}, {}

    def _check_credentials(self, project: str,
                           authorization: Optional[str]) -> Optional[Tuple[int, dict, Dict[str, str]]]:
        """The refusal for a missing, unknown, expired or foreign access token, if any."""
        realm = 'Bearer realm="https://accounts.google.com/"'
        if not authorization or not authorization.startswith("Bearer "):
            return (*_unauthenticated(MISSING_CREDENTIAL, "CREDENTIALS_MISSING"), {"WWW-Authenticate": realm})
        invalid_token = {"WWW-Authenticate": f'{realm}, error="invalid_token"'}
        with self._lock:
            grant = self._grants.get(authorization[len("Bearer "):].strip())
        if grant is None:
            return (*_unauthenticated(INVALID_CREDENTIAL, "ACCESS_TOKEN_TYPE_UNSUPPORTED"), invalid_token)
        if grant.expires_at < time.time():
            return (*_unauthenticated(INVALID_CREDENTIAL, "ACCESS_TOKEN_EXPIRED"), invalid_token)
        if not grant.scopes & FCM_SCOPES:
            info = {"@type": ERROR_INFO_TYPE, "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT", "domain": "googleapis.com"}
            message = "Request had insufficient authentication scopes."
            return 403, fcm_error_body(403, "PERMISSION_DENIED", message, None, (info,)), {}
        if grant.project_id != project:
            return (*fcm_error("SENDER_ID_MISMATCH"), {})
        return None


def _check_message(payload: Any) -> Optional[Tuple[int, dict]]:
    """FCM's 400 for a send body it would not accept, if any."""
    if not isinstance(payload, dict):
        return _bad_request("Invalid JSON payload received. Unexpected token.")
    message = payload.get("message")
    if not isinstance(message, dict):
        return _bad_request("Request contains an invalid argument.", "message")
    token = _recipient(message)
    if not isinstance(token, str) or not token:
        return _bad_request("Recipient of the message is not set.", "message.token", "INVALID_ARGUMENT")
    data = message.get("data", {})
    if not isinstance(data, dict):
        entry_type = "type.googleapis.com/google.firebase.fcm.v1.Message.DataEntry"
        return _bad_request(f"Invalid value at 'message.data' ({entry_type}), {json.dumps(data)}", "message.data")
    for position, value in enumerate(data.values()):
        if not isinstance(value, str):
            field_name = f"message.data[{position}].value"
            return _bad_request(f"Invalid value at '{field_name}' (TYPE_STRING), {json.dumps(value)}", field_name)
    size = sum(len(key.encode("utf-8")) + len(value.encode("utf-8")) for key, value in data.items())
    if size > MAX_DATA_BYTES:
        return _bad_request("Android message is too big", None, "INVALID_ARGUMENT")
    return None


def _recipient(message: dict) -> Any:
    """The registration token, or the Firebase installation ID that firebase-admin 7.7+ offers instead."""
    return message.get("token") if message.get("token") is not None else message.get("fid")


def _error_code_of(body: Any) -> Optional[str]:
    """The FCM error code (or canonical status) of an error body, for recordings."""
    if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        return None
    error = body["error"]
    for detail in error.get("details", []):
        if isinstance(detail, dict) and detail.get("@type") == FCM_ERROR_TYPE:
            return detail.get("errorCode")
    return error.get("status")


# --------------------------------------------------------------------------- HTTP plumbing

class _Server(ThreadingHTTPServer):
    """Tracks open connections so that ``stop`` does not leave keep-alive threads behind."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, handler, fake: FakeFCM):
        self.fake = fake
        self._connections: Set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, handler)

    def process_request(self, request, client_address):
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-fcm"
    timeout = 120  # idle keep-alive connections give up eventually
    server: _Server

    def log_message(self, format, *args):  # noqa: A002 - quiet; recordings say what happened
        pass

    @property
    def fake(self) -> FakeFCM:
        return self.server.fake

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _answer(self, status: int, body: Any, headers: Optional[Dict[str, str]] = None) -> None:
        data = json.dumps(body, indent=2).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True  # the client gave up (e.g. timed out during a hang)

    def _not_found(self) -> None:
        self._answer(404, fcm_error_body(404, "NOT_FOUND", f"The requested URL {self.path} was not found on this server."))

    def do_POST(self):
        url = urllib.parse.urlsplit(self.path)
        body = self._read_body()
        if url.path == "/token":
            form = {key: values[-1] for key, values in urllib.parse.parse_qs(body.decode("utf-8", "replace")).items()}
            self._answer(*self.fake._handle_token(form))
            return
        match = SEND_PATH.match(url.path)
        if match:
            project = urllib.parse.unquote(match.group(1))
            self._answer(*self.fake._handle_send(project, self.headers.get("Authorization"), body))
            return
        if url.path.startswith("/_fake/"):
            self._control("POST", url, body)
            return
        self._not_found()

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path.startswith("/_fake/"):
            self._control("GET", url, b"")
            return
        self._not_found()

    def do_DELETE(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path.startswith("/_fake/"):
            self._control("DELETE", url, self._read_body())
            return
        self._not_found()

    def _control(self, method: str, url: urllib.parse.SplitResult, raw: bytes) -> None:
        """The ``/_fake/...`` API that lets another process steer and read the fake."""
        fake = self.fake
        query = {key: values[-1] for key, values in urllib.parse.parse_qs(url.query).items()}
        try:
            body = json.loads(raw) if raw else {}
            route = (method, url.path)
            if route == ("GET", "/_fake/health"):
                self._answer(200, {"ok": True, "base_url": fake.base_url, "token_uri": fake.token_uri})
            elif route == ("GET", "/_fake/messages"):
                after = int(query.get("after", 0))
                records = fake._wait_for_records(query.get("token"), after,
                                                 min(float(query.get("wait", 0)), 60.0), query.get("all") == "1")
                last = records[-1]["seq"] if records else after
                self._answer(200, {"messages": records, "last": last})
            elif route == ("GET", "/_fake/stats"):
                self._answer(200, fake.stats())
            elif route == ("GET", "/_fake/faults"):
                self._answer(200, fake.pending_faults())
            elif route == ("POST", "/_fake/faults"):
                allowed = {"endpoint", "status", "error_code", "times", "retry_after", "hang", "body"}
                unknown = set(body) - allowed
                if unknown:
                    raise ValueError(f"unknown fault fields: {sorted(unknown)}")
                fault = fake.add_fault(**body)
                self._answer(201, {"fault": fault.to_json()})
            elif route == ("DELETE", "/_fake/faults"):
                fake.clear_faults()
                self._answer(200, {"ok": True})
            elif route == ("POST", "/_fake/latency"):
                fake.set_latency(send=body.get("send"), token=body.get("token"))
                self._answer(200, fake.latency)
            elif route == ("POST", "/_fake/unregister"):
                fake.unregister(body["token"])
                self._answer(200, {"ok": True})
            elif route == ("POST", "/_fake/reset"):
                fake.reset()
                self._answer(200, {"ok": True})
            elif route == ("POST", "/_fake/service-accounts"):
                info = fake.trust_service_account(body)
                self._answer(200, {"client_email": info["client_email"], "project_id": info["project_id"]})
            else:
                self._answer(404, {"error": f"no control endpoint {method} {url.path}"})
        except (ValueError, KeyError, TypeError) as problem:
            self._answer(400, {"error": f"{type(problem).__name__}: {problem}"})


# --------------------------------------------------------------------------- other processes

class FakeFCMControl:
    """Steers and reads a fake FCM served by another process, over ``/_fake/``."""

    def __init__(self, base_url: str, timeout: float = 10.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def _call(self, method: str, path: str, body: Optional[dict] = None, timeout: Optional[float] = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base_url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout or self.timeout) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            raise RuntimeError(f"fake FCM refused {method} {path}: HTTP {error.code} {error.read().decode()}") from None

    def health(self) -> dict:
        return self._call("GET", "/_fake/health")

    def add_fault(self, endpoint: str = "send", status: Optional[int] = None, **options) -> dict:
        return self._call("POST", "/_fake/faults", {"endpoint": endpoint, "status": status, **options})["fault"]

    def clear_faults(self) -> None:
        self._call("DELETE", "/_fake/faults")

    def set_latency(self, send: Optional[float] = None, token: Optional[float] = None) -> dict:
        return self._call("POST", "/_fake/latency", {"send": send, "token": token})

    def unregister(self, registration_token: str) -> None:
        self._call("POST", "/_fake/unregister", {"token": registration_token})

    def reset(self) -> None:
        self._call("POST", "/_fake/reset")

    def trust_service_account(self, path_or_info: Union[str, Path, dict]) -> dict:
        info = path_or_info if isinstance(path_or_info, dict) else json.loads(Path(path_or_info).read_text())
        return self._call("POST", "/_fake/service-accounts", info)

    def stats(self) -> dict:
        return self._call("GET", "/_fake/stats")

    def messages(self, registration_token: Optional[str] = None, after: int = 0, wait: float = 0.0,
                 include_failed: bool = False) -> List[dict]:
        """Sends answered after ``seq`` ``after`` (delivered ones only unless ``include_failed``).

        Waits up to ``wait`` seconds for the first one; pass the last record's ``seq`` as
        ``after`` next time.
        """
        query = {"after": after, "wait": wait}
        if registration_token is not None:
            query["token"] = registration_token
        if include_failed:
            query["all"] = 1
        path = "/_fake/messages?" + urllib.parse.urlencode(query)
        return self._call("GET", path, timeout=self.timeout + wait)["messages"]


# --------------------------------------------------------------------------- command line

def prepare_service_account(fake: FakeFCM, path: Union[str, Path], project_id: Optional[str]) -> Tuple[dict, str]:
    """Create the key file if missing, else trust it (pointing its token_uri at this fake)."""
    path = Path(path)
    if not path.exists():
        return fake.create_service_account(path, project_id or DEFAULT_PROJECT_ID), "created"
    info = json.loads(path.read_text())
    if project_id and info.get("project_id") != project_id:
        raise ValueError(f"{path} belongs to project {info.get('project_id')!r}, not {project_id!r}")
    fake.trust_service_account(info)
    if info.get("token_uri") != fake.token_uri:
        info["token_uri"] = fake.token_uri
        write_service_account(path, info)
        return info, "reused, token_uri updated to this server"
    return info, "reused"


def serve(port: int, service_account: Union[str, Path], project_id: Optional[str] = None,
          latency: float = 0.0, host: str = "127.0.0.1") -> int:
    """Serve until Ctrl-C or SIGTERM; the body of ``edupush-token fake-fcm``."""
    import signal
    import sys

    stop = threading.Event()
    with FakeFCM(host, port) as fake:
        try:
            info, how = prepare_service_account(fake, service_account, project_id)
        except ValueError as problem:
            print(f"fake-fcm: {problem}", file=sys.stderr)
            return 2
        fake.set_latency(send=latency)
        previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
        print(f"Fake FCM serving at {fake.base_url}")
        print(f"  service account: {service_account} ({how}; project {info['project_id']}, {info['client_email']})")
        print(f"  token endpoint:  {fake.token_uri}")
        print(f"  send endpoint:   {fake.send_url(info['project_id'])}")
        print(f"  control API:     {fake.base_url}/_fake/  (messages, faults, latency, unregister, reset)")
        print("Press Ctrl-C to stop.", flush=True)
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
    print("Fake FCM stopped.", flush=True)
    return 0


if __name__ == "__main__":
    import sys

    from edupush_token.cli import main

    sys.exit(main(["fake-fcm", *sys.argv[1:]]))
