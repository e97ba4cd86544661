"""The privacyIDEA Authenticator's dialect (PROTOCOL-PIAPP.md): what only its tokens see.

On the eduMFA dialect's base it adds number matching (a signed 7th field),
signed capabilities beside the main signature, decline reasons and the
presence answer in the phone's signed answer, and its own QR code.
"""

NO_FIREBASE_TOKEN = "no_firebase_token"  # the app's Firebase token when it has none: a poll-only phone
