"""The error answers of FCM and Google OAuth, shaped so the unmodified SDK raises what it raises in production."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any, Dict, Optional, Tuple

from ...errors import EdupushError

FCM_ERROR_TYPE = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
BAD_REQUEST_TYPE = "type.googleapis.com/google.rpc.BadRequest"
ERROR_INFO_TYPE = "type.googleapis.com/google.rpc.ErrorInfo"

# FCM v1 ErrorCode -> (HTTP status, canonical status, FCM's message).
FCM_ERRORS: Dict[str, Tuple[int, str, str]] = {
    "INVALID_ARGUMENT": (400, "INVALID_ARGUMENT", "Request contains an invalid argument."),
    "THIRD_PARTY_AUTH_ERROR": (401, "UNAUTHENTICATED", "Auth error from APNS or Web Push Service"),
    "SENDER_ID_MISMATCH": (403, "PERMISSION_DENIED", "SenderId mismatch"),
    "UNREGISTERED": (404, "NOT_FOUND", "Requested entity was not found."),
    "QUOTA_EXCEEDED": (429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."),
    "INTERNAL": (500, "INTERNAL", "Internal error encountered."),
    "UNAVAILABLE": (503, "UNAVAILABLE", "The service is currently unavailable."),
}
FCM_ERROR_FOR_STATUS = {status: code for code, (status, _, _) in FCM_ERRORS.items()}
CANONICAL_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
# HTTP status -> (OAuth error, error_description) for faults on the token endpoint.
OAUTH_FAULTS = {
    400: ("invalid_grant", "Invalid JWT Signature."),
    401: ("invalid_client", "The OAuth client was not found."),
    403: ("access_denied", "Access denied."),
    429: ("rate_limit_exceeded", "Rate Limit Exceeded"),
    500: ("internal_failure", "Backend Error"),
    503: ("temporarily_unavailable", "The service is currently unavailable."),
}
BAD_TIMEFRAME = (
    "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable "
    "timeframe. Check your iat and exp values in the JWT claim."
)
MISSING_CREDENTIAL = (
    "Request is missing required authentication credential. Expected OAuth 2 access token, "
    "login cookie or other valid authentication credential. "
    "See https://developers.google.com/identity/sign-in/web/devconsole-project."
)
INVALID_CREDENTIAL = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, "
    "login cookie or other valid authentication credential. "
    "See https://developers.google.com/identity/sign-in/web/devconsole-project."
)


def fcm_error_body(
    http_status: int, status: str, message: str, error_code: Optional[str] = None, details: Tuple[dict, ...] = ()
) -> dict:
    """Google's error envelope; the SDK picks the FCM error code out of ``details``."""
    all_details = list(details)
    if error_code:
        all_details.append({"@type": FCM_ERROR_TYPE, "errorCode": error_code})
    error: Dict[str, Any] = {"code": http_status, "message": message, "status": status}
    if all_details:
        error["details"] = all_details
    return {"error": error}


def fcm_error(error_code: str, message: Optional[str] = None, details: Tuple[dict, ...] = ()) -> Tuple[int, dict]:
    """(HTTP status, body) for one of FCM's v1 error codes."""
    http_status, status, default_message = FCM_ERRORS[error_code]
    return http_status, fcm_error_body(http_status, status, message or default_message, error_code, details)


def fault_error(status: Optional[int], error_code: Optional[str]) -> Tuple[int, dict]:
    """The send endpoint's answer for an injected fault."""
    if error_code:
        code_status, canonical, message = FCM_ERRORS[error_code]
        http_status = status or code_status
        return http_status, fcm_error_body(http_status, canonical, message, error_code)
    assert status is not None
    if status in FCM_ERROR_FOR_STATUS:
        return fcm_error(FCM_ERROR_FOR_STATUS[status])
    return status, fcm_error_body(status, CANONICAL_STATUS.get(status, "UNKNOWN"), phrase(status))


def phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def bad_request(message: str, field_name: Optional[str] = None, error_code: Optional[str] = None) -> Tuple[int, dict]:
    """400 INVALID_ARGUMENT with a ``google.rpc.BadRequest`` detail, as FCM sends for bad fields."""
    detail: Dict[str, Any] = {"@type": BAD_REQUEST_TYPE}
    if field_name:
        detail["fieldViolations"] = [{"field": field_name, "description": message}]
    return 400, fcm_error_body(400, "INVALID_ARGUMENT", message, error_code, (detail,))


def unauthenticated(message: str, reason: str) -> Tuple[int, dict]:
    info = {
        "@type": ERROR_INFO_TYPE,
        "reason": reason,
        "domain": "googleapis.com",
        "metadata": {"service": "fcm.googleapis.com", "method": "google.firebase.fcm.v1.FcmService.SendMessage"},
    }
    return 401, fcm_error_body(401, "UNAUTHENTICATED", message, None, (info,))


def error_code_of(body: Any) -> Optional[str]:
    """The FCM error code (or canonical status) of an error body, for recordings."""
    if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        return None
    error = body["error"]
    for detail in error.get("details", []):
        if isinstance(detail, dict) and detail.get("@type") == FCM_ERROR_TYPE:
            return detail.get("errorCode")
    return error.get("status")


class OAuthError(EdupushError):
    """A refusal of the token endpoint, in Google's OAuth error shape."""

    def __init__(self, error: str, description: str, status: int = 400):
        super().__init__(f"{error}: {description}")
        self.error, self.description, self.status = error, description, status

    def body(self) -> dict:
        return {"error": self.error, "error_description": self.description}
