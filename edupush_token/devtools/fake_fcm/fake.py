"""The fake's state and its answers to each request; server.py carries them over HTTP."""

from __future__ import annotations

import copy
import json
import secrets
import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Set, Tuple, Union

from .accounts import (
    ACCESS_TOKEN_LIFETIME,
    DEFAULT_PROJECT_ID,
    FCM_SCOPES,
    AccessGrant,
    Account,
    generate_service_account,
    load_service_account,
    verify_assertion,
    write_service_account,
)
from .errors import (
    ERROR_INFO_TYPE,
    INVALID_CREDENTIAL,
    MISSING_CREDENTIAL,
    OAUTH_FAULTS,
    OAuthError,
    error_code_of,
    fault_error,
    fcm_error,
    fcm_error_body,
    phrase,
    unauthenticated,
)
from .faults import ENDPOINTS, Fault
from .messages import check_message, recipient
from .server import Server


class FakeFCM:
    """FCM HTTP v1 and Google's service-account OAuth, served on loopback in a thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.host, self.port = host, port
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._stopping = threading.Event()
        self._server: Optional[Server] = None
        self._thread: Optional[threading.Thread] = None
        self._accounts: Dict[str, Account] = {}
        self._grants: Dict[str, AccessGrant] = {}
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
        self._server = Server((self.host, self.port), self)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name=f"fake-fcm:{self.port}", daemon=True
        )
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

    def create_service_account(
        self, path: Union[str, Path], project_id: str = DEFAULT_PROJECT_ID, private_key_pem: Optional[str] = None
    ) -> dict:
        """Generate a key, write a Google-shaped service-account file at ``path`` and trust it."""
        info = generate_service_account(project_id, self.token_uri, private_key_pem)
        write_service_account(path, info)
        self.trust_service_account(info)
        return info

    def trust_service_account(self, path_or_info: Union[str, Path, dict]) -> dict:
        """Accept JWTs signed by this service account's key from now on."""
        info = load_service_account(path_or_info)
        account = Account.from_info(info)
        with self._lock:
            self._accounts[account.client_email] = account
        return info

    # -- steering

    def add_fault(
        self,
        endpoint: str = "send",
        status: Optional[int] = None,
        *,
        error_code: Optional[str] = None,
        times: Optional[int] = 1,
        retry_after: Optional[Union[str, int]] = None,
        hang: Optional[float] = None,
        body: Optional[dict] = None,
    ) -> Fault:
        """Queue a fault for the next ``times`` requests to ``endpoint`` (FIFO per endpoint)."""
        fault = Fault(
            endpoint, status, error_code, times, None if retry_after is None else str(retry_after), hang, body
        )
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
        found = [
            record
            for record in self._records
            if record["seq"] is not None
            and record["seq"] > after
            and (include_failed or record["delivered"])
            and (registration_token is None or record["token"] == registration_token)
        ]
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

    def _wait_for_records(
        self, registration_token: Optional[str], after: int, wait: float, include_failed: bool
    ) -> List[dict]:
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
            error, description = OAUTH_FAULTS.get(status, ("server_error", phrase(status)))
            body = fault.body or {"error": error, "error_description": description}
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            self._finish_token(record, status, error=body.get("error"))
            return status, body, headers
        try:
            account, claims = verify_assertion(form, self._account, self.token_uri)
        except OAuthError as refusal:
            self._finish_token(record, refusal.status, error=f"{refusal.error}: {refusal.description}")
            return refusal.status, refusal.body(), {}
        access_token = "ya29.fake-" + secrets.token_urlsafe(48)
        with self._lock:
            self._grants[access_token] = AccessGrant(
                account.client_email,
                account.project_id,
                set(str(claims.get("scope", "")).split()),
                time.time() + ACCESS_TOKEN_LIFETIME,
            )
        self._finish_token(record, 200, client_email=account.client_email)
        return 200, {"access_token": access_token, "expires_in": ACCESS_TOKEN_LIFETIME, "token_type": "Bearer"}, {}

    def _finish_token(
        self, record: dict, status: int, client_email: Optional[str] = None, error: Optional[str] = None
    ) -> None:
        with self._lock:
            record.update(status=status, client_email=client_email, error=error)

    def _account(self, client_email: str) -> Optional[Account]:
        with self._lock:
            return self._accounts.get(client_email)

    def _handle_send(
        self, project: str, authorization: Optional[str], raw_body: bytes
    ) -> Tuple[int, dict, Dict[str, str]]:
        """Record the request, apply latency and faults, else answer like FCM."""
        try:
            payload = json.loads(raw_body.decode("utf-8")) if raw_body else {}
        except (UnicodeDecodeError, ValueError):
            payload = None
        message = payload.get("message") if isinstance(payload, dict) else None
        record = {
            "index": None,
            "time": time.time(),
            "project": project,
            "message": message if isinstance(message, dict) else None,
            "token": recipient(message) if isinstance(message, dict) else None,
            "validate_only": bool(isinstance(payload, dict) and payload.get("validate_only")),
            "status": None,
            "error_code": None,
            "name": None,
            "delivered": False,
            "seq": None,
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
            status, body = fault_error(fault.status, fault.error_code)
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
            record["error_code"] = error_code_of(body)
            if status == 200:
                record["name"] = body.get("name")
                record["delivered"] = not record["validate_only"]
            self._changed.notify_all()
        return status, body, headers

    def _process_send(
        self, project: str, authorization: Optional[str], payload: Any
    ) -> Tuple[int, dict, Dict[str, str]]:
        """Validate a send like FCM: credentials, project, body, then the target."""
        refusal = self._check_credentials(project, authorization)
        if refusal:
            return refusal
        problem = check_message(payload)
        if problem:
            return (*problem, {})
        message = payload["message"]
        if payload.get("validate_only"):
            return 200, {"name": f"projects/{project}/messages/fake_message_id"}, {}
        with self._lock:
            unregistered = recipient(message) in self._unregistered
        if unregistered:
            return (*fcm_error("UNREGISTERED"), {})
        message_id = f"0:{time.time_ns() // 1000}%{secrets.token_hex(8)}"
        return 200, {"name": f"projects/{project}/messages/{message_id}"}, {}

    def _check_credentials(
        self, project: str, authorization: Optional[str]
    ) -> Optional[Tuple[int, dict, Dict[str, str]]]:
        """The refusal for a missing, unknown, expired or foreign access token, if any."""
        realm = 'Bearer realm="https://accounts.google.com/"'
        if not authorization or not authorization.startswith("Bearer "):
            return (*unauthenticated(MISSING_CREDENTIAL, "CREDENTIALS_MISSING"), {"WWW-Authenticate": realm})
        invalid_token = {"WWW-Authenticate": f'{realm}, error="invalid_token"'}
        with self._lock:
            grant = self._grants.get(authorization[len("Bearer ") :].strip())
        if grant is None:
            return (*unauthenticated(INVALID_CREDENTIAL, "ACCESS_TOKEN_TYPE_UNSUPPORTED"), invalid_token)
        if grant.expires_at < time.time():
            return (*unauthenticated(INVALID_CREDENTIAL, "ACCESS_TOKEN_EXPIRED"), invalid_token)
        if not grant.scopes & FCM_SCOPES:
            info = {"@type": ERROR_INFO_TYPE, "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT", "domain": "googleapis.com"}
            message = "Request had insufficient authentication scopes."
            return 403, fcm_error_body(403, "PERMISSION_DENIED", message, None, (info,)), {}
        if grant.project_id != project:
            return (*fcm_error("SENDER_ID_MISMATCH"), {})
        return None
