"""The exact strings that the server and the phone sign.

Each is UTF-8 encoded before signing. A change of one byte here breaks every
phone in the field, so these are the only places that build them.
"""

from __future__ import annotations


def push_text(nonce: str, url: str, serial: str, question: str, title: str, sslverify: str) -> str:
    """What the server signs for each push (PROTOCOL.md section 3)."""
    return f"{nonce}|{url}|{serial}|{question}|{title}|{sslverify}"


def answer_text(nonce: str, serial: str, decline: bool) -> str:
    """What the phone signs to accept or decline a push (section 4)."""
    return f"{nonce}|{serial}|decline" if decline else f"{nonce}|{serial}"


def poll_text(serial: str, timestamp: str) -> str:
    """What the phone signs to poll for open challenges (section 5)."""
    return f"{serial}|{timestamp}"


def token_update_text(new_fb_token: str, serial: str, timestamp: str) -> str:
    """What the phone signs to replace its Firebase token (section 6)."""
    return f"{new_fb_token}|{serial}|{timestamp}"
