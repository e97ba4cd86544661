"""The push data a phone receives, by Firebase or as an item of a poll answer."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace

from .dart_url import canonical_url
from .errors import WireError
from .pi_app import capabilities, presence
from .pi_app.answers import presence_text
from .signed_text import push_text

FCM_DATA_LIMIT = 4096
# Fields only the privacyIDEA dialect sends; empty, they are not on the wire at all, so an
# eduMFA-profile push is byte for byte what it always was.
PI_APP_FIELDS = ("require_presence", "version", "capabilities", "capabilities_signature")


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
    require_presence: str = ""  # number matching: the offered options, comma-joined; signed as a 7th field
    version: str = ""  # "2" with require_presence
    capabilities: str = ""  # the server's capabilities as JSON, signed apart (capabilities_signature)
    capabilities_signature: str = ""

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

    def for_pi_app(self, offered: presence.Presence | None) -> "PushData":
        """This push in the privacyIDEA dialect: capabilities always, number matching where ``offered``."""
        matching = {"require_presence": offered.wire, "version": presence.VERSION} if offered else {}
        return replace(self, capabilities=capabilities.SERVER_CAPABILITIES_JSON, **matching)

    def signed_text(self) -> str:
        text = push_text(self.nonce, self.url, self.serial, self.question, self.title, self.sslverify)
        return presence_text(text, self.require_presence) if self.require_presence else text

    def capabilities_input(self) -> bytes | None:
        """What ``capabilities_signature`` signs, or None for a push without capabilities."""
        return capabilities.signed_input(self.nonce) if self.capabilities else None

    def with_signature(self, signature: str, capabilities_signature: str = "") -> "PushData":
        return replace(self, signature=signature, capabilities_signature=capabilities_signature)

    def as_dict(self) -> dict[str, str]:
        """All values are strings: the FCM data map and the app's poll parser insist."""
        return {key: value for key, value in asdict(self).items() if value or key not in PI_APP_FIELDS}

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
