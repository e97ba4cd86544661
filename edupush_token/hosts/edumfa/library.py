"""eduMFA's library as the shared adapter code calls it; light enough for the doctor (no firebase-admin)."""

from __future__ import annotations

from edumfa.lib.crypto import encryptPassword
from edumfa.lib.lifecycle import register_request_finalizer
from edumfa.models import cleanup_challenges

from ... import catalogue
from ...storage.challenge_statements import EDUMFA_LAYOUT
from ..library import fork_library, typed_info

LIBRARY = fork_library(
    "edumfa",
    register_finalizer=register_request_finalizer,
    firebase_provider=catalogue.EDUMFA_FIREBASE_PROVIDER,
    write_tokeninfo=lambda token, values, secret=(): token.token.set_info(typed_info(values, secret, encryptPassword)),
    cleanup_challenges=cleanup_challenges,
    layout=EDUMFA_LAYOUT,
)
