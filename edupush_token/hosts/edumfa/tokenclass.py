"""The ``edupushplus`` token type as eduMFA sees it.

eduMFA registers only the token classes *defined* in a listed module, so
:mod:`edupush_token.edumfa_plugin` subclasses this base and adds nothing.
The hooks are shared with privacyIDEA (:mod:`..common_token`); this module
names eduMFA's errors and helpers.
"""

from __future__ import annotations

from edumfa.api.lib.policyhelper import get_init_tokenlabel_parameters
from edumfa.lib import _
from edumfa.lib.decorators import check_token_locked
from edumfa.lib.error import ParameterError, PolicyError, ValidateError
from edumfa.lib.token import init_token
from edumfa.lib.tokenclass import AUTHENTICATIONMODE, CLIENTMODE, TokenClass
from edumfa.lib.user import User
from edumfa.lib.utils import create_img, is_true, prepare_result

from ..common_token import PushTokenHooks, TokenHost
from .ports import LIBRARY, edumfa_ports

EDUMFA = TokenHost(
    name="eduMFA",
    library=LIBRARY,
    ports=edumfa_ports,
    parameter_error=ParameterError,
    policy_error=PolicyError,
    validate_error=ValidateError,
    write_info=lambda token, key, value, value_type=None: token.add_tokeninfo(key, value, value_type),
    remove_info=lambda token, key: token.del_tokeninfo(key),
    init_token=init_token,
    user_class=User,
    create_img=create_img,
    is_true=is_true,
    tokenlabel_parameters=get_init_tokenlabel_parameters,
    prepare_result=prepare_result,
    translate=_,
)


class EdupushPlusTokenBase(PushTokenHooks, TokenClass):
    mode = [AUTHENTICATIONMODE.AUTHENTICATE, AUTHENTICATIONMODE.CHALLENGE, AUTHENTICATIONMODE.OUTOFBAND]
    client_mode = CLIENTMODE.POLL
    is_multichallenge_enrollable = True
    token_host = EDUMFA

    authenticate = check_token_locked(PushTokenHooks.authenticate)
    check_challenge_response = check_token_locked(PushTokenHooks.check_challenge_response)
