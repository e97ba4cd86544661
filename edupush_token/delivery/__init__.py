"""How a push leaves the server.

The challenge is always stored before delivery, so a phone can poll for it
whatever happens to the push. Delivery runs off the request path: a bounded
per-process dispatcher sends through Firebase, retries transient failures
with backoff, and reports every outcome, which the adapter records.
"""

from ..catalogue import POLL_ONLY
from .report import DeliveryReport, DeliveryState

__all__ = ["DeliveryReport", "DeliveryState", "POLL_ONLY"]
