"""The ``edupushplus_*`` policies as eduMFA's policy editor shows them, from the catalogue."""

from __future__ import annotations

from edumfa.lib import _

from ..common import policy_definitions
from .ports import LIBRARY


def definitions() -> dict:
    """eduMFA's ``get_class_info("policy")``: scope -> action -> definition."""
    return policy_definitions(LIBRARY, _)
