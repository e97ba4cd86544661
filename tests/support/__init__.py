"""What the tests share: constants and small helpers here, a throwaway PostgreSQL and TLS certificates beside them."""

import importlib
from typing import Any, Mapping, Optional
from urllib.parse import parse_qsl, urlsplit

from edupush_token import catalogue
from edupush_token.catalogue import Policy
from edupush_token.devtools.local_instance import installed_host


def host_library() -> Any:
    """The installed host's library as its adapter names it (get_one_token, db, challenge_model, ...)."""
    return importlib.import_module(f"edupush_token.hosts.{installed_host()}.library").LIBRARY


def host_store() -> Any:
    """The adapter's store on the installed host; call in an app context."""
    from edupush_token.hosts.common import Store

    return Store(host_library())


REGISTRATION_URL = f"https://edumfa.example.org{catalogue.ENDPOINT_PATH}"
PIN = "1234"


def action(policy: Policy, value: Any = True) -> str:
    """One policy action as eduMFA takes it: ``name=value``, or a boolean policy's bare name to switch it on."""
    return policy.name if value is True else f"{policy.name}={value}"


def actions(settings: Mapping[Policy, Any]) -> str:
    """Several actions of one policy, comma-separated: ``{catalogue.TTL: 3, catalogue.FORCE_APP_PIN: True}``."""
    return ", ".join(action(policy, value) for policy, value in settings.items())


# The smallest server key the policy allows: the fastest to generate.
FAST_SERVER_KEY_SIZE = catalogue.SERVER_KEY_SIZE.low


def fast_enrollment(registration_url: str, more: Optional[Mapping[Policy, Any]] = None) -> str:
    """Enrollment actions: phones register at ``registration_url``, server keys are fast to make, then ``more``."""
    return actions(
        {catalogue.REGISTRATION_URL: registration_url, catalogue.SERVER_KEY_SIZE: FAST_SERVER_KEY_SIZE, **(more or {})}
    )


# The push-bombing limits at their loosest, so that tests may trigger in quick succession.
PERMISSIVE_LIMITS = {
    catalogue.MAX_OPEN: catalogue.MAX_OPEN.high,
    catalogue.MIN_INTERVAL: catalogue.MIN_INTERVAL.low,
    catalogue.MAX_PER_HOUR: catalogue.MAX_PER_HOUR.high,
}


def qr_query(qr_url: str) -> dict:
    return dict(parse_qsl(urlsplit(qr_url).query, keep_blank_values=True))


# Where eduMFA's audit log records an answer that took effect: an accept in
# the phone's request entry, a decline (a possible attack) in an entry of its own.
AUDITED_ANSWERS = {
    "accepted": {"action_detail": "edupushplus push accepted"},
    "declined": {"action": "edupushplus push declined"},
}


def audited_answers(admin, **search) -> dict:
    """How many accepts and declines took effect, counted in the audit log (AdminAPI ``admin``)."""
    return {
        kind: admin.get("/audit/", params={**where, **search, "page_size": 1})["result"]["value"]["count"]
        for kind, where in AUDITED_ANSWERS.items()
    }
