"""The eduPUSH wire format: pure functions over strings, no I/O.

Every malformed input raises :class:`WireError` with a message fit for the
client, so the adapter can turn it into an HTTP 4xx.

What both apps speak lives here (push data, signed strings, requests, URLs,
timestamps, labels); what only one app speaks, in its sub-package:
:mod:`.edumfa_app` (PROTOCOL.md) and :mod:`.pi_app` (PROTOCOL-PIAPP.md).
"""

from .errors import WireError

__all__ = ["WireError"]
