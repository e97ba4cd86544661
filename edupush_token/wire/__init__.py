"""The eduPUSH wire format: pure functions over strings, no I/O.

Every malformed input raises :class:`WireError` with a message fit for the
client, so the adapter can turn it into an HTTP 4xx.
"""

from .errors import WireError

__all__ = ["WireError"]
