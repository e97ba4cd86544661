"""The ``edupushplus_*`` policies: their definitions and how a request reads them.

Values are read from eduMFA's policies only, never from request parameters,
so a client cannot, for example, lengthen its own push_wait or pick its own
registration URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Callable, Optional

from edumfa.lib import _
from edumfa.lib.error import PolicyError
from edumfa.lib.policy import ACTION, SCOPE, Match
from edumfa.lib.smsprovider.SMSProvider import get_smsgateway
from edumfa.lib.user import User

from ... import TOKEN_TYPE
from ...crypto import DEFAULT_SERVER_KEY_SIZE, SERVER_KEY_SIZES
from ...delivery import POLL_ONLY
from ...limits import PushLimits
from ...wire import WireError
from ...wire.dart_url import canonical_url

FIREBASE_GATEWAY_TYPE = "edumfa.lib.smsprovider.FirebaseProvider.FirebaseProvider"
POLICY_GROUP = "edupushplus"
DEFAULT_TTL_MINUTES = 10
MAX_TTL_MINUTES = 24 * 60
MAX_WAIT_SECONDS = 300
DEFAULT_QUESTION = "Do you want to confirm the login?"
DEFAULT_TITLE = "eduMFA"
DEFAULT_CHALLENGE_TEXT = "Please confirm the authentication on your mobile device!"


class Action:
    FIREBASE_CONFIG = f"{TOKEN_TYPE}_firebase_configuration"
    REGISTRATION_URL = f"{TOKEN_TYPE}_registration_url"
    TTL = f"{TOKEN_TYPE}_ttl"
    SSL_VERIFY = f"{TOKEN_TYPE}_ssl_verify"
    SERVER_KEY_SIZE = f"{TOKEN_TYPE}_server_key_size"
    FORCE_APP_PIN = f"{TOKEN_TYPE}_{ACTION.FORCE_APP_PIN}"
    MOBILE_TEXT = f"{TOKEN_TYPE}_text_on_mobile"
    MOBILE_TITLE = f"{TOKEN_TYPE}_title_on_mobile"
    WAIT = f"{TOKEN_TYPE}_wait"
    SYNCHRONOUS_DELIVERY = f"{TOKEN_TYPE}_synchronous_delivery"
    CHALLENGE_VALIDITY = f"{TOKEN_TYPE}_challenge_validity"
    MAX_OPEN = f"{TOKEN_TYPE}_max_open_requests"
    MIN_INTERVAL = f"{TOKEN_TYPE}_min_interval"
    MAX_PER_HOUR = f"{TOKEN_TYPE}_max_per_hour"
    DECLINE_LIMIT = f"{TOKEN_TYPE}_decline_limit"
    DECLINE_WINDOW = f"{TOKEN_TYPE}_decline_window"
    DECLINE_COOLDOWN = f"{TOKEN_TYPE}_decline_cooldown"
    COOLDOWN_ALLOWS_POLL = f"{TOKEN_TYPE}_cooldown_allows_poll"
    ALLOW_POLLING = f"{TOKEN_TYPE}_allow_polling"


class AllowPolling:
    ALLOW = "allow"
    DENY = "deny"
    TOKEN = "token"


LIMIT_POLICIES = {
    Action.CHALLENGE_VALIDITY: ("Seconds a push login request stays valid (default: eduMFA's challenge validity, 120).", 10, 600),
    Action.MAX_OPEN: ("Open push requests a token may have; further logins are refused until one is answered or expires (default 1).", 1, 10),
    Action.MIN_INTERVAL: ("Seconds between two pushes to the same user (default 5).", 0, 3600),
    Action.MAX_PER_HOUR: ("Pushes per user and hour (default 30).", 1, 1000),
    Action.DECLINE_LIMIT: ("Declines within the decline window that pause pushes to the user (default 3; 0 turns this off).", 0, 100),
    Action.DECLINE_WINDOW: ("Seconds within which the declines are counted (default 600).", 1, 43200),
    Action.DECLINE_COOLDOWN: ("Seconds pushes stay paused after too many declines (default 900).", 1, 43200),
}


@dataclass(frozen=True)
class EnrollmentSettings:
    registration_url: str
    ttl_minutes: int
    sslverify: bool
    firebase_configuration: str
    server_key_size: int


@dataclass(frozen=True)
class AuthSettings:
    question: str
    title: str
    sslverify: bool
    challenge_text: str


def definitions() -> dict:
    """Policy definitions as eduMFA's policy editor shows them."""
    gateways = [POLL_ONLY] + [gw.identifier for gw in get_smsgateway(gwtype=FIREBASE_GATEWAY_TYPE)]
    ssl_values = ["0", "1"]
    return {
        SCOPE.ENROLL: {
            Action.FIREBASE_CONFIG: _entry("str", "Where pushes go: 'poll only' or an eduMFA Firebase gateway.", value=gateways),
            Action.REGISTRATION_URL: _entry(
                "str",
                "The URL the app uses for enrollment, answers and polls: usually "
                f"https://<your server>/ttype/{TOKEN_TYPE}. No query string.",
                required=True,
            ),
            Action.TTL: _entry("int", f"Minutes within which the phone must finish enrollment (default {DEFAULT_TTL_MINUTES})."),
            Action.SSL_VERIFY: _entry("str", "The phone verifies TLS during enrollment (default 1).", value=ssl_values),
            Action.SERVER_KEY_SIZE: _entry(
                "int",
                f"RSA size of the server's per-token signing key (default {DEFAULT_SERVER_KEY_SIZE}).",
                value=list(SERVER_KEY_SIZES),
            ),
            Action.FORCE_APP_PIN: _entry("bool", "The user must unlock the app before accepting a push."),
        },
        SCOPE.AUTH: {
            Action.MOBILE_TEXT: _entry("str", "The question the user sees on the phone."),
            Action.MOBILE_TITLE: _entry("str", "The title of the notification on the phone."),
            Action.SSL_VERIFY: _entry("str", "The phone verifies TLS when it answers (default 1).", value=ssl_values),
            Action.WAIT: _entry(
                "int",
                "A /validate/check with the PIN sends the push and waits up to this many "
                f"seconds (at most {MAX_WAIT_SECONDS}) for the phone's answer.",
            ),
            Action.SYNCHRONOUS_DELIVERY: _entry(
                "bool",
                "Send to Firebase inside the login request (one attempt; retries continue in the "
                "background) so a failure shows in the response. Default: in the background.",
            ),
            Action.ALLOW_POLLING: _entry(
                "str",
                "Whether phones may poll for challenges: allow, deny, or per token (tokeninfo polling_allowed).",
                value=[AllowPolling.ALLOW, AllowPolling.DENY, AllowPolling.TOKEN],
            ),
            **{action: _entry("int", description) for action, (description, *_bounds) in LIMIT_POLICIES.items()},
            Action.COOLDOWN_ALLOWS_POLL: _entry(
                "bool",
                "During a decline cool-down, still create the login request (without a push), "
                "so a user who started the login can approve it by polling in the app.",
            ),
        },
    }


def _entry(kind: str, description: str, value: Optional[list] = None, required: bool = False) -> dict:
    entry = {"type": kind, "desc": _(description), "group": POLICY_GROUP}
    if value is not None:
        entry["value"] = value
    if required:
        entry["required"] = True
    return entry


def read_enrollment_settings(g, user) -> EnrollmentSettings:
    registration_url = _value(g, SCOPE.ENROLL, Action.REGISTRATION_URL, user)
    if not registration_url:
        raise PolicyError(f"Missing enrollment policy for {TOKEN_TYPE}: {Action.REGISTRATION_URL}")
    firebase = _value(g, SCOPE.ENROLL, Action.FIREBASE_CONFIG, user) or POLL_ONLY
    if firebase != POLL_ONLY and not get_smsgateway(identifier=firebase, gwtype=FIREBASE_GATEWAY_TYPE):
        raise PolicyError(f"{Action.FIREBASE_CONFIG}: there is no Firebase gateway named {firebase!r}.")
    return EnrollmentSettings(
        registration_url=validate_registration_url(registration_url),
        ttl_minutes=_number(g, SCOPE.ENROLL, Action.TTL, user, DEFAULT_TTL_MINUTES, 1, MAX_TTL_MINUTES),
        sslverify=_ssl_verify(g, SCOPE.ENROLL, user),
        firebase_configuration=firebase,
        server_key_size=_key_size(g, user),
    )


def read_auth_settings(g, user) -> AuthSettings:
    return AuthSettings(
        question=_value(g, SCOPE.AUTH, Action.MOBILE_TEXT, user) or DEFAULT_QUESTION,
        title=_value(g, SCOPE.AUTH, Action.MOBILE_TITLE, user) or DEFAULT_TITLE,
        sslverify=_ssl_verify(g, SCOPE.AUTH, user),
        challenge_text=_value(g, SCOPE.AUTH, ACTION.CHALLENGETEXT, user) or DEFAULT_CHALLENGE_TEXT,
    )


def read_registration_url(g, user) -> Optional[str]:
    value = _value(g, SCOPE.ENROLL, Action.REGISTRATION_URL, user)
    return validate_registration_url(value) if value else None


def read_wait_seconds(g, user) -> Optional[int]:
    """The push_wait time for this login, or None where push_wait is off."""
    if g is None or not _value(g, SCOPE.AUTH, Action.WAIT, user):
        return None
    return _number(g, SCOPE.AUTH, Action.WAIT, user, 0, 1, MAX_WAIT_SECONDS)


def read_synchronous_delivery(g, user) -> bool:
    return _enabled(g, Action.SYNCHRONOUS_DELIVERY, user)


def read_cooldown_allows_poll(g, user) -> bool:
    return _enabled(g, Action.COOLDOWN_ALLOWS_POLL, user)


def read_challenge_validity(g, user, default: int) -> int:
    return _limit(g, Action.CHALLENGE_VALIDITY, user, default)


def read_push_limits(g, user) -> PushLimits:
    defaults = PushLimits()
    return PushLimits(
        max_open=_limit(g, Action.MAX_OPEN, user, defaults.max_open),
        min_interval=timedelta(seconds=_limit(g, Action.MIN_INTERVAL, user, int(defaults.min_interval.total_seconds()))),
        max_per_hour=_limit(g, Action.MAX_PER_HOUR, user, defaults.max_per_hour),
        decline_limit=_limit(g, Action.DECLINE_LIMIT, user, defaults.decline_limit),
        decline_window=timedelta(seconds=_limit(g, Action.DECLINE_WINDOW, user, int(defaults.decline_window.total_seconds()))),
        cooldown=timedelta(seconds=_limit(g, Action.DECLINE_COOLDOWN, user, int(defaults.cooldown.total_seconds()))),
    )


def _limit(g, action: str, user, default: int) -> int:
    if g is None:
        return default
    _description, low, high = LIMIT_POLICIES[action]
    return _number(g, SCOPE.AUTH, action, user, default, low, high)


def _enabled(g, action: str, user) -> bool:
    if g is None:
        return False
    return Match.user(g, scope=SCOPE.AUTH, action=action, user_object=user).any(write_to_audit_log=False)


def read_allow_polling(g, owner: Callable[[], Optional[User]]) -> str:
    """Polling is allowed unless a policy says otherwise; the owner is looked up only if one might.

    The phone polls every few seconds, and resolving the token's owner is
    most of the cost of matching a user's policies.
    """
    if not g.policy_object.list_policies(scope=SCOPE.AUTH, action=Action.ALLOW_POLLING, active=True):
        return AllowPolling.ALLOW
    value = _value(g, SCOPE.AUTH, Action.ALLOW_POLLING, owner()) or AllowPolling.ALLOW
    if value not in (AllowPolling.ALLOW, AllowPolling.DENY, AllowPolling.TOKEN):
        raise PolicyError(f"{Action.ALLOW_POLLING} must be allow, deny or token, not {value!r}.")
    return value


def validate_registration_url(url: str) -> str:
    """The canonical form the app will sign-check; query strings break unencoded polls."""
    try:
        canonical = canonical_url(url)
    except WireError as error:
        raise PolicyError(f"{Action.REGISTRATION_URL}: {error}") from None
    if "?" in canonical or "#" in canonical:
        raise PolicyError(
            f"{Action.REGISTRATION_URL} must not contain a query string or fragment: the app "
            "appends its poll parameters without encoding them."
        )
    return canonical


def _value(g, scope: str, action: str, user) -> Optional[str]:
    values = Match.user(g, scope=scope, action=action, user_object=user).action_values(
        unique=True, allow_white_space_in_action=True, write_to_audit_log=False
    )
    return next(iter(values)) if values else None


def _number(g, scope: str, action: str, user, default: int, low: int, high: int) -> int:
    raw = _value(g, scope, action, user)
    if raw is None:
        return default
    try:
        number = int(raw)
    except (TypeError, ValueError):
        number = None
    if number is None or not low <= number <= high:
        raise PolicyError(f"{action} must be a whole number from {low} to {high}, not {raw!r}.")
    return number


def _ssl_verify(g, scope: str, user) -> bool:
    raw = _value(g, scope, Action.SSL_VERIFY, user) or "1"
    if raw not in ("0", "1"):
        raise PolicyError(f"{Action.SSL_VERIFY} must be 0 or 1, not {raw!r}.")
    return raw == "1"


def _key_size(g, user) -> int:
    size = _number(g, SCOPE.ENROLL, Action.SERVER_KEY_SIZE, user, DEFAULT_SERVER_KEY_SIZE, min(SERVER_KEY_SIZES), max(SERVER_KEY_SIZES))
    if size not in SERVER_KEY_SIZES:
        raise PolicyError(f"{Action.SERVER_KEY_SIZE} must be one of {SERVER_KEY_SIZES}, not {size}.")
    return size
