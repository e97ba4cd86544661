"""Queued misbehaviour: what the next requests to an endpoint answer instead of the normal answer."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Optional

from .errors import FCM_ERRORS

ENDPOINTS = ("send", "token")


@dataclass
class Fault:
    """One queued misbehaviour of an endpoint, used for the next ``times`` requests.

    ``status``/``error_code`` make it answer an error (the body follows from them,
    or ``body`` as given); ``hang`` sleeps that many seconds first (alone: then
    answers normally); ``times=None`` keeps it until reset or ``clear_faults``.
    """

    endpoint: str = "send"
    status: Optional[int] = None
    error_code: Optional[str] = None
    times: Optional[int] = 1
    retry_after: Optional[str] = None
    hang: Optional[float] = None
    body: Optional[dict] = None
    hits: int = 0

    def __post_init__(self):
        if self.endpoint not in ENDPOINTS:
            raise ValueError(f"endpoint must be one of {ENDPOINTS}, not {self.endpoint!r}")
        if self.error_code is not None and self.error_code not in FCM_ERRORS:
            raise ValueError(f"unknown FCM error code {self.error_code!r}; known: {sorted(FCM_ERRORS)}")
        if self.error_code is not None and self.endpoint != "send":
            raise ValueError("error_code only applies to the send endpoint")
        if self.status is None and self.error_code is None and self.hang is None:
            raise ValueError("a fault needs a status, an error_code or a hang")
        if self.times is not None and self.times < 1:
            raise ValueError("times must be at least 1 (or None for until reset)")
        if self.retry_after is not None:
            self.retry_after = str(self.retry_after)

    @property
    def answers_error(self) -> bool:
        return self.status is not None or self.error_code is not None

    def to_json(self) -> dict:
        return asdict(self)
