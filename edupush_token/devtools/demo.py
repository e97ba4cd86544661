"""The whole story, told against a real local eduMFA (or privacyIDEA): enroll, log in, decline, push_wait,
number matching.

Everything goes over HTTP, as in production: the admin uses eduMFA's REST API,
a relying application calls ``/validate/*``, and the emulated eduMFA
Authenticator app scans the QR code and answers. Each step prints what
happened and how long it took.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

import requests
import segno

from .. import catalogue, policy_sets
from ..errors import EdupushError
from ..hosts.installed import installed_host
from .fake_fcm import FakeFCM
from .phone import EmulatedPhone, HttpTransport, PhoneToken, PiAuthenticator, PiPushRequest, PushRequest

USER = "alice"
REALM = "demo"
PIN = "1234"
GATEWAY = "demo-fcm"
FIREBASE_PROVIDERS = {
    "edumfa": catalogue.EDUMFA_FIREBASE_PROVIDER,
    "privacyidea": catalogue.PRIVACYIDEA_FIREBASE_PROVIDER,
}
POLICY_SET = "edupushplus-poll-only"
MATCHING_USER = "bob"  # number matching is his: alice keeps the eduMFA app
MATCHING_SET = "edupushplus-number-matching"
# What the demo changes in the ready set: pushes through the local FCM stand-in,
# plain HTTP on loopback, short QR lifetime, and pushes in quick succession.
DEMO_ACTIONS = {
    catalogue.Scope.ENROLL.value: {
        catalogue.FIREBASE_CONFIG.name: GATEWAY,
        catalogue.ENROLL_SSL_VERIFY.name: "0",
        catalogue.TTL.name: "10",
    },
    catalogue.Scope.AUTH.value: {
        catalogue.AUTH_SSL_VERIFY.name: "0",
        catalogue.MOBILE_TEXT.name: "Log in to the demo?",
        catalogue.MIN_INTERVAL.name: "0",
    },
}


class DemoFailed(EdupushError):
    """A step of the demo did not turn out as the protocol says it must."""


class Story:
    """Numbered, timed steps on the terminal."""

    def __init__(self, out=print):
        self.out = out
        self.number = 0

    @contextmanager
    def step(self, title: str) -> Iterator[None]:
        self.number += 1
        started = time.perf_counter()
        self.out(f"\n[{self.number}] {title}")
        yield
        self.out(f"    ({(time.perf_counter() - started) * 1000:.0f} ms)")

    def say(self, text: str) -> None:
        self.out(f"    {text}")


class EduMFA:
    """The two clients of eduMFA in the story: its admin and a relying application."""

    def __init__(self, base_url: str, admin_password: str):
        self.base_url = base_url
        self.session = requests.Session()
        login = self._call("POST", "/auth", data={"username": "admin", "password": admin_password})
        self.session.headers["Authorization"] = login["result"]["value"]["token"]

    def admin(self, method: str, path: str, **body) -> dict:
        return self._call(method, path, json=body or None)

    def validate(self, path: str, **params) -> dict:
        """A relying application's call: no admin token, form-encoded like most of them."""
        method = "GET" if path == "/validate/polltransaction" else "POST"
        response = requests.request(
            method,
            self.base_url + path,
            params=params if method == "GET" else None,
            data=params if method == "POST" else None,
            timeout=60,
        )
        return response.json()

    def _call(self, method: str, path: str, **kwargs) -> dict:
        response = self.session.request(method, self.base_url + path, timeout=60, **kwargs)
        body = response.json()
        if response.status_code != 200 or not body["result"]["status"]:
            raise DemoFailed(f"{method} {path}: HTTP {response.status_code}: {body['result'].get('error')}")
        return body


def run(base_url: str, admin_password: str, fcm: FakeFCM, directory: Path, story: Optional[Story] = None) -> None:
    """Tell the story; ``fcm`` is the local FCM stand-in eduMFA was configured to deliver through."""
    story = story or Story()
    edumfa = EduMFA(base_url, admin_password)
    registration_url = base_url + catalogue.ENDPOINT_PATH
    phone = EmulatedPhone(HttpTransport(verify_tls=False))

    with story.step("The admin loads the ready policy set and points it at a Firebase gateway"):
        service_account = directory / "fake-fcm-service-account.json"
        fcm.create_service_account(service_account, project_id="edupush-demo")
        edumfa.admin(
            "POST",
            "/smsgateway",
            name=GATEWAY,
            module=FIREBASE_PROVIDERS[installed_host()],
            **{"option.JSON config file": str(service_account)},
        )
        for policy in policy_sets.with_public_url(policy_sets.read(policy_sets.resolve(POLICY_SET)), base_url):
            action = {**policy_sets.actions(policy["action"]), **DEMO_ACTIONS[policy["scope"]]}
            fields = {key: value for key, value in policy.items() if key != "name"}
            edumfa.admin(
                "POST",
                f"/policy/{policy['name']}",
                **{**fields, "realm": REALM, "action": policy_sets.action_string(action)},
            )
            story.say(f"policy {policy['name']} ({policy['scope']}) from {POLICY_SET}")
        for token in edumfa.admin("GET", f"/token/?user={USER}&realm={REALM}")["result"]["value"]["tokens"]:
            edumfa.admin("DELETE", f"/token/{token['serial']}")
        story.say(f"Firebase gateway {GATEWAY!r}: {service_account}")
        story.say(f"registration URL: {registration_url}")

    with story.step(f"The admin enrolls an edupushplus token for {USER} (PIN {PIN}): the QR code"):
        detail = edumfa.admin("POST", "/token/init", type="edupushplus", genkey=1, user=USER, realm=REALM, pin=PIN)[
            "detail"
        ]
        qr_url = detail["pushurl"]["value"]
        segno.make_qr(qr_url).terminal(compact=True)
        story.say(qr_url)

    with story.step("The phone scans it and sends its RSA-4096 key and Firebase token (enrollment step 2)"):
        pending = phone.scan(qr_url)
        probe = phone.ios_probe(pending)
        story.say(f"an iPhone's empty probe POST gets HTTP {probe.status}, as it must")
        token = phone.enroll(pending)
        story.say(f"token {token.serial} enrolled; the phone holds the server's public key")

    with story.step("A relying application logs alice in: /validate/check with her PIN"):
        transaction_id = _expect_challenge(edumfa.validate("/validate/check", user=USER, realm=REALM, **{"pass": PIN}))
        story.say(f"CHALLENGE, transaction {transaction_id}")

    with story.step("Firebase delivers the push; the phone checks the server's signature and approves"):
        request = _push_from_firebase(phone, token, fcm)
        story.say(f"{request.title!r}: {request.question!r} (signature verified)")
        _expect_ok(phone.accept(request).status)

    with story.step("The relying application sees the approval and completes the login"):
        status = edumfa.validate("/validate/polltransaction", transaction_id=transaction_id)
        story.say(f"polltransaction: {status['detail']['challenge_status']}")
        login = edumfa.validate(
            "/validate/check", user=USER, realm=REALM, transaction_id=transaction_id, **{"pass": ""}
        )
        _expect(login, "ACCEPT")
        story.say("ACCEPT: alice is logged in")

    with story.step("Someone else tries alice's password and PIN; alice declines on her phone"):
        transaction_id = _expect_challenge(edumfa.validate("/validate/check", user=USER, realm=REALM, **{"pass": PIN}))
        _expect_ok(phone.decline(_push_from_firebase(phone, token, fcm)).status)
        status = edumfa.validate("/validate/polltransaction", transaction_id=transaction_id)
        login = edumfa.validate(
            "/validate/check", user=USER, realm=REALM, transaction_id=transaction_id, **{"pass": ""}
        )
        _expect(login, "REJECT")
        story.say(f"polltransaction: {status['detail']['challenge_status']}; login: REJECT")

    with story.step("A legacy application with push_wait: one /validate/check that waits for the phone"):
        edumfa.admin(
            "POST",
            "/policy/edupushplus-push-wait",
            scope="authentication",
            realm=REALM,
            action=f"{catalogue.WAIT.name}=20",
        )
        answered = threading.Thread(target=lambda: phone.accept(_push_from_firebase(phone, token, fcm)))
        started = time.perf_counter()
        answered.start()
        login = edumfa.validate("/validate/check", user=USER, realm=REALM, **{"pass": PIN})
        answered.join()
        edumfa.admin("DELETE", "/policy/edupushplus-push-wait")
        _expect(login, "ACCEPT")
        story.say(f"ACCEPT after {(time.perf_counter() - started) * 1000:.0f} ms, as soon as the phone answered")

    with story.step("The phone polls as well: nothing is left open"):
        story.say(f"open login requests: {len(phone.poll(token))}")

    number_matching(story, edumfa, fcm)


def number_matching(story: Story, edumfa: EduMFA, fcm: FakeFCM) -> None:
    """Bob's token is for the privacyIDEA Authenticator: the login page shows a letter, the phone offers three."""
    phone = PiAuthenticator(HttpTransport(verify_tls=False), firebase_token="fbtoken-privacyidea-app")
    loaded = policy_sets.read(policy_sets.resolve(MATCHING_SET))
    with story.step(f"The admin gives {MATCHING_USER} the privacyIDEA Authenticator with number matching"):
        for token in edumfa.admin("GET", f"/token/?user={MATCHING_USER}&realm={REALM}")["result"]["value"]["tokens"]:
            edumfa.admin("DELETE", f"/token/{token['serial']}")
        for policy in loaded:
            fields = {key: value for key, value in policy.items() if key != "name"}
            edumfa.admin("POST", f"/policy/{policy['name']}", **{**fields, "realm": REALM, "user": MATCHING_USER})
            story.say(f"policy {policy['name']} ({policy['scope']}) from {MATCHING_SET}, for {MATCHING_USER}")
    try:
        with story.step(f"{MATCHING_USER} scans the otpauth://pipush QR code with the privacyIDEA Authenticator"):
            detail = edumfa.admin(
                "POST", "/token/init", type="edupushplus", genkey=1, user=MATCHING_USER, realm=REALM, pin=PIN
            )["detail"]
            story.say(detail["pushurl"]["value"])
            token = phone.enroll(phone.scan(detail["pushurl"]["value"]))
            story.say(f"token {token.serial} enrolled for the privacyIDEA app")
        with story.step("The login page shows a letter; the phone offers three and bob presses that one"):
            login = edumfa.validate("/validate/check", user=MATCHING_USER, realm=REALM, **{"pass": PIN})
            transaction_id = _expect_challenge(login)
            right = login["detail"]["multi_challenge"][0]["presence_answer"]
            story.say(f"the relying application shows: {login['detail']['message']!r}")
            request = _options_pushed(phone, token, fcm)
            story.say(f"the phone offers {', '.join(request.options)} (signed; capabilities signed too)")
            phone.press(request, right)
            done = edumfa.validate(
                "/validate/check", user=MATCHING_USER, realm=REALM, transaction_id=transaction_id, **{"pass": ""}
            )
            _expect(done, "ACCEPT")
            story.say(f"pressed {right}: ACCEPT")
        with story.step("A fatigued bob presses a wrong letter on someone else's login: refused for good"):
            login = edumfa.validate("/validate/check", user=MATCHING_USER, realm=REALM, **{"pass": PIN})
            transaction_id = _expect_challenge(login)
            right = login["detail"]["multi_challenge"][0]["presence_answer"]
            request = _options_pushed(phone, token, fcm)
            wrong = next(option for option in request.options if option != right)
            answered = phone.press(request, wrong)
            if not answered.final:
                raise DemoFailed("the app would show a wrong button's login again")
            done = edumfa.validate(
                "/validate/check", user=MATCHING_USER, realm=REALM, transaction_id=transaction_id, **{"pass": ""}
            )
            _expect(done, "REJECT")
            story.say(f"pressed {wrong} instead of {right}: declined, counted like a decline; login: REJECT")
    finally:
        for policy in loaded:
            edumfa.admin("DELETE", f"/policy/{policy['name']}")


def _push_from_firebase(phone: EmulatedPhone, token: PhoneToken, fcm: FakeFCM) -> PushRequest:
    """What the app does with a push in the foreground: verify it, or fall back to polling."""
    try:
        message = fcm.wait_for_message(token.firebase_token, timeout=15)
    except TimeoutError:
        raise DemoFailed("no push arrived through Firebase within 15 s") from None
    request = phone.receive_push(message["data"])
    if request is None:
        raise DemoFailed(f"the phone dropped the push: {phone.last_drop_reason}")
    return request


def _options_pushed(phone: PiAuthenticator, token: PhoneToken, fcm: FakeFCM) -> PiPushRequest:
    request = _push_from_firebase(phone, token, fcm)
    if not isinstance(request, PiPushRequest) or not request.options:
        raise DemoFailed("the push offered no options to press")
    return request


def _expect(body: dict, authentication: str) -> None:
    got = body["result"].get("authentication") or body["result"].get("error")
    if got != authentication:
        raise DemoFailed(f"expected {authentication}, got {got}")


def _expect_challenge(body: dict) -> str:
    _expect(body, "CHALLENGE")
    return body["detail"]["transaction_id"]


def _expect_ok(status: int) -> None:
    if status != 200:
        raise DemoFailed(f"the server refused the phone's answer with HTTP {status}")
