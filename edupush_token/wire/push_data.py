"""The push data a phone receives, by Firebase or as an item of a poll answer."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace

from .dart_url import canonical_url
from .errors import WireError
from .signed_text import push_text

FCM_DATA_LIMIT = 4096


@dataclass(frozen=True)
class PushData:
    """One signed login request, exactly as the phone sees it (PROTOCOL.md section 3)."""

    nonce: str
    url: str
    serial: str
    question: str
    title: str
    sslverify: str
    signature: str = ""

    @classmethod
    def unsigned(cls, *, nonce: str, url: str, serial: str, question: str, title: str, sslverify: bool) -> "PushData":
        """Build push data in the form the app checks: canonical URL, sslverify exactly "0"/"1"."""
        return cls(
            nonce=nonce,
            url=canonical_url(url),
            serial=serial,
            question=question,
            title=title,
            sslverify="1" if sslverify else "0",
        )

    def signed_text(self) -> str:
        return push_text(self.nonce, self.url, self.serial, self.question, self.title, self.sslverify)

    def with_signature(self, signature: str) -> "PushData":
        return replace(self, signature=signature)

    def as_dict(self) -> dict[str, str]:
        """All values are strings: the FCM data map and the app's poll parser insist."""
        return asdict(self)

    def payload_size(self) -> int:
        """Bytes the FCM data map takes (keys and values), against FCM's 4096-byte limit."""
        return sum(len(k.encode()) + len(v.encode()) for k, v in self.as_dict().items())

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "PushData":
        try:
            return cls(**json.loads(text))
        except (TypeError, ValueError) as error:
            raise WireError(f"Stored push data is unreadable: {error}") from None
