"""Push events in eduMFA's audit log, which admins filter by ``edupushplus*``.

eduMFA writes one audit entry per request, and later parts of a request may
overwrite its ``info`` and ``success``; so an event that must stand out (a
limit fired, a decline, a delivery outcome, a late or conflicting answer) gets
an entry of its own, action ``edupushplus <event>``.  The common accept is
noted in the phone's own request entry instead (action detail
``edupushplus push accepted``): an audit entry costs two database commits,
and the answer should cost no more than the built-in token's.
"""

from __future__ import annotations

from flask import current_app, has_app_context

from edumfa.lib.audit import getAudit

from ... import TOKEN_TYPE


def record_event(event: str, serial: str, info: str, success: bool, detail: str = "", app=None) -> None:
    config = (app or current_app).config if (app or has_app_context()) else None
    if config is None:
        return
    audit = getAudit(config)
    audit.log({
        "action": f"{TOKEN_TYPE} {event}",
        "action_detail": detail[:50],
        "serial": serial,
        "token_type": TOKEN_TYPE,
        "success": success,
        "info": info[:400],
    })
    audit.finalize_log()


def note_in_request(g, event: str, info: str) -> None:
    """Describe the event in the current request's own audit entry (eduMFA writes it at the end)."""
    g.audit_object.log({"action_detail": f"{TOKEN_TYPE} {event}"[:50], "info": info[:400]})
