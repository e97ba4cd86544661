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

from .accounts import DEFAULT_PROJECT_ID, generate_private_key_pem, generate_service_account, write_service_account
from .control import FakeFCMControl
from .errors import FCM_ERRORS, OAuthError, fcm_error, fcm_error_body
from .fake import FakeFCM
from .faults import Fault

__all__ = [
    "DEFAULT_PROJECT_ID",
    "FCM_ERRORS",
    "FakeFCM",
    "FakeFCMControl",
    "Fault",
    "OAuthError",
    "fcm_error",
    "fcm_error_body",
    "generate_private_key_pem",
    "generate_service_account",
    "write_service_account",
]
