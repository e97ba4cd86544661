"""checks.policies.check_registration_urls: the URL phones use, as written and as answered."""

import pytest

from edupush_token.doctor.checks.policies import ENDPOINT_PATH, REGISTRATION_URL, check_registration_urls
from edupush_token.doctor.findings import Severity
from edupush_token.doctor.web import Answer
from edupush_token.policy_sets import PLACEHOLDER_URL

from .factory import URL, FakeWeb, only


def findings_for(make_deployment, web, url):
    return check_registration_urls(make_deployment(enrollment={REGISTRATION_URL: url}), web.get)


def test_sound_url_that_answers_has_no_finding(make_deployment, web):
    assert findings_for(make_deployment, web, URL) == []
    assert web.asked == [URL]


@pytest.mark.parametrize(
    "url, code, says",
    [
        (PLACEHOLDER_URL + ENDPOINT_PATH, "registration-url-placeholder", "the ready set's placeholder"),
        ("ftp://mfa.example.edu" + ENDPOINT_PATH, "registration-url-invalid", "must start with http:// or https://"),
        ("https://" + ENDPOINT_PATH, "registration-url-invalid", "has no host"),
    ],
)
def test_url_that_is_never_probed(make_deployment, web, url, code, says):
    finding = only(findings_for(make_deployment, web, url), code, Severity.ERROR)
    assert f"{REGISTRATION_URL} of policy 'edupushplus-enrollment' is {url!r}" in finding.problem
    assert says in finding.problem
    assert web.asked == []


@pytest.mark.parametrize(
    "url, code, severity, says",
    [
        ("http://mfa.example.edu" + ENDPOINT_PATH, "registration-url-not-https", Severity.ERROR, "unencrypted"),
        (URL + "?tenant=1", "registration-url-query", Severity.ERROR, "a query string or fragment breaks polling"),
        (URL + "#app", "registration-url-query", Severity.ERROR, "a query string or fragment breaks polling"),
        (
            "https://mfa.example.edu/edupushplus",
            "registration-url-path",
            Severity.WARNING,
            f"endpoint at {ENDPOINT_PATH}",
        ),
    ],
)
def test_url_written_wrong(make_deployment, web, url, code, severity, says):
    finding = only(findings_for(make_deployment, web, url), code, severity)
    assert says in finding.problem


@pytest.mark.parametrize("url", ["https://MFA.example.edu:443/ttype/%65dupushplus", " " + URL])
def test_url_not_canonical_is_probed_as_the_app_reads_it(make_deployment, web, url):
    finding = only(findings_for(make_deployment, web, url), "registration-url-not-canonical", Severity.WARNING)
    assert f"the app reads it as {URL!r}" in finding.problem
    assert finding.fix == f"Write it as {URL}."
    assert web.asked == [URL]


def test_url_unreachable(make_deployment):
    web = FakeWeb({URL: Answer(URL, error="Name or service not known")})
    finding = only(findings_for(make_deployment, web, URL), "registration-url-unreachable", Severity.ERROR)
    assert "not reachable from here (Name or service not known)" in finding.problem


@pytest.mark.parametrize(
    "answer",
    [
        Answer(URL, 200, body=None),
        Answer(URL, 404, body={"result": {"status": False, "error": {"message": "not found"}}}),
        Answer(URL, 400, body={"result": "Missing parameter: serial"}),
    ],
)
def test_url_answered_by_something_else(make_deployment, answer):
    findings = findings_for(make_deployment, FakeWeb({URL: answer}), URL)
    finding = only(findings, "registration-url-not-edupushplus", Severity.ERROR)
    assert f"it answers HTTP {answer.status}, but not as eduMFA's edupushplus endpoint does" in finding.problem
