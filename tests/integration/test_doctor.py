"""`edupush-token doctor`: each misconfiguration gives its finding; a clean deployment gives no error.

Every test misconfigures a real eduMFA (LocalInstance) through its edumfa.cfg,
its REST API or its library, runs the doctor's checks on it and looks for the
finding's code.  Reachability is checked against real servers: the instance
served over HTTPS with a self-signed certificate, and the local FCM stand-in.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from importlib import metadata
from pathlib import Path

import pytest

from edupush_token import __version__, catalogue, webui
from edupush_token.catalogue import ENDPOINT_PATH, TOKEN_TYPE, Config
from edupush_token.devtools.fake_fcm import FakeFCM, generate_service_account, write_service_account
from edupush_token.devtools.served import ServedInstance
from edupush_token.doctor.deployment import WorkerSetup
from edupush_token.doctor.examine import examine
from edupush_token.doctor.findings import Severity
from edupush_token.doctor.web import Web
from edupush_token.hosts.edumfa.app import app_context
from support import action
from support.tls import self_signed_certificate

GATEWAY = "fcm"
GTHREAD_8 = WorkerSetup("gthread", 8, "test")


# --------------------------------------------------------------------------- fixtures and helpers


@pytest.fixture(scope="module")
def tls_server(edumfa_template, tmp_path_factory):
    """(base URL, certificate) of an eduMFA with the plugin, over HTTPS with a self-signed certificate."""
    directory = tmp_path_factory.mktemp("doctor-tls")
    certificate, key = self_signed_certificate(directory / "tls")
    instance = edumfa_template.clone(directory / "edumfa")
    with ServedInstance(instance.directory, tls=(certificate, key)) as url:
        yield url, certificate


@pytest.fixture(scope="module")
def fcm():
    with FakeFCM(port=0) as fake:
        yield fake


@pytest.fixture
def doctor(instance, tls_server):
    """Run the checks on this test's instance; returns the codes of the findings (and the report)."""

    def run(setup=WorkerSetup(), clock_references=(), nodes=(), **web_options):
        web = Web(verify=str(tls_server[1]), timeout=3, **web_options)
        return examine(str(instance.config_file), web, setup, clock_references, nodes)

    return run


def codes(report, severity=None):
    return {finding.code for finding in report.findings if severity is None or finding.severity is severity}


@pytest.fixture
def configure(instance):
    """Set (later lines win in edumfa.cfg) or remove settings of this test's edumfa.cfg."""

    def change(remove=(), **settings):
        lines = instance.config_file.read_text().splitlines()
        lines = [line for line in lines if not any(re.match(rf"{name}\s*=", line) for name in remove)]
        lines += [f"{name} = {value!r}" for name, value in settings.items()]
        instance.config_file.write_text("\n".join(lines) + "\n")

    return change


@pytest.fixture
def registration_url(tls_server):
    return tls_server[0] + ENDPOINT_PATH


@pytest.fixture
def enrollment_policy(admin, registration_url):
    """A sound enrollment policy; ``extra`` adds or overrides actions."""

    def set_policy(url=None, extra=""):
        registration = action(catalogue.REGISTRATION_URL, url or registration_url)
        admin.set_policy("edupushplus-enrollment", "enrollment", registration + (f", {extra}" if extra else ""))

    return set_policy


@pytest.fixture
def firebase_gateway(admin, enrollment_policy, fcm, tmp_path):
    """A Firebase gateway whose key file the test may spoil; returns the key file's path."""
    path = tmp_path / "service-account.json"
    fcm.create_service_account(path)
    admin.post(
        "/smsgateway",
        {
            "name": GATEWAY,
            "module": catalogue.EDUMFA_FIREBASE_PROVIDER,
            f"option.{catalogue.FIREBASE_SERVICE_ACCOUNT_OPTION}": str(path),
        },
    )
    enrollment_policy(extra=action(catalogue.FIREBASE_CONFIG, GATEWAY))
    return path


@pytest.fixture
def push_wait(admin):
    admin.set_policy("edupushplus-push-wait", "authentication", action(catalogue.WAIT, 20))


def closed_port_url(path="/"):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"https://127.0.0.1:{port}{path}"


@pytest.fixture
def skewed_server():
    """A server whose Date header is off by the given seconds; yields a function making its URL."""
    servers = []

    def start(seconds: float) -> str:
        class Handler(BaseHTTPRequestHandler):
            def date_time_string(self, timestamp=None):
                import time

                return super().date_time_string((timestamp or time.time()) + seconds)

            def do_GET(self):
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        server = HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


# --------------------------------------------------------------------------- a clean deployment


def test_a_clean_deployment_has_no_error_and_exits_zero(
    instance, admin, firebase_gateway, push_wait, configure, tls_server, own_static_folder, fcm
):
    configure(**{Config.PUSH_WAIT_SLOTS: 7, Config.FCM_URL: fcm.base_url})
    webui.install(own_static_folder)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "edupush_token.cli",
            "doctor",
            "--config",
            str(instance.config_file),
            "--json",
            "--worker-class",
            "gthread",
            "--threads",
            "8",
            "--ca-bundle",
            str(tls_server[1]),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    findings = {finding["code"]: finding["severity"] for check in report["checks"] for finding in check["findings"]}
    assert report["ready"] is True
    # The FCM stand-in's token endpoint and send URL; its test send went through.
    assert findings == {"firebase-token-uri-not-google": "note", "fcm-url-overridden": "warning"}


def test_the_text_report_names_problem_and_fix_and_exits_one(instance, enrollment_policy):
    enrollment_policy(url=f"http://mfa.invalid{ENDPOINT_PATH}")
    result = subprocess.run(
        [sys.executable, "-m", "edupush_token.cli", "doctor", "--config", str(instance.config_file), "--timeout", "2"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stdout.splitlines()[1] == f"edupush-token {__version__} on eduMFA {metadata.version('edumfa')}"
    assert "ERROR registration URL: [registration-url-not-https]" in result.stdout
    assert f"fix: Serve eduMFA over HTTPS and set https://mfa.invalid{ENDPOINT_PATH}." in result.stdout
    assert result.stdout.rstrip().endswith("NOT READY")


# --------------------------------------------------------------------------- plugin and settings


def test_plugin_not_registered(doctor, configure):
    configure(EDUMFA_TOKEN_MODULES=[])
    assert "plugin-not-registered" in codes(doctor(), Severity.ERROR)


def test_token_module_that_does_not_import(doctor, configure):
    configure(EDUMFA_TOKEN_MODULES=[catalogue.EDUMFA_PLUGIN_MODULE, "edupush_token.no_such_plugin"])
    report = doctor()
    assert "token-module-not-importable" in codes(report, Severity.ERROR)
    assert "plugin-not-registered" not in codes(report)


def test_plugin_that_does_not_import(instance, tmp_path):
    """firebase-admin missing from eduMFA's environment: the plugin's import fails."""
    (tmp_path / "firebase_admin.py").write_text("raise ImportError('No module named firebase_admin')\n")
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run(
        [sys.executable, "-m", "edupush_token.cli", "doctor", "--config", str(instance.config_file)],
        capture_output=True,
        text=True,
        timeout=120,
        env=environment,
    )
    assert result.returncode == 1
    assert "[token-module-not-importable]" in result.stdout and "firebase_admin" in result.stdout


@pytest.mark.parametrize(
    "setting, code",
    [
        ("EDUMFA_AUDIT_NO_PRIVATE_KEY_CHECK", "audit-key-check-on"),
        ("EDUMFA_RESPONSE_NO_PRIVATE_KEY_CHECK", "response-key-check-on"),
    ],
)
def test_speed_setting_missing(doctor, configure, setting, code):
    configure(remove=[setting])
    report = doctor()
    assert codes(report, Severity.WARNING) >= {code}
    [finding] = [finding for finding in report.findings if finding.code == code]
    assert f"{setting} = True" in finding.fix


def test_audit_connection_per_request(doctor, configure):
    configure(remove=["EDUMFA_ENGINE_REGISTRY_CLASS"])
    [finding] = [finding for finding in doctor().findings if finding.code == "audit-connection-per-request"]
    assert finding.severity is Severity.WARNING
    assert 'EDUMFA_ENGINE_REGISTRY_CLASS = "shared"' in finding.fix
    configure(EDUMFA_ENGINE_REGISTRY_CLASS="shared")
    assert "audit-connection-per-request" not in codes(doctor())


def test_a_relative_config_path_means_the_working_directory(instance, monkeypatch):
    monkeypatch.chdir(instance.config_file.parent.parent)
    relative = f"{instance.config_file.parent.name}/{instance.config_file.name}"
    assert "deployment-unreadable" not in codes(examine(relative))


def test_missing_configuration(tmp_path):
    report = examine(str(tmp_path / "edumfa.cfg"))
    assert codes(report) == {"deployment-unreadable"} and report.failed


def test_unreadable_database(doctor, configure, tmp_path):
    configure(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/no/such/directory/edumfa.sqlite")
    assert codes(doctor()) == {"deployment-unreadable"}


# --------------------------------------------------------------------------- policies


def test_no_enrollment_policy(doctor):
    assert "registration-url-missing" in codes(doctor(), Severity.ERROR)


def test_placeholder_of_the_ready_set(doctor, enrollment_policy):
    enrollment_policy(url=f"https://edumfa.example.org{ENDPOINT_PATH}")
    report = doctor()
    assert "registration-url-placeholder" in codes(report, Severity.ERROR)
    assert "registration-url-unreachable" not in codes(report)


@pytest.mark.parametrize(
    "make_url, code, severity",
    [
        (lambda base: base.replace("https:", "http:") + ENDPOINT_PATH, "registration-url-not-https", Severity.ERROR),
        (lambda base: base + ENDPOINT_PATH + "?tenant=1", "registration-url-query", Severity.ERROR),
        (lambda base: base + ENDPOINT_PATH.replace("t", "%74", 1), "registration-url-not-canonical", Severity.WARNING),
        (lambda base: base + "/" + TOKEN_TYPE, "registration-url-path", Severity.WARNING),
        (lambda base: "ftp://127.0.0.1" + ENDPOINT_PATH, "registration-url-invalid", Severity.ERROR),
        (lambda base: closed_port_url(ENDPOINT_PATH), "registration-url-unreachable", Severity.ERROR),
        (lambda base: base + "/ttype/hotp", "registration-url-not-edupushplus", Severity.ERROR),
    ],
)
def test_registration_url(doctor, enrollment_policy, tls_server, make_url, code, severity):
    enrollment_policy(url=make_url(tls_server[0]))
    assert code in codes(doctor(), severity)


def test_registration_url_with_an_untrusted_certificate(instance, enrollment_policy):
    enrollment_policy()
    report = examine(str(instance.config_file), Web(timeout=3))  # the self-signed certificate is not trusted
    [finding] = [finding for finding in report.findings if finding.code == "registration-url-unreachable"]
    assert "certificate" in finding.problem


def test_sound_registration_url_has_no_finding(doctor, enrollment_policy):
    enrollment_policy()
    assert not {code for code in codes(doctor()) if code.startswith("registration-url")}


def test_unknown_action_and_action_in_the_wrong_scope(doctor, instance, enrollment_policy):
    """The REST API refuses unknown action names; eduMFA's importer (edumfa-manage) does not."""
    enrollment_policy()
    typo = catalogue.MOBILE_TEXT.name[:-1]
    from edumfa.commands.manage.helper import import_conf_policy

    with app_context(instance.config_file):
        import_conf_policy(
            [
                {"name": "typo", "scope": "authentication", "action": f"{typo}=Hi"},
                {"name": "misplaced", "scope": "enrollment", "action": action(catalogue.WAIT, 20)},
            ],
            update=True,
        )
    problems = [finding.problem for finding in doctor().findings if finding.code == "unknown-action"]
    assert len(problems) == 2
    assert any(typo in problem for problem in problems)
    assert any(catalogue.WAIT.name in problem and "'misplaced'" in problem for problem in problems)


def test_tls_verification_off(doctor, enrollment_policy):
    enrollment_policy(extra=action(catalogue.ENROLL_SSL_VERIFY, 0))
    assert "ssl-verify-off" in codes(doctor(), Severity.WARNING)


@pytest.mark.parametrize(
    "texts, code",
    [
        (action(catalogue.MOBILE_TEXT, "Login from {ip}?"), "phone-text-invalid"),
        (action(catalogue.MOBILE_TITLE, "Login {user"), "phone-text-invalid"),
        (action(catalogue.MOBILE_TEXT, "{user_agent} " * 40), "phone-text-too-long"),
    ],
)
def test_phone_texts_that_would_refuse_logins(doctor, enrollment_policy, admin, texts, code):
    enrollment_policy()
    admin.set_policy("edupushplus-texts", "authentication", texts)
    assert code in codes(doctor(), Severity.ERROR)


def test_phone_texts_with_context_that_fit(doctor, enrollment_policy, admin):
    enrollment_policy()
    admin.set_policy(
        "edupushplus-texts",
        "authentication",
        action(catalogue.MOBILE_TEXT, "Log in {user} from {client_ip} with {user_agent}?"),
    )
    assert not {"phone-text-invalid", "phone-text-too-long"} & codes(doctor())


@pytest.fixture
def own_static_folder(configure, tmp_path):
    """eduMFA's token views, copied to a static folder of this test's own (EDUMFA_STATIC_FOLDER)."""
    import edumfa

    folder = tmp_path / "static"
    shutil.copytree(Path(edumfa.__file__).parent / "static" / webui.VIEWS, folder / webui.VIEWS)
    configure(EDUMFA_STATIC_FOLDER=str(folder))
    return folder


def test_web_ui_templates_not_installed(doctor, enrollment_policy, own_static_folder):
    enrollment_policy()
    assert "webui-templates-missing" in codes(doctor(), Severity.WARNING)


def test_web_ui_templates_of_another_version(doctor, enrollment_policy, own_static_folder):
    enrollment_policy()
    [template, *_] = webui.install(own_static_folder)
    template.path.write_text(template.path.read_text() + "<!-- older -->\n")
    report = doctor()
    assert "webui-templates-outdated" in codes(report, Severity.WARNING)
    assert "webui-templates-missing" not in codes(report)


# --------------------------------------------------------------------------- Firebase


def test_gateway_named_by_the_policy_does_not_exist(doctor, enrollment_policy):
    enrollment_policy(extra=action(catalogue.FIREBASE_CONFIG, "nowhere"))
    assert "firebase-gateway-missing" in codes(doctor(), Severity.ERROR)


def test_gateway_of_another_provider(doctor, admin, enrollment_policy):
    admin.post(
        "/smsgateway",
        {
            "name": "sms",
            "module": "edumfa.lib.smsprovider.SipgateSMSProvider.SipgateSMSProvider",
            "option.USERNAME": "u",
            "option.PASSWORD": "p",
        },
    )
    enrollment_policy(extra=action(catalogue.FIREBASE_CONFIG, "sms"))
    assert "firebase-gateway-wrong-type" in codes(doctor(), Severity.ERROR)


def test_gateway_without_key_file_option(doctor, admin, enrollment_policy):
    """eduMFA stores the gateway, then fails its own check of the file with a 500."""
    admin.request(
        "POST",
        "/smsgateway",
        json={"name": GATEWAY, "module": catalogue.EDUMFA_FIREBASE_PROVIDER, "option.other": "x"},
        expect=500,
    )
    enrollment_policy(extra=action(catalogue.FIREBASE_CONFIG, GATEWAY))
    assert "firebase-file-not-set" in codes(doctor(), Severity.ERROR)


@pytest.mark.parametrize(
    "content, reason",
    [
        (None, "cannot be read"),
        ("not json", "is not JSON"),
        ('{"type": "service_account"}', "missing project_id, private_key"),
        ("bad key", "private_key that does not load"),
        ("authorized user", "not a service-account key"),
    ],
)
def test_key_file_invalid(doctor, firebase_gateway, content, reason):
    if content is None:
        firebase_gateway.unlink()
    elif content in ("bad key", "authorized user"):
        account = json.loads(firebase_gateway.read_text())
        if content == "bad key":
            account["private_key"] = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
        else:
            account["type"] = "authorized_user"
        write_service_account(firebase_gateway, account)
    else:
        firebase_gateway.write_text(content)
    [finding] = [finding for finding in doctor().findings if finding.code == "firebase-file-invalid"]
    assert reason in finding.problem and finding.severity is Severity.ERROR


def test_key_file_readable_by_others(doctor, firebase_gateway):
    firebase_gateway.chmod(0o644)
    assert "firebase-file-readable-by-others" in codes(doctor(), Severity.WARNING)


def test_token_endpoint_unreachable(doctor, firebase_gateway):
    write_service_account(firebase_gateway, generate_service_account(token_uri=closed_port_url("/token")))
    assert "firebase-token-endpoint-unreachable" in codes(doctor(), Severity.ERROR)


def test_a_working_gateway_passes_a_test_send(doctor, configure, firebase_gateway, fcm):
    configure(**{Config.FCM_URL: fcm.base_url})
    before = len(fcm.messages)
    report = doctor()
    assert not {code for code in codes(report) if code.startswith(("firebase-send", "firebase-probe"))}
    [probe] = fcm.messages[before:]
    assert probe["validate_only"] and probe["status"] == 200 and not probe["delivered"]


def test_the_test_send_goes_to_an_enrolled_phone_of_the_gateway(doctor, configure, firebase_gateway, fcm, admin, phone):
    """A phone's registration token proves the sender ID too (FCM's SENDER_ID_MISMATCH)."""
    configure(**{Config.FCM_URL: fcm.base_url})
    detail = admin.post("/token/init", {"type": catalogue.TOKEN_TYPE, "genkey": 1, "user": "alice", "realm": "demo"})
    token = phone.enroll(phone.scan(detail["detail"]["pushurl"]["value"]), firebase_token="registration-of-alice")
    assert token.firebase_token == "registration-of-alice"
    before = len(fcm.messages)
    doctor()
    [probe] = fcm.messages[before:]
    assert probe["token"] == "registration-of-alice" and probe["validate_only"]


def test_a_key_firebase_does_not_accept_is_found(doctor, configure, firebase_gateway, fcm):
    """A revoked key, or one of another project: the token endpoint refuses it."""
    configure(**{Config.FCM_URL: fcm.base_url})
    write_service_account(firebase_gateway, generate_service_account(token_uri=fcm.token_uri))  # not trusted
    [finding] = [finding for finding in doctor().findings if finding.code == "firebase-send-refused"]
    assert finding.severity is Severity.ERROR and "invalid_grant" in finding.problem


def test_poll_only_is_a_note(doctor, enrollment_policy):
    enrollment_policy(extra=action(catalogue.FIREBASE_CONFIG, catalogue.POLL_ONLY))
    report = doctor()
    assert "poll-only" in codes(report, Severity.NOTE)


def test_fcm_url_left_from_a_test_setup(doctor, configure, enrollment_policy):
    enrollment_policy()
    configure(**{Config.FCM_URL: "http://127.0.0.1:8765"})
    assert "fcm-url-overridden" in codes(doctor(), Severity.WARNING)


# --------------------------------------------------------------------------- clock


def test_clock_far_off(doctor, enrollment_policy, skewed_server):
    enrollment_policy()
    [finding] = [f for f in doctor(clock_references=[skewed_server(-600)]).findings if f.code == "clock-skew"]
    assert finding.severity is Severity.ERROR
    seconds = int(re.search(r"(\d+) s ahead of", finding.problem).group(1))
    assert 599 <= seconds <= 605  # the Date header has whole seconds, and the answer takes a moment


def test_clock_drifting(doctor, enrollment_policy, skewed_server):
    enrollment_policy()
    assert "clock-drift" in codes(doctor(clock_references=[skewed_server(15)]), Severity.WARNING)


def test_clock_in_agreement(doctor, enrollment_policy, skewed_server):
    enrollment_policy()
    assert not {code for code in codes(doctor(clock_references=[skewed_server(0)])) if code.startswith("clock")}


def test_clock_without_reference(doctor, enrollment_policy):
    enrollment_policy()
    assert "clock-unchecked" in codes(doctor(clock_references=[closed_port_url()]), Severity.WARNING)


# --------------------------------------------------------------------------- workers for push_wait


@pytest.mark.parametrize(
    "setup, settings, code, severity",
    [
        (WorkerSetup(), {}, "worker-class-unknown", Severity.WARNING),
        (WorkerSetup("sync", 1, "test"), {Config.PUSH_WAIT_SLOTS: 7}, "push-wait-sync-worker", Severity.ERROR),
        (GTHREAD_8, {}, "push-wait-slots-missing", Severity.ERROR),
        (GTHREAD_8, {Config.PUSH_WAIT_SLOTS: 0}, "push-wait-slots-missing", Severity.ERROR),
        (WorkerSetup("gthread", 1, "test"), {Config.PUSH_WAIT_SLOTS: 1}, "push-wait-too-few-threads", Severity.ERROR),
        (GTHREAD_8, {Config.PUSH_WAIT_SLOTS: 8}, "push-wait-slots-too-many", Severity.WARNING),
        (GTHREAD_8, {Config.PUSH_WAIT_SLOTS: "many"}, "push-wait-slots-invalid", Severity.ERROR),
        (WorkerSetup("tornado", 1, "test"), {}, "worker-class-unrecognised", Severity.WARNING),
    ],
)
def test_worker_unsuitable_for_push_wait(doctor, push_wait, configure, setup, settings, code, severity):
    configure(remove=[Config.PUSH_WAIT_SLOTS], **settings)
    assert code in codes(doctor(setup), severity)


@pytest.mark.parametrize(
    "setup, settings",
    [
        (GTHREAD_8, {Config.PUSH_WAIT_SLOTS: 7}),
        (WorkerSetup("gevent", None, "test"), {}),
    ],
)
def test_worker_suitable_for_push_wait(doctor, push_wait, configure, setup, settings):
    configure(remove=[Config.PUSH_WAIT_SLOTS], **settings)
    assert not {code for code in codes(doctor(setup)) if "worker" in code or "push-wait" in code}


def test_sync_worker_without_push_wait_is_fine(doctor, enrollment_policy):
    enrollment_policy()
    assert not {
        code for code in codes(doctor(WorkerSetup("sync", 1, "test"))) if "worker" in code or "push-wait" in code
    }


def test_gunicorn_config_file_sync_with_threads_is_gthread(instance, push_wait, configure, tmp_path, tls_server):
    """gunicorn turns sync with threads > 1 into gthread, so the slots are what is missing."""
    configure(remove=[Config.PUSH_WAIT_SLOTS])
    config = tmp_path / "gunicorn.conf.py"
    config.write_text("workers = 4\nworker_class = 'sync'\nthreads = 4\n")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "edupush_token.cli",
            "doctor",
            "--config",
            str(instance.config_file),
            "--gunicorn-config",
            str(config),
            "--ca-bundle",
            str(tls_server[1]),
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    found = {finding["code"]: finding for check in json.loads(result.stdout)["checks"] for finding in check["findings"]}
    assert "push-wait-slots-missing" in found and "push-wait-sync-worker" not in found
    assert f"{Config.PUSH_WAIT_SLOTS} = 3" in found["push-wait-slots-missing"]["fix"]


def test_a_running_node_without_the_plugin_is_found(doctor, tls_server, edumfa_template, tmp_path):
    """The file on this machine lists the plugin; the other node was started without the line."""
    other = edumfa_template.clone(tmp_path / "other-node")
    other.update_setting("EDUMFA_TOKEN_MODULES", ["edumfa.lib.tokens.hotptoken"])
    with ServedInstance(other.directory) as other_url:
        report = doctor(nodes=(tls_server[0], other_url))
    [finding] = [finding for finding in report.findings if finding.code == "node-lacks-plugin"]
    assert f"The eduMFA node {other_url} answers" in finding.problem
