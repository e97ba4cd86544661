"""The tokeninfo keys of an edupushplus token.

The first four are named as eduMFA's built-in push token names them, so admins
recognise them and a migration between the two stays simple.
"""

from .policies import Action


class Info:
    PHONE_KEY = "public_key_smartphone"
    FIREBASE_TOKEN = "firebase_token"
    SERVER_PUBLIC_KEY = "public_key_server"
    SERVER_PRIVATE_KEY = "private_key_server"
    ENROLLMENT_CREDENTIAL = "enrollment_credential"
    ENROLLMENT_DEADLINE = "enrollment_deadline"
    REGISTRATION_URL = "registration_url"
    SSL_VERIFY = "sslverify"
    TTL = "ttl_minutes"
    SERVER_KEY_SIZE = "server_key_size"
    FIREBASE_CONFIG = Action.FIREBASE_CONFIG
    POLLING_ALLOWED = "polling_allowed"
    REGISTRATION_STATE = "firebase_token_state"
    UNREGISTERED_AT = "firebase_token_unregistered_at"
