"""The eduMFA Authenticator's dialect (PROTOCOL.md): what only its tokens see.

Everything else it speaks is shared with the privacyIDEA dialect and lives
one level up: push data, signed strings, requests, URLs, timestamps.
"""
