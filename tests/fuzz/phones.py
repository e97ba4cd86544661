"""The enrolled tokens as the phones hold them, and the state every fuzz test starts from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Dict, List, Tuple

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding

from edupush_token import catalogue
from edupush_token.devtools.phone import b32_signature, dart_iso_timestamp, encode_form, pubkey_b64
from support import PIN, action

from .harness import ENDPOINT, Harness, result_value
from .session import STATS

# A fresh challenge stays open for an hour, so none expires while a long run
# compares states before and after a request.
CHALLENGE_VALIDITY_SECONDS = 3600
DECLINED = "challenge_declined"


def phone_sign(private_key, text: str) -> str:
    data = text.encode("utf-8")
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        return b32_signature(private_key.sign(data, ec.ECDSA(hashes.SHA256())))
    return b32_signature(private_key.sign(data, padding.PKCS1v15(), hashes.SHA256()))


def set_long_challenge_validity(admin):
    admin.post("/system/setConfig", {catalogue.Config.CHALLENGE_VALIDITY: str(CHALLENGE_VALIDITY_SECONDS)})


def no_decline_cooldown(admin):
    """Declines are part of the fuzzing; a decline cool-down would stop all later pushes."""
    admin.set_policy("edupushplus-fuzz-no-cooldown", "authentication", action(catalogue.DECLINE_LIMIT, 0))


class PhoneSide:
    """An enrolled token as the phone holds it, and its challenges as the database has them."""

    def __init__(self, harness: Harness, enrolled, trigger, user):
        self.harness = harness
        self.enrolled = enrolled
        self.serial = enrolled.serial
        self.key = enrolled.token.private_key
        self.trigger = trigger
        self.user = user

    def genuine_poll(self) -> list:
        timestamp = dart_iso_timestamp(datetime.now(timezone.utc))
        signature = phone_sign(self.key, f"{self.serial}|{timestamp}")
        response = self.harness.oracle(
            "GET", ENDPOINT, query_string=f"serial={self.serial}&timestamp={timestamp}&signature={signature}"
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        return result_value(response)

    def challenges(self, db: Dict[str, list]) -> List[dict]:
        return [row for row in db["challenge"] if row["serial"] == self.serial]

    def nonces(self, db: Dict[str, list]) -> Dict[str, List[str]]:
        groups: Dict[str, List[str]] = {"open": [], "accepted": [], "declined": [], "expired": []}
        now = datetime.utcnow()
        for row in self.challenges(db):
            if row["data"] == DECLINED:
                groups["declined"].append(row["challenge"])
            elif row["otp_valid"]:
                groups["accepted"].append(row["challenge"])
            elif _db_time(row["expiration"]) <= now:
                groups["expired"].append(row["challenge"])
            else:
                groups["open"].append(row["challenge"])
        return groups

    def answer(self, nonce: str, decline: bool):
        signed = f"{nonce}|{self.serial}" + ("|decline" if decline else "")
        fields = [("nonce", nonce), ("serial", self.serial), ("signature", phone_sign(self.key, signed))]
        if decline:
            fields.append(("decline", "1"))
        response = self.harness.oracle(
            "POST", ENDPOINT, data=encode_form(fields), content_type="application/x-www-form-urlencoded"
        )
        assert response.status_code == 200 and result_value(response) is True, response.get_data(as_text=True)

    def new_challenge(self) -> Tuple[str, str]:
        """Trigger a push; its (nonce, transaction_id)."""
        STATS.oracle_requests += 1
        detail = self.trigger(self.user)
        transaction_id = detail["transaction_id"]
        db = self.harness.db_state()
        [nonce] = [row["challenge"] for row in self.challenges(db) if row["transaction_id"] == transaction_id]
        return nonce, transaction_id


class Phones:
    """Both enrolled tokens: alice's RSA-2048 and bob's ECDSA P-256 (signatures are checked differently)."""

    def __init__(self, *phones: PhoneSide):
        self.all = list(phones)

    def polls(self) -> Dict[str, list]:
        return {phone.serial: phone.genuine_poll() for phone in self.all}


def _db_time(value: str) -> datetime:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


@dataclass
class FuzzSetup:
    """What ``fuzz_setup`` built: alice's and bob's phones, alice's pushes in every state."""

    harness: Harness
    phone: PhoneSide  # alice's
    phones: Phones
    admin: Any
    bob_detail: dict  # /token/init of bob's second token, waiting for step 2
    nonces: Dict[str, str]  # expired, declined, accepted, open
    tids: Dict[str, str]  # declined, accepted, open

    def snapshot(self) -> Dict[str, Any]:
        """Genuine polls and the database, polls first: the first poll signs what is unsigned."""
        return {"poll": self.phones.polls(), "db": self.harness.db_state()}

    def known_values(self) -> List[str]:
        phone = self.phone
        signature_of_other_text = phone_sign(phone.key, "something|else")
        return [
            *(p.serial for p in self.phones.all),
            self.bob_detail["serial"],
            phone_sign(self.phones.all[1].key, "x|y"),
            *self.nonces.values(),
            *self.tids.values(),
            signature_of_other_text,
            signature_of_other_text.rstrip("="),
            dart_iso_timestamp(datetime.now(timezone.utc)),
            pubkey_b64(phone.key),
            "alice",
            "bob",
            "demo",
            PIN,
            "1",
            "0",
            "EDPP00000000",
            "PIPU0001",
        ]
