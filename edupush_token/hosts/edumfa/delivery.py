"""Delivery as eduMFA sees it: gateway definitions, recording outcomes, audit.

The process-wide dispatcher and sender live here. Outcomes arrive on the
dispatcher's threads, outside any request, so recording opens an app context
of its own on the app that queued the push.

A queued push starts when its login's request has ended (eduMFA's request
finalizer), not while the request still writes its audit entry: signing and
sending would otherwise compete with the response for the one CPU the
request runs on.  The phone cannot tell a few milliseconds; the application
waiting for the response can.  A push_wait login waits inside its request,
so its push goes at once.
"""

from __future__ import annotations

import atexit
import functools
import logging
import time
from datetime import datetime
from enum import Enum

from flask import current_app, has_request_context

from edumfa.lib.lifecycle import register_request_finalizer
from edumfa.lib.smsprovider.SMSProvider import get_smsgateway
from edumfa.lib.token import get_one_token

from ... import TOKEN_TYPE, crypto
from ...delivery import POLL_ONLY, DeliveryReport, DeliveryState
from ...delivery.dispatcher import Dispatcher
from ...delivery.firebase import DEFAULT_FCM_URL, FirebaseGateway, FirebaseSender
from ...delivery.job import DeliveryJob, attempt
from ...wire.push_data import PushData
from . import audit, store
from .tokeninfo import Info
from .policies import FIREBASE_GATEWAY_TYPE

log = logging.getLogger(__name__)

JSON_CONFIG_OPTION = "JSON config file"  # eduMFA's FirebaseProvider option name
UNREGISTERED = "unregistered"
QUEUE_FULL = "the delivery queue of this process is full"


class Sending(Enum):
    """When a push leaves, relative to the request that made it."""

    IN_REQUEST = "in request"  # the synchronous_delivery policy: a failure reaches the response
    AT_ONCE = "at once"  # push_wait: the request itself waits for the answer
    AFTER_REQUEST = "after request"  # everything else


dispatcher = Dispatcher()
sender = FirebaseSender()
atexit.register(dispatcher.shutdown)


def first_state(gateway_name: str) -> DeliveryState:
    """The state a push is stored with, before anything was sent."""
    return DeliveryState.POLL_ONLY if gateway_name == POLL_ONLY else DeliveryState.QUEUED


def deliver(token, challenge, push: PushData, gateway_name: str, sending: Sending) -> DeliveryReport:
    """Hand a stored challenge's push to Firebase; returns the first outcome."""
    if gateway_name == POLL_ONLY:
        return DeliveryReport(DeliveryState.POLL_ONLY)
    app = current_app._get_current_object()
    record = _recorder(app, challenge.id, push.nonce, token.token.serial, gateway_name)
    if token.get_tokeninfo(Info.REGISTRATION_STATE) == UNREGISTERED:
        return _first(record, DeliveryReport(
            DeliveryState.SKIPPED,
            "Firebase reported this phone's registration as unregistered; the phone must poll "
            "until it sends a new Firebase token",
        ), push)
    registration_token = token.get_tokeninfo(Info.FIREBASE_TOKEN) or ""
    sign = functools.partial(crypto.sign_push, token.get_tokeninfo(Info.SERVER_PRIVATE_KEY))
    deadline = time.time() + (challenge.expiration - store.utcnow()).total_seconds()

    def first_attempt() -> DeliveryReport:
        with app.app_context():
            gateway = firebase_gateway(gateway_name)  # a query the login need not wait for
        if gateway is None:
            return _first(record, DeliveryReport(DeliveryState.FAILED, f"there is no Firebase gateway named {gateway_name!r}"), push)
        job = DeliveryJob(push, registration_token, gateway, deadline, record, sign)
        return attempt(job, sender, dispatcher)

    def queue_full() -> DeliveryReport:
        return _first(record, DeliveryReport(DeliveryState.FAILED, QUEUE_FULL), push)

    def queue() -> DeliveryReport:
        return DeliveryReport(DeliveryState.QUEUED) if dispatcher.submit(first_attempt) else queue_full()

    if sending is Sending.IN_REQUEST:
        return first_attempt()
    if sending is Sending.AT_ONCE or not has_request_context():
        return queue()
    if not dispatcher.has_room():
        return queue_full()
    register_request_finalizer(queue)
    return DeliveryReport(DeliveryState.QUEUED)


def firebase_gateway(name: str):
    definitions = get_smsgateway(identifier=name, gwtype=FIREBASE_GATEWAY_TYPE)
    if len(definitions) != 1:
        return None
    options = definitions[0].option_dict
    config = current_app.config
    return FirebaseGateway(
        name=name,
        service_account_file=options.get(JSON_CONFIG_OPTION, ""),
        fcm_url=config.get("EDUPUSH_FCM_URL", DEFAULT_FCM_URL),
        http_timeout=float(config.get("EDUPUSH_FCM_TIMEOUT", 5.0)),
    )


def revive_registration(token) -> None:
    """A signed Firebase-token update brings a dead registration back."""
    if token.get_tokeninfo(Info.REGISTRATION_STATE):
        token.del_tokeninfo(Info.REGISTRATION_STATE)
        token.del_tokeninfo(Info.UNREGISTERED_AT)


def _first(record, report: DeliveryReport, push: PushData) -> DeliveryReport:
    record(report, push)
    return report


def _recorder(app, challenge_id: int, nonce: str, serial: str, gateway_name: str):
    def record(report: DeliveryReport, push: PushData) -> None:
        with app.app_context():
            store.record_delivery(challenge_id, nonce, report, push)
            if report.unregistered:
                _mark_unregistered(serial)
            _audit(app, serial, gateway_name, report)
        if report.state is DeliveryState.FAILED:
            log.warning("Push for token %s via gateway %r failed: %s", serial, gateway_name, report.detail)

    return record


def _mark_unregistered(serial: str) -> None:
    token = get_one_token(serial=serial, tokentype=TOKEN_TYPE, silent_fail=True)
    if token is not None:
        token.add_tokeninfo(Info.REGISTRATION_STATE, UNREGISTERED)
        token.add_tokeninfo(Info.UNREGISTERED_AT, datetime.utcnow().isoformat(timespec="seconds") + "Z")
        token.token.save()


def _audit(app, serial: str, gateway_name: str, report: DeliveryReport) -> None:
    if report.state in (DeliveryState.QUEUED, DeliveryState.POLL_ONLY):
        return
    info = report.detail or (f"message {report.message_id}" if report.message_id else "")
    detail = f"{report.state.value}, {report.attempts} attempt(s), {gateway_name}"
    audit.record_event("push delivery", serial, info, report.state is DeliveryState.SENT, detail, app=app)
