"""Known 500s in eduMFA itself (not in this plugin): reported, not sent unless EDUPUSH_FUZZ_KNOWN=1."""

from __future__ import annotations

import json
from typing import Any, Callable, Dict, List, Optional, Tuple

from hypothesis import note

from .harness import Req
from .session import SEND_KNOWN, STATS


def _json_content_type(req: Req) -> bool:
    mimetype = (req.content_type or "").split(";")[0].strip().lower()
    return mimetype == "application/json" or (mimetype.startswith("application/") and mimetype.endswith("+json"))


def _json_body_not_an_object(req: Req) -> bool:
    """eduMFA core: get_all_params() does dict.update(request.json) before any handler runs,
    so with a JSON content type a body that is empty, not JSON or not a JSON object is a 500
    on every endpoint (TypeError/ValueError, or Flask's BadRequest turned into a 500)."""
    if not _json_content_type(req):
        return False
    try:
        return not isinstance(json.loads(req.body or b""), dict)
    except ValueError:
        return True


def _form_too_large(req: Req) -> bool:
    """werkzeug refuses a form over 500,000 bytes with a 413 while eduMFA reads the parameters;
    eduMFA's sign_response then reads them again while handling that error: a 500."""
    from werkzeug.wrappers import Request

    mimetype = (req.content_type or "").split(";")[0].strip().lower()
    limit = Request.max_form_memory_size
    return (
        mimetype in ("application/x-www-form-urlencoded", "multipart/form-data")
        and limit is not None
        and len(req.body or b"") > limit
    )


def _json_params(req: Req) -> Dict[str, Any]:
    """The parameters eduMFA takes from a JSON body (a JSON object in any non-form body counts)."""
    mimetype = (req.content_type or "").split(";")[0].strip().lower()
    if not req.body or mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return {}
    try:
        params = json.loads(req.body)
    except ValueError:
        return {}
    return params if isinstance(params, dict) else {}


# Parameters that eduMFA's own /validate code calls str methods on (or puts into SQL) before
# any token code runs; a JSON null, number, bool, list or object there is a 500 in eduMFA.
CORE_STRING_PARAMETERS = ("user", "realm", "resolver", "serial", "type", "transaction_id", "state")


def _validate_core_non_string(req: Req) -> bool:
    if not req.path.startswith("/validate/"):
        return False
    params = _json_params(req)
    return any(name in params and not isinstance(params[name], str) for name in CORE_STRING_PARAMETERS)


KNOWN_500S: Dict[str, Callable[[Req, List[Tuple[str, Any]]], bool]] = {
    # In eduMFA itself, for every token type:
    "JSON content type with a body that is not a JSON object (eduMFA core: get_all_params)": lambda req, pairs: (
        _json_body_not_an_object(req)
    ),
    "form body over werkzeug's max_form_memory_size (eduMFA core: sign_response re-reads the form after the 413)": lambda req, pairs: (
        _form_too_large(req)
    ),
    "/validate/* with a user agent of only whitespace (eduMFA core: CheckSubscription ua_str.split()[0])": lambda req, pairs: (
        req.path.startswith("/validate/") and bool(req.user_agent) and not req.user_agent.split()
    ),
    "OPTIONS request (eduMFA core: sign_response reads the empty automatic OPTIONS answer as JSON)": lambda req, pairs: (
        req.method == "OPTIONS"
    ),
    "/validate/* with a non-string JSON user, realm, resolver, serial, type, transaction_id or state (eduMFA core)": lambda req, pairs: (
        _validate_core_non_string(req)
    ),
}


def known_500(req: Req, pairs: List[Tuple[str, Any]]) -> Optional[str]:
    """The known bug this request would hit, unless EDUPUSH_FUZZ_KNOWN=1."""
    if SEND_KNOWN:
        return None
    for name, matches in KNOWN_500S.items():
        if matches(req, pairs):
            STATS.known_not_sent[name] += 1
            note(f"not sent, known 500: {name}")
            return name
    return None
