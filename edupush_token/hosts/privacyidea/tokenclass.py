"""The ``edupushplus`` token type as privacyIDEA 3.14 sees it.

privacyIDEA registers only the token classes *defined* in a listed module, so
:mod:`edupush_token.privacyidea_plugin` subclasses this base and adds nothing.
The hooks are shared with eduMFA (:mod:`..common_token`); this module names
privacyIDEA's errors and helpers, declares the token info the class owns
(3.14 refuses generic writes to owned keys) and hands a phone's answer to
privacyIDEA's authentication log.
"""

from __future__ import annotations

from typing import Any

from privacyidea.lib.conditional_access.authentication_event_types import AuthEventReason, AuthEventType
from privacyidea.lib.decorators import check_token_locked
from privacyidea.lib.tokenclass import AuthenticationMode, ClientMode, TokenClass
from privacyidea.lib.tokens.pushtoken import PUSH_AUTH_EVENT, PUSH_AUTH_REASON, PUSH_AUTH_TRANSACTION_ID

from ...catalogue import Info
from ...wire.requests import ChallengeAnswer
from ..common_token import PushTokenHooks
from ..token_host import fork_token_host
from .library import LIBRARY
from .ports import privacyidea_ports


def _answered(g: Any, answer: ChallengeAnswer, applied: bool) -> None:
    """What privacyIDEA's /ttype dispatch writes to its authentication log for a phone's answer."""
    if not applied:
        event, reasons = AuthEventType.CHALLENGE_ANSWERED_FAIL, []
    elif answer.decline:
        event, reasons = AuthEventType.CHALLENGE_DECLINED, [str(AuthEventReason.CHALLENGE_DECLINED_ON_DEVICE)]
    else:
        event, reasons = AuthEventType.CHALLENGE_ANSWERED_OUT_OF_BAND, []
    setattr(g, PUSH_AUTH_EVENT, event)
    setattr(g, PUSH_AUTH_REASON, reasons)
    setattr(g, PUSH_AUTH_TRANSACTION_ID, None)  # the phone names its push by nonce; the serial links the rows


PRIVACYIDEA = fork_token_host(
    "privacyidea",
    "privacyIDEA",
    LIBRARY,
    ports=privacyidea_ports,
    remove_info=lambda token, key: token.remove_tokeninfo(key),
    answered=_answered,
)


class EdupushPlusTokenBase(PushTokenHooks, TokenClass):
    mode = [AuthenticationMode.AUTHENTICATE, AuthenticationMode.CHALLENGE, AuthenticationMode.OUTOFBAND]
    client_mode = ClientMode.POLL
    token_host = PRIVACYIDEA
    # The keys this class writes decide how the token authenticates: no generic token info write may change them.
    # polling_allowed stays the admins' to set, as on privacyIDEA's own push token.
    owned_tokeninfo_keys = frozenset(
        value
        for name, value in vars(Info).items()
        if not name.startswith("_") and isinstance(value, str) and value != Info.POLLING_ALLOWED
    )

    @classmethod
    def is_multichallenge_enrollable(cls) -> bool:
        return True

    authenticate = check_token_locked(PushTokenHooks.authenticate)
    check_challenge_response = check_token_locked(PushTokenHooks.check_challenge_response)
