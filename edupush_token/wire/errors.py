"""The wire layer's errors live with the package's one root (:mod:`edupush_token.errors`)."""

from ..errors import ClockSkewError, WireError

__all__ = ["ClockSkewError", "WireError"]
