"""What the tests share: constants and small helpers here, a throwaway PostgreSQL and TLS certificates beside them."""

from urllib.parse import parse_qsl, urlsplit

REGISTRATION_URL = "https://edumfa.example.org/ttype/edupushplus"
PIN = "1234"


def qr_query(qr_url: str) -> dict:
    return dict(parse_qsl(urlsplit(qr_url).query, keep_blank_values=True))


# Where eduMFA's audit log records an answer that took effect: an accept in
# the phone's request entry, a decline (a possible attack) in an entry of its own.
AUDITED_ANSWERS = {
    "accepted": {"action_detail": "edupushplus push accepted"},
    "declined": {"action": "edupushplus push declined"},
}


def audited_answers(admin, **search) -> dict:
    """How many accepts and declines took effect, counted in the audit log (AdminAPI ``admin``)."""
    return {
        kind: admin.get("/audit/", params={**where, **search, "page_size": 1})["result"]["value"]["count"]
        for kind, where in AUDITED_ANSWERS.items()
    }
