"""The metrics under eduMFA: ``GET /ttype/edupushplus?metrics`` for an admin, in Prometheus's text format.

The admin's token is any eduMFA admin JWT: from ``/auth``, or one made to
last with ``edumfa-manage api createtoken -r admin -d 365`` for a scraper.
eduMFA expects the bare token in ``Authorization``; Prometheus sends
``Bearer <token>``, so both are taken.
"""

from __future__ import annotations

from typing import Optional

from edumfa.api.lib.utils import verify_auth_token

from ...lifecycle import utc_now
from ...metrics import exposition
from .ports import Store

BEARER = "Bearer "


def scrape(authorization: Optional[str]) -> tuple[str, bytes]:
    """eduMFA's /ttype reply: the text format as ``text/plain``; raises eduMFA's AuthError (HTTP 401) for a non-admin."""
    verify_auth_token(admin_token(authorization), ["admin"])
    store = Store()
    store.ensure_tables()
    return "plain", exposition.render(store.outbox_summary(), utc_now())


def admin_token(authorization: Optional[str]) -> Optional[str]:
    if authorization and authorization.startswith(BEARER):
        return authorization[len(BEARER) :].strip()
    return authorization
