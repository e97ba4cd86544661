"""The privacyIDEA 3.14 adapter: privacyIDEA's side of the ports, its TokenClass, and privacyIDEA-only tooling.

This package is the only code that imports ``privacyidea``; the module admins list
in ``PI_TOKEN_MODULES`` is :mod:`edupush_token.privacyidea_plugin`.
"""
