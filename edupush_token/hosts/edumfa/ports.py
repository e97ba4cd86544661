"""eduMFA's side of :mod:`edupush_token.ports`: its policies, audit, database, crypto and hooks.

The code is shared with privacyIDEA's adapter (:mod:`..common`); this module
names eduMFA's functions and keeps the names the rest of the adapter uses.
"""

from __future__ import annotations

from typing import Any

from edumfa.lib.lifecycle import register_request_finalizer
from edumfa.models import cleanup_challenges
from flask import current_app

from ... import catalogue
from ...ports import Ports
from ...storage.challenge_statements import EDUMFA_LAYOUT
from ...storage.keypool import KeyPool
from .. import common, logging_bridge
from ..common import defined_anywhere

LIBRARY = common.fork_library(
    "edumfa",
    register_finalizer=register_request_finalizer,
    firebase_provider=catalogue.EDUMFA_FIREBASE_PROVIDER,
    write_tokeninfo=lambda token, key, value: token.add_tokeninfo(key, value),
    cleanup_challenges=cleanup_challenges,
    layout=EDUMFA_LAYOUT,
)


class Policies(common.Policies):
    def __init__(self, g: Any, user: Any) -> None:
        super().__init__(LIBRARY, g, user)


class Store(common.Store):
    def __init__(self) -> None:
        super().__init__(LIBRARY)


class Keys(common.Keys):
    def __init__(self) -> None:
        super().__init__(LIBRARY)


def _pool() -> KeyPool:
    return Keys()._pool()


def gateway_exists(name: str) -> bool:
    return common.Host(LIBRARY).gateway_exists(name)


def edumfa_ports(g: Any = None) -> Ports:
    """The ports for one request (``g`` is eduMFA's request globals; None on background threads)."""
    logging_bridge.connect(current_app, "edumfa")
    return common.host_ports(LIBRARY, g)


__all__ = ["LIBRARY", "Keys", "Policies", "Store", "defined_anywhere", "edumfa_ports", "gateway_exists"]
