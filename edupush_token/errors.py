"""One root for every error this package raises on purpose.

A host adapter turns each branch into its host's error (and so its HTTP
status); anything else that escapes is a bug.
"""

from __future__ import annotations


class EdupushError(Exception):
    """Root of the package's errors; the message is fit for whoever made the request."""


class WireError(EdupushError, ValueError):
    """A request or value that does not follow the wire format: HTTP 400."""


class ClockSkewError(WireError):
    """A well-formed timestamp outside the accepted window."""


class RequestRefused(EdupushError):
    """A well-formed request that must change nothing: an unknown token, a bad signature, a late enrollment."""


class Forbidden(EdupushError):
    """A policy forbids this request."""


class TokenUnusable(Forbidden):
    """An authentic request from the phone of a revoked, locked or disabled token."""


class PolicyValueError(EdupushError):
    """An admin's policy value this package cannot use; the message names the policy."""


class PushTooLarge(EdupushError):
    """The push for a login would exceed Firebase's payload limit."""


class DeliveryFailed(EdupushError):
    """A push the login asked to send at once could not be sent."""


class PolicyFileError(EdupushError, ValueError):
    """A policy set file that cannot be loaded."""


class WebUIError(EdupushError):
    """The host's web UI folder cannot be read or changed."""


class UnreadableDeployment(EdupushError):
    """The configuration or the database cannot be read; the reason says which."""


class DatabaseUnavailable(EdupushError):
    """The database cannot be reached for now (restarting, connection cut): worth trying again shortly."""
