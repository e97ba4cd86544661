"""A push_wait login that ends without an accept, in the plugin's words and without a failed attempt.

Both hosts (eduMFA, and privacyIDEA from which it forked) file a token whose
PIN matched but whose ``authenticate()`` did not succeed as "PIN right, OTP
wrong": they increment the failcounter and overwrite the token's message with
"wrong otp value".  For a push that was
refused by a limit, declined or not answered in time, both are wrong: the
user typed nothing wrong, and a burst of such logins must not lock the token.
The token class skips the failcounter itself; the message is put back here,
into the response just before the host signs it and writes its audit entry.
"""

from __future__ import annotations

from typing import Any

from flask import after_this_request, current_app, g, has_request_context


def reject_with(message: str) -> None:
    """Make ``message`` the message of this request's REJECT, if it ends in one."""
    if not has_request_context():
        return

    @after_this_request
    def restore_message(response: Any) -> Any:
        body = response.get_json(silent=True)
        if not isinstance(body, dict) or body.get("result", {}).get("value") is not False:
            return response  # another token succeeded, or not the host's JSON verdict
        detail = body.get("detail")
        if isinstance(detail, dict) and "message" in detail:  # a policy may have hidden the details
            detail["message"] = message
            response.set_data(current_app.json.dumps(body))
        audit = getattr(g, "audit_object", None)
        if audit is not None:
            audit.log({"info": message})
        return response
