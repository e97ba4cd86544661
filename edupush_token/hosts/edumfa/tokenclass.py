"""The ``edupushplus`` token type as eduMFA sees it.

eduMFA registers only the token classes *defined* in a listed module, so
:mod:`edupush_token.edumfa_plugin` subclasses this base and adds nothing.
The hooks are shared with privacyIDEA (:mod:`..common_token`); this module
names eduMFA's errors and helpers.
"""

from __future__ import annotations

from edumfa.lib.decorators import check_token_locked
from edumfa.lib.tokenclass import AUTHENTICATIONMODE, CLIENTMODE, TokenClass

from ..common_token import PushTokenHooks
from ..token_host import fork_token_host
from .library import LIBRARY
from .ports import edumfa_ports

EDUMFA = fork_token_host(
    "edumfa",
    "eduMFA",
    LIBRARY,
    ports=edumfa_ports,
    remove_info=lambda token, key: token.del_tokeninfo(key),
)


class EdupushPlusTokenBase(PushTokenHooks, TokenClass):
    mode = [AUTHENTICATIONMODE.AUTHENTICATE, AUTHENTICATIONMODE.CHALLENGE, AUTHENTICATIONMODE.OUTOFBAND]
    client_mode = CLIENTMODE.POLL
    is_multichallenge_enrollable = True
    token_host = EDUMFA

    authenticate = check_token_locked(PushTokenHooks.authenticate)
    check_challenge_response = check_token_locked(PushTokenHooks.check_challenge_response)
