"""The eduMFA adapter: eduMFA's side of the ports, its TokenClass, and eduMFA-only tooling.

This package is the only code that imports ``edumfa``; the module admins list
in ``EDUMFA_TOKEN_MODULES`` is :mod:`edupush_token.edumfa_plugin`.
"""
