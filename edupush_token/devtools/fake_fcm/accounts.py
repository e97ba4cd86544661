"""Service accounts: key files shaped like Google's, and the check of the JWTs signed with them."""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
import string
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Optional, Set, Tuple, Union

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .errors import BAD_TIMEFRAME, OAuthError

DEFAULT_PROJECT_ID = "edupush-demo"
JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
# Audiences Google's token endpoint accepts; google-auth always uses the first.
GOOGLE_TOKEN_AUDIENCES = frozenset(
    {
        GOOGLE_TOKEN_URI,
        "https://www.googleapis.com/oauth2/v4/token",
        "https://accounts.google.com/o/oauth2/token",
    }
)
FCM_SCOPES = frozenset(
    {
        "https://www.googleapis.com/auth/firebase.messaging",
        "https://www.googleapis.com/auth/cloud-platform",
    }
)
ACCESS_TOKEN_LIFETIME = 3600
MAX_ASSERTION_LIFETIME = 3600
CLOCK_SKEW = 300


def generate_private_key_pem() -> str:
    """A fresh RSA-2048 key as PKCS#8 PEM, the form of a service account's ``private_key``."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def generate_service_account(
    project_id: str = DEFAULT_PROJECT_ID, token_uri: str = GOOGLE_TOKEN_URI, private_key_pem: Optional[str] = None
) -> dict:
    """A service-account key file's content, shaped like the ones Google hands out.

    Known to no fake until trusted; see :meth:`FakeFCM.create_service_account`.
    ``private_key_pem`` reuses a key (RSA generation costs ~50 ms; tests make many accounts).
    """
    pem = private_key_pem or generate_private_key_pem()
    suffix = "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(5))
    client_email = f"firebase-adminsdk-{suffix}@{project_id}.iam.gserviceaccount.com"
    return {
        "type": "service_account",
        "project_id": project_id,
        "private_key_id": secrets.token_hex(20),
        "private_key": pem,
        "client_email": client_email,
        "client_id": str(10**20 + secrets.randbelow(9 * 10**20)),
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/" + urllib.parse.quote(client_email),
        "universe_domain": "googleapis.com",
    }


def write_service_account(path: Union[str, Path], info: dict) -> None:
    """Write a key file readable by its owner only, as a private key deserves."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        json.dump(info, file, indent=2)
        file.write("\n")


def load_service_account(path_or_info: Union[str, Path, dict]) -> dict:
    return path_or_info if isinstance(path_or_info, dict) else json.loads(Path(path_or_info).read_text())


@dataclass
class Account:
    """A trusted service account: whose JWTs the token endpoint accepts."""

    client_email: str
    project_id: str
    key_id: str
    public_key: Any

    @classmethod
    def from_info(cls, info: dict) -> "Account":
        if info.get("type") != "service_account":
            raise ValueError("not a service-account key file (type is not 'service_account')")
        private_key = serialization.load_pem_private_key(info["private_key"].encode(), password=None)
        return cls(info["client_email"], info["project_id"], info["private_key_id"], private_key.public_key())


@dataclass
class AccessGrant:
    """What an access token handed out by the token endpoint allows."""

    client_email: str
    project_id: str
    scopes: Set[str]
    expires_at: float


def verify_assertion(
    form: Dict[str, str], find_account: Callable[[str], Optional[Account]], token_uri: str
) -> Tuple[Account, dict]:
    """Check a JWT-bearer grant the way Google does for service accounts; raise ``OAuthError`` if not."""
    grant_type = form.get("grant_type")
    if grant_type != JWT_BEARER_GRANT:
        raise OAuthError("unsupported_grant_type", f"Invalid grant_type: {grant_type or ''}")
    assertion = form.get("assertion")
    if not assertion:
        raise OAuthError("invalid_request", "Missing required parameter: assertion")
    try:
        header_part, payload_part, signature_part = assertion.split(".")
        header = json.loads(_b64url_decode(header_part))
        claims = json.loads(_b64url_decode(payload_part))
        signature = _b64url_decode(signature_part)
    except (ValueError, binascii.Error):
        raise OAuthError("invalid_grant", "Invalid JWT: could not be parsed.") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise OAuthError("invalid_grant", "Invalid JWT: could not be parsed.")
    account = find_account(str(claims.get("iss")))
    if account is None:
        raise OAuthError("invalid_grant", "Invalid grant: account not found")
    if header.get("alg") != "RS256" or header.get("kid", account.key_id) != account.key_id:
        raise OAuthError("invalid_grant", "Invalid JWT Signature.")
    try:
        account.public_key.verify(
            signature, f"{header_part}.{payload_part}".encode("ascii"), padding.PKCS1v15(), hashes.SHA256()
        )
    except InvalidSignature:
        raise OAuthError("invalid_grant", "Invalid JWT Signature.") from None
    if claims.get("aud") not in GOOGLE_TOKEN_AUDIENCES | {token_uri}:
        raise OAuthError(
            "invalid_grant", f"Invalid JWT: Failed audience check. The right audience is {GOOGLE_TOKEN_URI}."
        )
    issued_at, expires = claims.get("iat"), claims.get("exp")
    now = time.time()
    if (
        not isinstance(issued_at, (int, float))
        or not isinstance(expires, (int, float))
        or expires - issued_at > MAX_ASSERTION_LIFETIME
        or expires <= issued_at
        or issued_at > now + CLOCK_SKEW
        or expires < now - CLOCK_SKEW
    ):
        raise OAuthError("invalid_grant", BAD_TIMEFRAME)
    return account, claims


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
