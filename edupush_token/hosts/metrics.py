"""The metrics under either host: ``GET /ttype/edupushplus?metrics`` for an admin, in Prometheus's text format.

The admin's token is any admin JWT of the host: from ``/auth``, or one made to
last with ``edumfa-manage api createtoken -r admin -d 365`` (``pi-manage`` on
privacyIDEA) for a scraper.  The hosts expect the bare token in
``Authorization``; Prometheus sends ``Bearer <token>``, so both are taken.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from ..lifecycle import utc_now
from ..metrics import exposition
from .common import Store
from .library import HostLibrary

BEARER = "Bearer "


def scrape(
    library: HostLibrary, verify_auth_token: Callable[..., Any], authorization: Optional[str]
) -> tuple[str, bytes]:
    """The host's /ttype reply: the text format as ``text/plain``; raises its AuthError (HTTP 401) for a non-admin."""
    verify_auth_token(admin_token(authorization), ["admin"])
    store = Store(library)
    store.ensure_tables()
    return "plain", exposition.render(store.outbox_summary(), utc_now())


def admin_token(authorization: Optional[str]) -> Optional[str]:
    if authorization and authorization.startswith(BEARER):
        return authorization[len(BEARER) :].strip()
    return authorization
