"""eduMFA's side of :mod:`edupush_token.ports`: its policies, audit, database, crypto and hooks.

The code is shared with privacyIDEA's adapter (:mod:`..common`); this module
names eduMFA's functions and keeps the names the rest of the adapter uses.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from ...ports import Ports
from ...storage.keypool import KeyPool
from .. import common, logging_bridge
from .library import LIBRARY


class Store(common.Store):
    def __init__(self) -> None:
        super().__init__(LIBRARY)


class Keys(common.Keys):
    def __init__(self) -> None:
        super().__init__(LIBRARY)


def _pool() -> KeyPool:
    return Keys()._pool()


def edumfa_ports(g: Any = None) -> Ports:
    """The ports for one request (``g`` is eduMFA's request globals; None on background threads)."""
    logging_bridge.connect(current_app, "edumfa")
    return common.host_ports(LIBRARY, g)


ports_for = edumfa_ports  # the name hosts.worker calls each adapter's by

__all__ = ["LIBRARY", "Keys", "Store", "edumfa_ports", "ports_for"]
