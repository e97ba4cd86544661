"""Enrollment from eduMFA's own web UI, in a real headless Chromium.

eduMFA is served over HTTP from its own copy of eduMFA's static folder
(``EDUMFA_STATIC_FOLDER``), into which ``edupush-token webui install`` put the
templates, exactly as an admin would run it.  The browser logs in as the admin,
enrolls an edupushplus token for alice and shows the QR code; the emulated
phone finishes enrollment with the link of that page; the page then shows the
token enrolled.  Screenshots go to ``test-artifacts/``.
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from edupush_token.catalogue import ENDPOINT_PATH, ENROLL_SSL_VERIFY, AppProfile
from edupush_token.devtools.phone import EmulatedPhone, HttpTransport, PiAuthenticator
from edupush_token.edumfa_plugin import EdupushPlusTokenClass
from edupush_token.hosts.edumfa.webui_folder import static_folder
from support import fast_enrollment

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# The web UI polls a token in rollout state clientwait every 2.5 s.
UI_TIMEOUT_MS = 30_000


@pytest.fixture
def instance(instance):
    """This test's eduMFA, with its own static folder holding the installed templates."""
    folder = instance.directory / "static"
    shutil.copytree(static_folder(str(instance.config_file)), folder)
    with open(instance.config_file, "a") as config:
        config.write(f"EDUMFA_STATIC_FOLDER = {str(folder)!r}\n")
    command = [
        str(Path(sys.executable).with_name("edupush-token")),
        "webui",
        "install",
        "--config",
        str(instance.config_file),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert str(folder / "components" / "token" / "views") in result.stdout
    return instance


@pytest.fixture
def policies(served, served_admin):
    served_admin.set_policy(
        "edupushplus-enrollment",
        "enrollment",
        fast_enrollment(served + ENDPOINT_PATH, {ENROLL_SSL_VERIFY: 0}),
    )


@pytest.fixture
def page(tmp_path):
    """A page of Debian's Chromium, headless, in a fresh profile."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: apt-get install chromium"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            tempfile.mkdtemp(dir=tmp_path, prefix="chromium-profile-"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 1000},
        )
        context.set_default_timeout(UI_TIMEOUT_MS)
        try:
            yield context.new_page()
        finally:
            context.close()


@pytest.fixture
def failed_requests(page):
    """Every HTTP error the page ran into, e.g. a template that is not there."""
    failures = []
    page.on(
        "response",
        lambda response: failures.append(f"{response.status} {response.url}") if response.status >= 400 else None,
    )
    page.on("requestfailed", lambda request: failures.append(f"{request.failure} {request.url}"))
    return failures


@pytest.fixture
def artifact(request, capsys):
    """``artifact(name)`` is a path under test-artifacts/; it is announced on the terminal."""

    def path(name):
        ARTIFACTS.mkdir(exist_ok=True)
        target = ARTIFACTS / name
        with capsys.disabled():
            print(f"\n{request.node.name}: screenshot {target}")
        return target

    return path


def open_enrollment_form(page, served, instance):
    """Log in as the admin and open alice's enrollment form with the edupushplus type chosen."""
    page.goto(served + "/")
    page.fill("#username", "admin")
    page.fill("#password", instance.admin_password)
    page.get_by_role("button", name="Log In").click()
    page.wait_for_url("**/#!/token/list")
    page.goto(served + "/#!/token/enroll/demo/alice")
    page.select_option("#tokentype", label=EdupushPlusTokenClass.get_class_description())


def test_admin_enrolls_an_edupushplus_token_in_the_web_ui(served, instance, policies, page, failed_requests, artifact):
    open_enrollment_form(page, served, instance)
    page.wait_for_selector("#edupushplus-enroll-form")
    page.screenshot(path=artifact("webui-enrollment-form.png"), full_page=True)
    with page.expect_response(lambda response: response.url.endswith("/token/init")) as init:
        page.get_by_role("button", name="Enroll Token").click()
    push_url = init.value.json()["detail"]["pushurl"]

    qr_code = page.wait_for_selector("#edupushplus-qr", state="visible")
    assert qr_code.get_attribute("src") == push_url["img"]
    assert qr_code.evaluate("image => image.complete && image.naturalWidth > 0")
    page.screenshot(path=artifact("webui-enrollment-qr-code.png"), full_page=True)

    phone = EmulatedPhone(HttpTransport(verify_tls=False), key_size=2048)
    token = phone.enroll(phone.scan(push_url["value"]))

    page.wait_for_selector("#edupushplus-ready", state="visible")
    assert page.is_hidden("#edupushplus-qr")
    assert f"token {token.serial} is ready for logins" in page.inner_text("#edupushplus-ready")
    assert "The token was successfully enrolled with serial number" in page.inner_text("body")
    page.screenshot(path=artifact("webui-enrollment-done.png"), full_page=True)
    assert failed_requests == []


def test_the_enrollment_form_offers_the_privacyidea_app(served, instance, policies, page, failed_requests):
    open_enrollment_form(page, served, instance)
    page.select_option("#edupushplus-app-profile", value=AppProfile.PRIVACYIDEA.value)
    with page.expect_response(lambda response: response.url.endswith("/token/init")) as init:
        page.get_by_role("button", name="Enroll Token").click()
    push_url = init.value.json()["detail"]["pushurl"]
    assert push_url["value"].startswith("otpauth://pipush/")
    phone = PiAuthenticator(HttpTransport(verify_tls=False), key_size=2048)
    token = phone.enroll(phone.scan(push_url["value"]))
    page.wait_for_selector("#edupushplus-ready", state="visible")
    assert f"token {token.serial} is ready for logins" in page.inner_text("#edupushplus-ready")
    assert failed_requests == []
