"""What FCM accepts as the body of a send, and whom a message is for."""

from __future__ import annotations

import json
from typing import Any, Optional, Tuple

from .errors import bad_request

MAX_DATA_BYTES = 4096


def check_message(payload: Any) -> Optional[Tuple[int, dict]]:
    """FCM's 400 for a send body it would not accept, if any."""
    if not isinstance(payload, dict):
        return bad_request("Invalid JSON payload received. Unexpected token.")
    message = payload.get("message")
    if not isinstance(message, dict):
        return bad_request("Request contains an invalid argument.", "message")
    token = recipient(message)
    if not isinstance(token, str) or not token:
        return bad_request("Recipient of the message is not set.", "message.token", "INVALID_ARGUMENT")
    data = message.get("data", {})
    if not isinstance(data, dict):
        entry_type = "type.googleapis.com/google.firebase.fcm.v1.Message.DataEntry"
        return bad_request(f"Invalid value at 'message.data' ({entry_type}), {json.dumps(data)}", "message.data")
    for position, value in enumerate(data.values()):
        if not isinstance(value, str):
            field_name = f"message.data[{position}].value"
            return bad_request(f"Invalid value at '{field_name}' (TYPE_STRING), {json.dumps(value)}", field_name)
    size = sum(len(key.encode("utf-8")) + len(value.encode("utf-8")) for key, value in data.items())
    if size > MAX_DATA_BYTES:
        return bad_request("Android message is too big", None, "INVALID_ARGUMENT")
    return None


def recipient(message: dict) -> Any:
    """The registration token, the Firebase installation ID that firebase-admin 7.7+ offers instead, or a topic."""
    for target in ("token", "fid"):
        if message.get(target) is not None:
            return message[target]
    topic = message.get("topic")
    return f"/topics/{topic}" if isinstance(topic, str) and topic else None
