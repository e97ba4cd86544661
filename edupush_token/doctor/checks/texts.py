"""Will the phone texts render, and fit into a push?

eduMFA gives a token type no hook to validate its policies when they are
saved, so a broken template would only show when a login builds its push
(refused there with a clear error).  The doctor finds it before any user does.
"""

from __future__ import annotations

from typing import List

from ... import catalogue
from ...catalogue import SERVER_KEY_SIZES
from ...crypto import signed_size
from ...wire import WireError
from ...wire.context_values import MAX_VALUE_BYTES
from ...wire.push_data import FCM_DATA_LIMIT, PushData
from ...wire.templates import VARIABLES, check_template, render_template
from ..deployment import AUTHENTICATION, ENROLLMENT, Deployment
from ..findings import Finding, error

TEXT = catalogue.MOBILE_TEXT.name
TITLE = catalogue.MOBILE_TITLE.name
REGISTRATION_URL = catalogue.REGISTRATION_URL.name
DEFAULTS = {TEXT: str(catalogue.MOBILE_TEXT.default), TITLE: str(catalogue.MOBILE_TITLE.default)}
LONGEST_SERIAL = "X" * catalogue.MAX_SERIAL_LENGTH
LONGEST_CONTEXT = {name: "x" * MAX_VALUE_BYTES for name in VARIABLES}  # one byte a character: the most bytes


def check_phone_texts(deployment: Deployment) -> List[Finding]:
    texts = [
        (policy, action, str(value))
        for action in (TEXT, TITLE)
        for policy, value in deployment.action_values(AUTHENTICATION, action)
    ]
    findings = [_template_finding(policy, action, template) for policy, action, template in texts]
    findings = [finding for finding in findings if finding is not None]
    if findings:
        return findings
    return _size_findings(deployment, texts)


def _template_finding(policy: str, action: str, template: str):
    try:
        check_template(template)
    except WireError as problem:
        return error(
            "phone-text-invalid",
            f"{action} of policy {policy!r}: {problem}",
            "Correct the template; logins of the users it applies to are refused until then.",
        )
    return None


def _size_findings(deployment: Deployment, texts) -> List[Finding]:
    """The worst case: the longest text, title and URL, every variable at its cut-off length."""
    text_policy, text = _longest(texts, TEXT)
    title_policy, title = _longest(texts, TITLE)
    urls = [str(url) for _policy, url in deployment.action_values(ENROLLMENT, REGISTRATION_URL)] or ["https://x/"]
    push = PushData(
        nonce="N" * 32,
        url=max(urls, key=len),
        serial=LONGEST_SERIAL,
        question=render_template(text, LONGEST_CONTEXT),
        title=render_template(title, LONGEST_CONTEXT),
        sslverify="1",
        signature="",
    )
    size = signed_size(push, max(SERVER_KEY_SIZES))
    if size <= FCM_DATA_LIMIT:
        return []
    culprits = [
        f"{action} of policy {policy!r}" for action, policy in ((TEXT, text_policy), (TITLE, title_policy)) if policy
    ]
    return [
        error(
            "phone-text-too-long",
            f"{' and '.join(culprits)} can make a push of {size} bytes, more than Firebase's "
            f"{FCM_DATA_LIMIT}; such logins are refused.",
            f"Shorten the text or title, or use fewer variables (each may stand for up to {MAX_VALUE_BYTES} bytes).",
        )
    ]


def _longest(texts, action: str):
    """(policy, template) of the template of ``action`` that renders longest; ("", default) if none."""
    candidates = [(policy, template) for policy, name, template in texts if name == action]
    return max(
        candidates, key=lambda item: len(render_template(item[1], LONGEST_CONTEXT)), default=("", DEFAULTS[action])
    )
