"""The ``edupushplus_*`` policies as typed settings, checked against the catalogue.

Values come from the host's policies only, never from request parameters, so
a client cannot, for example, lengthen its own push_wait or pick its own
registration URL.  A value out of range is an admin's mistake: it raises
:class:`PolicyValueError`, which names the policy.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import timedelta
from typing import Callable, Optional

from .. import catalogue
from ..catalogue import AllowPolling, AppProfile, Kind, Policy, PresenceOptions, Scope
from ..errors import PolicyValueError, WireError
from ..limits import PushLimits
from ..ports import PolicyReader
from ..wire.dart_url import canonical_url
from ..wire.pi_app import presence
from ..wire.templates import check_template


@dataclass(frozen=True)
class EnrollmentSettings:
    registration_url: str
    ttl_minutes: int
    sslverify: bool
    firebase_configuration: str
    server_key_size: int
    app_profile: AppProfile = AppProfile.EDUMFA
    pia_scheme: bool = False


@dataclass(frozen=True)
class AuthSettings:
    question: str
    title: str
    sslverify: bool
    challenge_text: str


def enrollment_settings(
    policies: PolicyReader, gateway_exists: Callable[[str], bool], requested_profile: Optional[str] = None
) -> EnrollmentSettings:
    """The enrollment's settings; the app profile is the policy's, or the enrolling user's pick where none sets it."""
    registration_url = _text(policies, catalogue.REGISTRATION_URL)
    if not registration_url:
        raise PolicyValueError(
            f"Missing enrollment policy for {catalogue.TOKEN_TYPE}: {catalogue.REGISTRATION_URL.name}"
        )
    firebase = _text(policies, catalogue.FIREBASE_CONFIG) or catalogue.POLL_ONLY
    if firebase != catalogue.POLL_ONLY and not gateway_exists(firebase):
        raise PolicyValueError(f"{catalogue.FIREBASE_CONFIG.name}: there is no Firebase gateway named {firebase!r}.")
    return EnrollmentSettings(
        registration_url=valid_registration_url(registration_url),
        ttl_minutes=number(policies, catalogue.TTL),
        sslverify=_ssl_verify(policies, catalogue.ENROLL_SSL_VERIFY),
        firebase_configuration=firebase,
        server_key_size=_key_size(policies),
        app_profile=_app_profile(policies, requested_profile),
        pia_scheme=enabled(policies, catalogue.USE_PIA_SCHEME),
    )


@dataclass(frozen=True)
class PresenceSettings:
    kind: PresenceOptions
    custom: str
    count: int


def presence_settings(policies: PolicyReader) -> PresenceSettings:
    """Number matching's settings, whether or not it is on."""
    return PresenceSettings(
        kind=PresenceOptions(_choice(policies, catalogue.PRESENCE_OPTIONS)),
        custom=_text(policies, catalogue.PRESENCE_CUSTOM_OPTIONS) or "",
        count=number(policies, catalogue.PRESENCE_NUM_OPTIONS),
    )


def presence_pool(policies: PolicyReader) -> Optional[tuple[tuple[str, ...], int]]:
    """Number matching's options to draw from and how many to offer, or None where it is off."""
    if not enabled(policies, catalogue.REQUIRE_PRESENCE):
        return None
    chosen = presence_settings(policies)
    try:
        pool = presence.available(chosen.kind, chosen.custom)
    except WireError as error:
        raise PolicyValueError(f"{catalogue.PRESENCE_CUSTOM_OPTIONS.name}: {error}") from None
    return pool, chosen.count


def code_to_phone_message(policies: PolicyReader) -> str:
    return _text(policies, catalogue.CODE_TO_PHONE_MESSAGE) or str(catalogue.CODE_TO_PHONE_MESSAGE.default)


def auth_settings(policies: PolicyReader) -> AuthSettings:
    return AuthSettings(
        question=_text(policies, catalogue.MOBILE_TEXT) or str(catalogue.MOBILE_TEXT.default),
        title=_text(policies, catalogue.MOBILE_TITLE) or str(catalogue.MOBILE_TITLE.default),
        sslverify=_ssl_verify(policies, catalogue.AUTH_SSL_VERIFY),
        challenge_text=policies.value(Scope.AUTH, catalogue.CHALLENGE_TEXT_ACTION) or catalogue.DEFAULT_CHALLENGE_TEXT,
    )


def registration_url(policies: PolicyReader) -> Optional[str]:
    value = _text(policies, catalogue.REGISTRATION_URL)
    return valid_registration_url(value) if value else None


def wait_seconds(policies: Optional[PolicyReader]) -> Optional[int]:
    """The push_wait time for this login, or None where push_wait is off."""
    if policies is None or not _text(policies, catalogue.WAIT):
        return None
    return number(policies, catalogue.WAIT)


def challenge_validity(policies: PolicyReader, configured: int) -> int:
    return number(policies, catalogue.CHALLENGE_VALIDITY, configured)


def finalize_window(policies: PolicyReader) -> timedelta:
    """How long after its expiry an accepted push may still complete the login."""
    return timedelta(seconds=number(policies, catalogue.FINALIZE_WINDOW))


def enabled(policies: Optional[PolicyReader], policy: Policy) -> bool:
    return policies is not None and policies.enabled(policy.scope, policy.name)


def push_limits(policies: PolicyReader) -> PushLimits:
    def seconds(policy: Policy) -> timedelta:
        return timedelta(seconds=number(policies, policy))

    return PushLimits(
        max_open=number(policies, catalogue.MAX_OPEN),
        min_interval=seconds(catalogue.MIN_INTERVAL),
        max_per_hour=number(policies, catalogue.MAX_PER_HOUR),
        decline_limit=number(policies, catalogue.DECLINE_LIMIT),
        decline_window=seconds(catalogue.DECLINE_WINDOW),
        cooldown=seconds(catalogue.DECLINE_COOLDOWN),
    )


def allow_polling(policies: Callable[[], PolicyReader], defined_anywhere: bool) -> AllowPolling:
    """Polling is allowed unless a policy says otherwise; the owner's policies are read only if one might.

    The phone polls every few seconds, and resolving the token's owner is
    most of the cost of matching a user's policies.
    """
    if not defined_anywhere:
        return AllowPolling.ALLOW
    value = _text(policies(), catalogue.ALLOW_POLLING) or AllowPolling.ALLOW.value
    try:
        return AllowPolling(value)
    except ValueError:
        choices = ", ".join(catalogue.ALLOW_POLLING.allowed)
        raise PolicyValueError(f"{catalogue.ALLOW_POLLING.name} must be one of {choices}, not {value!r}.") from None


@functools.lru_cache(maxsize=64)  # a pure function of the policy's text, read on every login
def valid_registration_url(url: str) -> str:
    """The canonical form the app will sign-check; query strings break unencoded polls."""
    name = catalogue.REGISTRATION_URL.name
    try:
        canonical = canonical_url(url)
    except WireError as error:
        raise PolicyValueError(f"{name}: {error}") from None
    if "?" in canonical or "#" in canonical:
        raise PolicyValueError(
            f"{name} must not contain a query string or fragment: the app appends its poll parameters "
            "without encoding them."
        )
    return canonical


def number(policies: PolicyReader, policy: Policy, default: Optional[int] = None) -> int:
    """A whole-number policy within its catalogue bounds, or its default where none sets it."""
    raw = _text(policies, policy)
    fallback = policy.default if default is None else default
    if raw is None:
        return int(fallback or 0)
    return _whole_number(policy, raw)


def _whole_number(policy: Policy, raw: str) -> int:
    try:
        value: Optional[int] = int(raw)
    except (TypeError, ValueError):
        value = None
    low, high = policy.low, policy.high
    if value is None or (low is not None and value < low) or (high is not None and value > high):
        raise PolicyValueError(f"{policy.name} must be a whole number from {low} to {high}, not {raw!r}.")
    return value


def check_value(policy: Policy, raw: object) -> None:
    """Refuse, before it is stored, a value that logins or enrollments would refuse later.

    ``raw`` is the action's value as the host keeps it: True for an action
    written without a value.  A switch (``Kind.BOOL``) is on wherever its
    name appears, whatever follows it, so ``=false`` would silently mean on.
    Whether a Firebase gateway exists is the host's to say, not checked here.
    """
    if policy.kind is Kind.BOOL:
        if raw is not True and str(raw).strip().lower() not in ("true", "1"):
            raise PolicyValueError(
                f"{policy.name} is a switch: write it without a value to turn it on, and leave it out to turn "
                f"it off (={raw} would turn it on)."
            )
        return
    if raw is True or not str(raw).strip():
        raise PolicyValueError(f"{policy.name} needs a value: {policy.describe()}")
    text = str(raw).strip()
    if policy.kind is Kind.INT:
        _whole_number(policy, text)
    if policy.allowed and text not in policy.allowed:
        raise PolicyValueError(f"{policy.name} must be one of {', '.join(policy.allowed)}, not {text!r}.")
    if policy is catalogue.REGISTRATION_URL:
        valid_registration_url(text)
    elif policy is catalogue.PRESENCE_CUSTOM_OPTIONS:
        try:
            presence.available(PresenceOptions.CUSTOM, text)
        except WireError as error:
            raise PolicyValueError(f"{policy.name}: {error}") from None
    elif policy in (catalogue.MOBILE_TEXT, catalogue.MOBILE_TITLE):
        try:
            check_template(text)
        except WireError as error:
            raise PolicyValueError(f"{policy.name}: {error}") from None


def _text(policies: PolicyReader, policy: Policy) -> Optional[str]:
    return policies.value(policy.scope, policy.name)


def _app_profile(policies: PolicyReader, requested: Optional[str]) -> AppProfile:
    if _text(policies, catalogue.APP_PROFILE) is not None or not requested:
        return AppProfile(_choice(policies, catalogue.APP_PROFILE))
    try:
        return AppProfile(requested)
    except ValueError:
        choices = ", ".join(catalogue.APP_PROFILE.allowed)
        raise PolicyValueError(
            f"{catalogue.APP_PROFILE_PARAMETER} must be one of {choices}, not {requested!r}."
        ) from None


def _choice(policies: PolicyReader, policy: Policy) -> str:
    """One of the policy's allowed values, its default where none is set."""
    raw = _text(policies, policy) or str(policy.default)
    if raw not in policy.allowed:
        raise PolicyValueError(f"{policy.name} must be one of {', '.join(policy.allowed)}, not {raw!r}.")
    return raw


def _ssl_verify(policies: PolicyReader, policy: Policy) -> bool:
    raw = _text(policies, policy) or str(policy.default)
    if raw not in policy.allowed:
        raise PolicyValueError(f"{policy.name} must be 0 or 1, not {raw!r}.")
    return raw == "1"


def _key_size(policies: PolicyReader) -> int:
    size = number(policies, catalogue.SERVER_KEY_SIZE)
    if size not in catalogue.SERVER_KEY_SIZES:
        raise PolicyValueError(
            f"{catalogue.SERVER_KEY_SIZE.name} must be one of {catalogue.SERVER_KEY_SIZES}, not {size}."
        )
    return size
