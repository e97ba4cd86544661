"""Every name and number an admin can set or see, written once, as data.

The hosts' policy definitions, the doctor, the docs' policy reference and the
tests read this module; it imports nothing of the package, so anything may
import it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Optional, Tuple, Union

TOKEN_TYPE = "edupushplus"
TOKEN_PREFIX = "EDPP"
POLICY_GROUP = TOKEN_TYPE
ENDPOINT_PATH = f"/ttype/{TOKEN_TYPE}"
METRICS_PARAMETER = "metrics"  # GET ENDPOINT_PATH?metrics, with an admin's token: the Prometheus text format
POLL_ONLY = "poll only"  # the Firebase configuration of a token that is never pushed to

SERVER_KEY_SIZES = (2048, 3072, 4096)
DEFAULT_SERVER_KEY_SIZE = 4096
DEFAULT_CHALLENGE_VALIDITY = 120  # seconds; the hosts' own DefaultChallengeValidityTime default
MAX_SERIAL_LENGTH = 40  # the hosts' token.serial column


class Scope(str, enum.Enum):
    """The host's policy scopes, spelled as both hosts spell them."""

    ENROLL = "enrollment"
    AUTH = "authentication"


class Kind(str, enum.Enum):
    """A policy value's type, as the hosts' policy editors name them."""

    STR = "str"
    INT = "int"
    BOOL = "bool"


class RolloutState(str, enum.Enum):
    """The hosts' rollout states this token type passes through."""

    CLIENTWAIT = "clientwait"
    ENROLLED = "enrolled"


class AllowPolling(str, enum.Enum):
    ALLOW = "allow"
    DENY = "deny"
    TOKEN = "token"


class AppProfile(str, enum.Enum):
    """The app a token is enrolled with, and so the dialect its pushes speak (PROTOCOL.md, PROTOCOL-PIAPP.md).

    The QR code decides: each app ignores the other's, so a token keeps its profile until it is re-enrolled.
    """

    EDUMFA = "edumfa"  # the eduMFA Authenticator: six signed fields, nothing else
    PRIVACYIDEA = "privacyidea"  # the privacyIDEA Authenticator: number matching, code to phone, decline reasons


class PresenceOptions(str, enum.Enum):
    """Where number matching draws its options from."""

    ALPHABETIC = "ALPHABETIC"  # A to Z
    NUMERIC = "NUMERIC"  # 00 to 99
    CUSTOM = "CUSTOM"  # the admin's list (PRESENCE_CUSTOM_OPTIONS)


PolicyValue = Union[str, int, bool, None]


@dataclass(frozen=True)
class Policy:
    """One ``edupushplus_*`` action: what it is called, where it applies and what it may be."""

    name: str
    scope: Scope
    kind: Kind
    description: str
    default: PolicyValue = None
    low: Optional[int] = None
    high: Optional[int] = None
    allowed: Tuple[str, ...] = ()
    required: bool = False

    def describe(self) -> str:
        """The description with its default and bounds, as the policy editor shows it."""
        facts = []
        if self.default not in (None, "", False) and " " not in str(self.default):
            facts.append(f"default {self.default}")
        if self.low is not None and self.high is not None:
            facts.append(f"{self.low} to {self.high}")
        if not facts:
            return f"{self.description}."
        if self.description.endswith(")"):  # one pair of parentheses: "(0 turns this off; default 3; 0 to 100)"
            return f"{self.description[:-1]}; {'; '.join(facts)})."
        return f"{self.description} ({'; '.join(facts)})."


def _action(suffix: str) -> str:
    return f"{TOKEN_TYPE}_{suffix}"


SSL_VALUES = ("0", "1")

# Enrollment
FIREBASE_CONFIG = Policy(
    _action("firebase_configuration"),
    Scope.ENROLL,
    Kind.STR,
    f"Where pushes go: '{POLL_ONLY}' or the name of a Firebase gateway",
    default=POLL_ONLY,
)
REGISTRATION_URL = Policy(
    _action("registration_url"),
    Scope.ENROLL,
    Kind.STR,
    "The URL the app uses for enrollment, answers and polls: usually "
    f"https://<your server>{ENDPOINT_PATH}. No query string",
    required=True,
)
TTL = Policy(
    _action("ttl"),
    Scope.ENROLL,
    Kind.INT,
    "Minutes within which the phone must finish enrollment",
    default=10,
    low=1,
    high=24 * 60,
)
ENROLL_SSL_VERIFY = Policy(
    _action("ssl_verify"),
    Scope.ENROLL,
    Kind.STR,
    "The phone verifies TLS during enrollment",
    default="1",
    allowed=SSL_VALUES,
)
SERVER_KEY_SIZE = Policy(
    _action("server_key_size"),
    Scope.ENROLL,
    Kind.INT,
    "RSA size of the server's per-token signing key",
    default=DEFAULT_SERVER_KEY_SIZE,
    low=min(SERVER_KEY_SIZES),
    high=max(SERVER_KEY_SIZES),
    allowed=tuple(map(str, SERVER_KEY_SIZES)),
)
FORCE_APP_PIN = Policy(
    _action("force_app_pin"),
    Scope.ENROLL,
    Kind.BOOL,
    "The user must unlock the app before accepting a push",
)
APP_PROFILE = Policy(
    _action("app_profile"),
    Scope.ENROLL,
    Kind.STR,
    "The app new tokens are enrolled with: edumfa (the eduMFA Authenticator) or privacyidea (the privacyIDEA "
    "Authenticator, which can do number matching and code to phone)",
    default=AppProfile.EDUMFA.value,
    allowed=tuple(profile.value for profile in AppProfile),
)
APP_PROFILE_PARAMETER = "app_profile"  # /token/init's choice of app (the web UI form's), where no policy decides
USE_PIA_SCHEME = Policy(
    _action("use_pia_scheme"),
    Scope.ENROLL,
    Kind.BOOL,
    "QR codes of privacyIDEA-profile tokens start with pia://pipush/ instead of otpauth://pipush/",
)

# Authentication
MOBILE_TEXT = Policy(
    _action("text_on_mobile"),
    Scope.AUTH,
    Kind.STR,
    "The question the user sees on the phone",
    default="Do you want to confirm the login?",
)
MOBILE_TITLE = Policy(
    _action("title_on_mobile"),
    Scope.AUTH,
    Kind.STR,
    "The title of the notification on the phone",
    default="eduMFA",
)
AUTH_SSL_VERIFY = Policy(
    ENROLL_SSL_VERIFY.name,
    Scope.AUTH,
    Kind.STR,
    "The phone verifies TLS when it answers",
    default="1",
    allowed=SSL_VALUES,
)
WAIT = Policy(
    _action("wait"),
    Scope.AUTH,
    Kind.INT,
    "A /validate/check with the PIN sends the push and waits up to this many seconds for the phone's answer",
    low=1,
    high=300,
)
SYNCHRONOUS_DELIVERY = Policy(
    _action("synchronous_delivery"),
    Scope.AUTH,
    Kind.BOOL,
    "Send to Firebase inside the login request (one attempt; retries continue in the background) so a "
    "failure shows in the response. Default: in the background",
)
ALLOW_POLLING = Policy(
    _action("allow_polling"),
    Scope.AUTH,
    Kind.STR,
    "Whether phones may poll for challenges: allow, deny, or per token (tokeninfo polling_allowed)",
    default=AllowPolling.ALLOW.value,
    allowed=tuple(choice.value for choice in AllowPolling),
)
CHALLENGE_VALIDITY = Policy(
    _action("challenge_validity"),
    Scope.AUTH,
    Kind.INT,
    f"Seconds a push login request stays valid (default: the host's challenge validity, {DEFAULT_CHALLENGE_VALIDITY})",
    low=10,
    high=600,
)
MAX_OPEN = Policy(
    _action("max_open_requests"),
    Scope.AUTH,
    Kind.INT,
    "Open push requests a token may have; further logins are refused until one is answered or expires",
    default=1,
    low=1,
    high=10,
)
MIN_INTERVAL = Policy(
    _action("min_interval"),
    Scope.AUTH,
    Kind.INT,
    "Seconds between two pushes to the same user",
    default=5,
    low=0,
    high=3600,
)
MAX_PER_HOUR = Policy(
    _action("max_per_hour"),
    Scope.AUTH,
    Kind.INT,
    "Pushes per user and hour",
    default=30,
    low=1,
    high=1000,
)
DECLINE_LIMIT = Policy(
    _action("decline_limit"),
    Scope.AUTH,
    Kind.INT,
    "Declines within the decline window that pause pushes to the user (0 turns this off)",
    default=3,
    low=0,
    high=100,
)
DECLINE_WINDOW = Policy(
    _action("decline_window"),
    Scope.AUTH,
    Kind.INT,
    "Seconds within which the declines are counted",
    default=600,
    low=1,
    high=43200,
)
DECLINE_COOLDOWN = Policy(
    _action("decline_cooldown"),
    Scope.AUTH,
    Kind.INT,
    "Seconds pushes stay paused after too many declines",
    default=900,
    low=1,
    high=43200,
)
FINALIZE_WINDOW = Policy(
    _action("finalize_window"),
    Scope.AUTH,
    Kind.INT,
    "Seconds after a push login request expires within which its accept may still complete the login "
    "(/validate/check with the transaction_id); later, the accept is void (0: only until it expires)",
    default=300,
    low=0,
    high=3600,
)
COOLDOWN_ALLOWS_POLL = Policy(
    _action("cooldown_allows_poll"),
    Scope.AUTH,
    Kind.BOOL,
    "During a decline cool-down, still create the login request (without a push), so a user who started "
    "the login can approve it by polling in the app",
)

REQUIRE_PRESENCE = Policy(
    _action("require_presence"),
    Scope.AUTH,
    Kind.BOOL,
    "Number matching for privacyIDEA-profile tokens: the login shows one of several options and the user "
    "presses it on the phone; a wrong button declines the login. Not with push_wait",
)
PRESENCE_OPTIONS = Policy(
    _action("presence_options"),
    Scope.AUTH,
    Kind.STR,
    "Where number matching draws its options from: ALPHABETIC (A-Z), NUMERIC (00-99) or CUSTOM",
    default=PresenceOptions.ALPHABETIC.value,
    allowed=tuple(choice.value for choice in PresenceOptions),
)
PRESENCE_CUSTOM_OPTIONS = Policy(
    _action("presence_custom_options"),
    Scope.AUTH,
    Kind.STR,
    "The options of CUSTOM number matching, separated by ':' (e.g. red:green:blue); no ',' inside an option",
)
PRESENCE_NUM_OPTIONS = Policy(
    _action("presence_num_options"),
    Scope.AUTH,
    Kind.INT,
    "How many options the phone shows in number matching",
    default=3,
    low=2,
    high=10,
)
CODE_TO_PHONE = Policy(
    _action("code_to_phone"),
    Scope.AUTH,
    Kind.BOOL,
    "For privacyIDEA-profile tokens: an accept on the phone shows a code there, and the login completes "
    "when the user types it (/validate/check with pass=<code> and the transaction_id). Number matching, "
    "where also set, comes first. Not with push_wait",
)
CODE_TO_PHONE_MESSAGE = Policy(
    _action("code_to_phone_message"),
    Scope.AUTH,
    Kind.STR,
    "The text the phone shows with the code",
    default="Enter the code to log in",
)

POLICIES: Tuple[Policy, ...] = (
    FIREBASE_CONFIG,
    REGISTRATION_URL,
    TTL,
    ENROLL_SSL_VERIFY,
    SERVER_KEY_SIZE,
    FORCE_APP_PIN,
    APP_PROFILE,
    USE_PIA_SCHEME,
    MOBILE_TEXT,
    MOBILE_TITLE,
    AUTH_SSL_VERIFY,
    WAIT,
    SYNCHRONOUS_DELIVERY,
    ALLOW_POLLING,
    CHALLENGE_VALIDITY,
    MAX_OPEN,
    MIN_INTERVAL,
    MAX_PER_HOUR,
    DECLINE_LIMIT,
    DECLINE_WINDOW,
    DECLINE_COOLDOWN,
    COOLDOWN_ALLOWS_POLL,
    FINALIZE_WINDOW,
    REQUIRE_PRESENCE,
    PRESENCE_OPTIONS,
    PRESENCE_CUSTOM_OPTIONS,
    PRESENCE_NUM_OPTIONS,
    CODE_TO_PHONE,
    CODE_TO_PHONE_MESSAGE,
)
LIMITS: Tuple[Policy, ...] = (
    CHALLENGE_VALIDITY,
    MAX_OPEN,
    MIN_INTERVAL,
    MAX_PER_HOUR,
    DECLINE_LIMIT,
    DECLINE_WINDOW,
    DECLINE_COOLDOWN,
)


def policies_in(scope: Scope) -> Tuple[Policy, ...]:
    return tuple(policy for policy in POLICIES if policy.scope is scope)


def policy_named(name: str, scope: Scope) -> Optional[Policy]:
    return next((policy for policy in policies_in(scope) if policy.name == name), None)


# Host policies this token type reads (the hosts name them the same)
CHALLENGE_TEXT_ACTION = "challenge_text"
DEFAULT_CHALLENGE_TEXT = "Please confirm the authentication on your mobile device!"
DEFAULT_CODE_TO_PHONE_TEXT = "Please enter the code displayed on your smartphone."
PRESENCE_ANSWER_TAG = "{presence_answer}"  # where the challenge text wants the option to press
PRESENCE_PROMPT = " Please press: {}"  # appended to a challenge text without the tag (privacyIDEA's words)
HOST_FORCE_APP_PIN = "force_app_pin"
HOST_APP_IMAGE_URL = "appimageurl"


class Info:
    """The tokeninfo keys of an edupushplus token.

    The first four are named as the hosts' built-in push tokens name them, so
    admins recognise them and a migration between the two stays simple.
    """

    PHONE_KEY = "public_key_smartphone"
    FIREBASE_TOKEN = "firebase_token"
    SERVER_PUBLIC_KEY = "public_key_server"
    SERVER_PRIVATE_KEY = "private_key_server"
    ENROLLMENT_CREDENTIAL = "enrollment_credential"
    ENROLLMENT_DEADLINE = "enrollment_deadline"
    REGISTRATION_URL = "registration_url"
    SSL_VERIFY = "sslverify"
    TTL = "ttl_minutes"
    SERVER_KEY_SIZE = "server_key_size"
    FIREBASE_CONFIG = FIREBASE_CONFIG.name
    POLLING_ALLOWED = "polling_allowed"
    REGISTRATION_STATE = "firebase_token_state"
    UNREGISTERED_AT = "firebase_token_unregistered_at"
    FIREBASE_TOKEN_UPDATED = "firebase_token_updated_at"  # the phone's time of the last update applied
    APP_PROFILE = "app_profile"  # an AppProfile value; absent on tokens enrolled before profiles: edumfa
    APP_CAPABILITIES = "app_capabilities"  # what the privacyIDEA app said it can do at enrollment (JSON list)


class Config:
    """Keys of the host's config file (edumfa.cfg) that this package reads."""

    PUSH_WAIT_SLOTS = "EDUPUSH_PUSH_WAIT_SLOTS"
    KEY_POOL_SIZE = "EDUPUSH_KEY_POOL_SIZE"
    FCM_URL = "EDUPUSH_FCM_URL"
    FCM_TIMEOUT = "EDUPUSH_FCM_TIMEOUT"
    CHALLENGE_VALIDITY = "EdupushplusChallengeValidityTime"  # a host config entry, like the host's own
    HOST_CHALLENGE_VALIDITY = "DefaultChallengeValidityTime"


DEFAULT_KEY_POOL_SIZE = 8
DEFAULT_FCM_URL = "https://fcm.googleapis.com"
DEFAULT_FCM_TIMEOUT = 5.0

# The outbox: a push still to be sent is held by one process at a time, for at most LEASE_SECONDS (far more
# than one attempt takes, DEFAULT_FCM_TIMEOUT); after that any process takes it over.
LEASE_SECONDS = 30.0
# An attempt may fetch an OAuth token and then send: two HTTP requests, each ending within the FCM timeout. An
# attempt starts only if both can end before its lease does, so the lease needs no renewal.
ATTEMPT_REQUESTS = 2
LEASE_OWNER_LENGTH = 64
OUTBOX_BATCH = 20  # pushes one process takes over per sweep

EDUMFA_PLUGIN_MODULE = "edupush_token.edumfa_plugin"
EDUMFA_WORKER_MODULE = "edupush_token.hosts.edumfa.worker"  # its post_worker_init starts a worker's sweeps at boot
EDUMFA_CONFIG_FILE = "/etc/edumfa/edumfa.cfg"
# Flask-SQLAlchemy's engine options in the host's config, and the one that lets pooled connections survive a
# database restart (each is tested before use instead of failing the request that draws it).
ENGINE_OPTIONS = "SQLALCHEMY_ENGINE_OPTIONS"
POOL_PRE_PING = "pool_pre_ping"
EDUMFA_CONFIG_FILE_VARIABLE = "EDUMFA_CONFIGFILE"  # the environment variable eduMFA's app factory reads
EDUMFA_FIREBASE_PROVIDER = "edumfa.lib.smsprovider.FirebaseProvider.FirebaseProvider"
FIREBASE_SERVICE_ACCOUNT_OPTION = "JSON config file"  # the Firebase provider's option name

PRIVACYIDEA_PLUGIN_MODULE = "edupush_token.privacyidea_plugin"
PRIVACYIDEA_CONFIG_FILE = "/etc/privacyidea/pi.cfg"
PRIVACYIDEA_CONFIG_FILE_VARIABLE = "PRIVACYIDEA_CONFIGFILE"  # the environment variable privacyIDEA's app factory reads
PRIVACYIDEA_FIREBASE_PROVIDER = "privacyidea.lib.smsprovider.FirebaseProvider.FirebaseProvider"
# privacyIDEA 3.14 may keep challenges in Redis instead of its challenge table, which this plugin reads and writes.
PRIVACYIDEA_REDIS_CHALLENGES = "PI_REDIS_CACHE_CHALLENGES"
