"""The module eduMFA admins list: ``EDUMFA_TOKEN_MODULES = ["edupush_token.edumfa_plugin"]``.

eduMFA registers the TokenClass subclasses whose ``__module__`` is the listed
module, so the class is defined here; everything it does is in
:mod:`edupush_token.hosts.edumfa`.
"""

from .hosts.edumfa.tokenclass import EdupushPlusTokenBase


class EdupushPlusTokenClass(EdupushPlusTokenBase):
    """A push token that speaks the eduMFA Authenticator's protocol, hardened."""
