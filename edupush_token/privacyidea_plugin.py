"""The module privacyIDEA admins list: ``PI_TOKEN_MODULES = ["edupush_token.privacyidea_plugin"]``.

privacyIDEA registers the TokenClass subclasses whose ``__module__`` is the
listed module, so the class is defined here; everything it does is in
:mod:`edupush_token.hosts.privacyidea`.
"""

from .hosts.privacyidea.tokenclass import EdupushPlusTokenBase


class EdupushPlusTokenClass(EdupushPlusTokenBase):
    """A push token that speaks the eduMFA Authenticator's protocol, hardened, on privacyIDEA."""
