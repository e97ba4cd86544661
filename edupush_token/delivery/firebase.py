"""Sending one push through the official firebase-admin SDK.

One firebase_admin App per gateway and process, created on first use (after
the web server has forked its workers, never at import) and reused. The SDK
cannot be pointed at another FCM host, nor told not to retry, through its
public API; both are set on the App's messaging service here, the one place
that touches SDK internals, and covered by tests against the FCM stand-in.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from typing import Callable, Optional, Union

import firebase_admin
import requests
from firebase_admin import credentials, exceptions, messaging
from google.auth import exceptions as auth_exceptions
from urllib3.util.retry import Retry

from ..catalogue import DEFAULT_FCM_TIMEOUT, DEFAULT_FCM_URL
from ..wire.push_data import PushData
from .retry import parse_retry_after

PUSH_LIFETIME_SECONDS = 120
PROBE_TOPIC = "edupushplus-probe"  # a dry run to a topic proves credentials and project without any phone


@dataclass(frozen=True)
class FirebaseGateway:
    """A host's Firebase gateway definition, reduced to what sending needs."""

    name: str
    service_account_file: str
    fcm_url: str = DEFAULT_FCM_URL
    http_timeout: float = DEFAULT_FCM_TIMEOUT


@dataclass(frozen=True)
class Sent:
    message_id: str


@dataclass(frozen=True)
class Transient:
    """Worth another attempt later (quota, unavailable, timeouts, token endpoint trouble)."""

    reason: str
    retry_after: Optional[float] = None
    answered: bool = True  # Firebase answered (an HTTP status), as against no answer at all


@dataclass(frozen=True)
class Permanent:
    """No retry can help; ``unregistered`` means the phone's registration is dead."""

    reason: str
    unregistered: bool = False
    answered: bool = True  # Firebase answered (an HTTP status), as against no answer at all


SendResult = Union[Sent, Transient, Permanent]

TRANSIENT_ERRORS = (
    messaging.QuotaExceededError,
    exceptions.UnavailableError,
    exceptions.InternalError,
    exceptions.DeadlineExceededError,
    exceptions.ResourceExhaustedError,
    exceptions.UnknownError,
)
UNREGISTERED_ERRORS = (messaging.UnregisteredError, exceptions.NotFoundError)


def fcm_message(push: PushData, registration_token: str, now: Optional[float] = None) -> messaging.Message:
    """The message eduMFA's own push token sends: data plus the blocks the app's iOS side needs."""
    expires = int(now if now is not None else time.time()) + PUSH_LIFETIME_SECONDS
    return messaging.Message(
        token=registration_token,
        data=push.as_dict(),
        notification=messaging.Notification(title=push.title, body=push.question),
        android=messaging.AndroidConfig(
            priority="high",
            ttl=PUSH_LIFETIME_SECONDS,
            fcm_options=messaging.AndroidFCMOptions(analytics_label="AndroidPushToken"),
        ),
        apns=messaging.APNSConfig(
            headers={
                "apns-priority": "10",
                "apns-push-type": "alert",
                "apns-collapse-id": "privacyidea.pushtoken",
                "apns-expiration": str(expires),
            },
            payload=messaging.APNSPayload(
                aps=messaging.Aps(
                    alert=messaging.ApsAlert(title=push.title, body=push.question),
                    sound="default",
                    category="PUSH_AUTHENTICATION",
                )
            ),
            fcm_options=messaging.APNSFCMOptions(analytics_label="iOSPushToken"),
        ),
    )


class FirebaseSender:
    """Sends single pushes; classifies every failure as transient or permanent."""

    def __init__(self) -> None:
        self._apps: dict[tuple[int, FirebaseGateway], firebase_admin.App] = {}
        self._lock = threading.Lock()

    def send(self, gateway: FirebaseGateway, push: PushData, registration_token: str) -> SendResult:
        return self._classified(gateway, lambda app: messaging.send(fcm_message(push, registration_token), app=app))

    def probe(self, gateway: FirebaseGateway, registration_token: str = "") -> SendResult:
        """FCM's validate_only send: the OAuth token, the project and (with a phone's token) the sender are real.

        Nothing reaches a phone.  Without a registration token the message
        goes to a topic, which proves all but the sender ID.
        """
        target = {"token": registration_token} if registration_token else {"topic": PROBE_TOPIC}
        message = messaging.Message(data={"probe": "1"}, **target)
        return self._classified(gateway, lambda app: messaging.send(message, dry_run=True, app=app))

    def _classified(self, gateway: FirebaseGateway, send: Callable[[firebase_admin.App], str]) -> SendResult:
        try:
            message_id = send(self._app(gateway))
        except UNREGISTERED_ERRORS as error:
            return Permanent(f"{_code(error)}: {error}", unregistered=True, answered=_answered(error))
        except TRANSIENT_ERRORS as error:
            return Transient(f"{_code(error)}: {error}", _retry_after(error), answered=_answered(error))
        except exceptions.FirebaseError as error:
            return Permanent(f"{_code(error)}: {error}", answered=_answered(error))
        except auth_exceptions.RefreshError as error:
            if getattr(error, "retryable", False):
                return Transient(f"OAuth token endpoint: {error}", answered=False)
            return Permanent(f"bad service account credentials: {error}", answered=False)
        except (auth_exceptions.TransportError, requests.RequestException) as error:
            return Transient(f"OAuth token endpoint unreachable: {error}", answered=False)
        except (OSError, ValueError) as error:
            return Permanent(f"gateway {gateway.name!r} is misconfigured: {error}", answered=False)
        return Sent(message_id)

    def _app(self, gateway: FirebaseGateway) -> firebase_admin.App:
        key = (os.getpid(), gateway)
        with self._lock:
            app = self._apps.get(key)
            if app is None:
                app = _create_app(gateway)
                self._apps[key] = app
            return app

    def close(self) -> None:
        with self._lock:
            for (pid, _gateway), app in self._apps.items():
                if pid == os.getpid():
                    firebase_admin.delete_app(app)
            self._apps.clear()


def _create_app(gateway: FirebaseGateway) -> firebase_admin.App:
    certificate = credentials.Certificate(gateway.service_account_file)
    name = f"edupushplus-{gateway.name}-{os.getpid()}-{id(gateway)}"
    app = firebase_admin.initialize_app(certificate, name=name, options={"httpTimeout": gateway.http_timeout})
    service = messaging._get_messaging_service(app)
    base_url = gateway.fcm_url.rstrip("/")
    service._fcm_url = f"{base_url}/v1/projects/{app.project_id}/messages:send"
    # The SDK retries 500/503 itself, sleeping as long as Retry-After says; our
    # dispatcher retries instead, bounded by the challenge's validity.
    no_retries = requests.adapters.HTTPAdapter(max_retries=Retry(total=0, raise_on_status=False))
    service._client.session.mount(base_url, no_retries)
    return app


def _code(error: exceptions.FirebaseError) -> str:
    response = getattr(error, "http_response", None)
    status = f"HTTP {response.status_code} " if response is not None else ""
    return f"{status}{type(error).__name__}"


def _answered(error: exceptions.FirebaseError) -> bool:
    """Whether FCM answered at all: the SDK raises the same errors for a 503 and for a refused connection."""
    return getattr(error, "http_response", None) is not None


def _retry_after(error: exceptions.FirebaseError) -> Optional[float]:
    response = getattr(error, "http_response", None)
    return parse_retry_after(response.headers.get("Retry-After")) if response is not None else None
