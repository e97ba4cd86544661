"""Constants and small helpers shared by the integration and end-to-end tests."""

from urllib.parse import parse_qsl, urlsplit

REGISTRATION_URL = "https://edumfa.example.org/ttype/edupushplus"
PIN = "1234"


def qr_query(qr_url: str) -> dict:
    return dict(parse_qsl(urlsplit(qr_url).query, keep_blank_values=True))
