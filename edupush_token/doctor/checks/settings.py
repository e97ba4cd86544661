"""eduMFA settings a production admin wants for speed."""

from __future__ import annotations

from typing import List

from ..deployment import Deployment
from ..findings import Finding, warning

# eduMFA loads its RSA audit key for every request and, unless told not to,
# runs cryptography's full RSA key validation on it each time.
SPEED_SETTINGS = {
    "EDUMFA_AUDIT_NO_PRIVATE_KEY_CHECK": ("audit-key-check-on", "writing each audit entry"),
    "EDUMFA_RESPONSE_NO_PRIVATE_KEY_CHECK": ("response-key-check-on", "signing each response"),
}


def check_speed_settings(deployment: Deployment) -> List[Finding]:
    return [
        warning(
            code,
            f"{setting} is not set: eduMFA checks its RSA private key again when {what}, "
            "which costs CPU time on every request.",
            f"Add {setting} = True to {deployment.config_file} (the key is eduMFA's own; the check "
            "only guards against a corrupt key file).",
        )
        for setting, (code, what) in SPEED_SETTINGS.items()
        if not deployment.settings.get(setting)
    ]
