"""privacyIDEA's library as the shared adapter code calls it; light enough for the doctor (no firebase-admin).

What differs from eduMFA: token info the class owns is written with
``add_tokeninfo_dict`` (3.14's ``add_tokeninfo`` refuses owned keys), refusals
live in the challenge's ``session``, and expired challenges are cleaned up for
all tokens at once.
"""

from __future__ import annotations

from privacyidea.lib.challenge import cleanup_expired_challenges
from privacyidea.lib.lifecycle import register_finalizer

from ... import catalogue
from ...storage.challenge_statements import PRIVACYIDEA_LAYOUT
from ..library import fork_library, typed_info

LIBRARY = fork_library(
    "privacyidea",
    register_finalizer=register_finalizer,
    firebase_provider=catalogue.PRIVACYIDEA_FIREBASE_PROVIDER,
    write_tokeninfo=lambda token, values, secret=(): token.add_tokeninfo_dict(typed_info(values, secret)),
    cleanup_challenges=cleanup_expired_challenges,
    layout=PRIVACYIDEA_LAYOUT,
)
