"""Token labels and issuers, as both hosts template them, for either app's QR code."""

from __future__ import annotations

from .errors import WireError


def render_label(template: str, *, serial: str, user: str, realm: str, givenname: str, surname: str) -> str:
    """Expand eduMFA's token label and issuer templates (``<s>``, ``{user}`` ...)."""
    legacy = template.replace("<s>", serial).replace("<u>", user).replace("<r>", realm)
    try:
        return legacy.format(serial=serial, user=user, realm=realm, givenname=givenname, surname=surname)
    except (KeyError, IndexError, ValueError) as error:
        raise WireError(
            f"Invalid label template {template!r}: {error!r}. Allowed variables are "
            "{serial}, {user}, {realm}, {givenname}, {surname}, <s>, <u>, <r>."
        ) from None
