"""Capabilities: what the server tells the app it understands, signed apart from the push.

Every push of this dialect carries ``capabilities`` (a JSON string) and
``capabilities_signature``, a second signature over the RFC 8785 (JCS)
canonical JSON of ``{"capabilities": ..., "nonce": ...}``: the nonce binds it
to this push, and the main signature stays the six or seven fields older apps
verify.  The app re-canonicalises what it parsed, so the bytes signed here
must be exactly JCS.  In step 2 the app sends its own list, unsigned.
"""

from __future__ import annotations

import enum
import json
from typing import Mapping, Tuple

import rfc8785

from ..errors import WireError

MAX_CAPABILITIES = 512  # characters of the app's list in step 2


class Capability(str, enum.Enum):
    DECLINE_REASON = "decline_reason"  # the app may sign a reason into a decline (app 4.8.0)


SERVER_CAPABILITIES: Mapping[str, bool] = {Capability.DECLINE_REASON.value: True}
# The wire string, as privacyIDEA 3.14 writes it (json.dumps with its default separators).
SERVER_CAPABILITIES_JSON = json.dumps(SERVER_CAPABILITIES)


def signed_input(nonce: str, capabilities: Mapping[str, bool] = SERVER_CAPABILITIES) -> bytes:
    """The bytes ``capabilities_signature`` signs: JCS of the capabilities and the push's nonce."""
    return rfc8785.dumps({"capabilities": dict(capabilities), "nonce": nonce})


def parse_app_capabilities(text: str) -> Tuple[str, ...]:
    """The app's step-2 ``capabilities``: a JSON list of names (an app that sends it is 4.8.0 or newer)."""
    if len(text) > MAX_CAPABILITIES:
        raise WireError(f"Parameter 'capabilities' is longer than {MAX_CAPABILITIES} characters.")
    try:
        names = json.loads(text)
    except ValueError:
        raise WireError("Parameter 'capabilities' must be a JSON list of names.") from None
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise WireError("Parameter 'capabilities' must be a JSON list of names.")
    return tuple(names)
