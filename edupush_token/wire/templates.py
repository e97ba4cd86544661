"""The texts on the phone as templates filled with the login's context.

The user can only judge a push by what it says: which application, from
where, for whom, when. The rendered text is part of the signed push data, so
the phone shows exactly what the server meant. A template may use only the
variables below; anything else is an error, never an empty hole. Each value
is made safe and bounded first (:mod:`.context_values`).
"""

from __future__ import annotations

import string
from typing import Mapping

from .context_values import context_value
from .errors import WireError

VARIABLES = ("client_ip", "user_agent", "user", "realm", "serial", "date", "time")


def check_template(template: str) -> None:
    """Raise WireError for unknown variables, positional fields or unbalanced braces."""
    try:
        fields = [field for _text, field, _spec, _conversion in string.Formatter().parse(template) if field is not None]
    except ValueError as error:
        raise WireError(
            f"Invalid text template {template!r}: {error}. Write {{{{ and }}}} for literal braces."
        ) from None
    for field in fields:
        if field not in VARIABLES:
            raise WireError(
                f"Invalid text template {template!r}: unknown variable {{{field}}}. "
                f"Allowed: {', '.join('{' + name + '}' for name in VARIABLES)}."
            )


def render_template(template: str, context: Mapping[str, str]) -> str:
    check_template(template)
    values = {name: context_value(str(context.get(name, ""))) for name in VARIABLES}
    return template.format_map(values)
