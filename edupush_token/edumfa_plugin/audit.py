"""Push events as audit entries of their own, which admins filter by action.

eduMFA writes one audit entry per request and later parts of a request
overwrite its ``info``; so each push event (refused by a limit, accepted,
declined, delivered or failed) gets its own entry, action ``edupushplus <event>``.
"""

from __future__ import annotations

from flask import current_app, has_app_context

from edumfa.lib.audit import getAudit

from .. import TOKEN_TYPE


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
