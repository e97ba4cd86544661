"""The one place where the two hosts differ for the bench: their built-in push token.

eduMFA 2.x is a fork of privacyIDEA 3.x, and both built-in tokens keep the
fork's shape: the policies are the token type plus ``_`` plus the same
suffix (``edupush_wait`` / ``push_wait``), the Firebase gateway is the host's
``FirebaseProvider`` with its send URL in a module constant, and the phone
speaks one wire protocol.  What differs is written here once: the type, the
provider, which app scans the built-in's QR code (``edumfa-push://`` for the
eduMFA Authenticator, ``otpauth://pipush/`` for the privacyIDEA
Authenticator) and the names of the results.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from importlib.util import find_spec
from typing import Any, Dict, Type

from edupush_token import catalogue
from edupush_token.devtools.phone import EmulatedPhone, PiAuthenticator


@dataclass(frozen=True)
class BuiltinPush:
    """A host and its built-in push token, as the bench compares ours with it."""

    host: str  # the host's package, and LocalInstance's host name
    host_name: str
    token_type: str
    firebase_provider: str  # the class path of the host's Firebase gateway
    phone: Type[EmulatedPhone]  # the app that scans the built-in's QR code
    results_prefix: str  # of result files, the chart in docs/ and the docs section's markers

    @property
    def label(self) -> str:
        return f"{self.token_type} ({self.host_name} built-in)"

    @property
    def firebase_module(self) -> Any:
        return importlib.import_module(self.firebase_provider.rpartition(".")[0])

    @property
    def db(self) -> Any:
        """The host's Flask-SQLAlchemy object."""
        return importlib.import_module(f"{self.host}.models").db

    def installed(self) -> bool:
        return find_spec(self.host) is not None

    def results_name(self, database: str) -> str:
        return f"{self.results_prefix}{database}"


BUILTINS: Dict[str, BuiltinPush] = {
    "edumfa": BuiltinPush("edumfa", "eduMFA", "edupush", catalogue.EDUMFA_FIREBASE_PROVIDER, EmulatedPhone, ""),
    "privacyidea": BuiltinPush(
        "privacyidea", "privacyIDEA", "push", catalogue.PRIVACYIDEA_FIREBASE_PROVIDER, PiAuthenticator, "privacyidea-"
    ),
}
