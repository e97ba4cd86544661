"""privacyIDEA's side of :mod:`edupush_token.ports`, over the code shared with eduMFA (:mod:`..common`).

Challenges kept in Redis instead of the challenge table (``PI_REDIS_CACHE_CHALLENGES``)
are refused: this plugin's answers, polls and push_wait wake-ups read and write that table.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from privacyidea.lib.cache.redis import redis_feature_configured
from privacyidea.lib.error import ConfigAdminError

from ... import catalogue
from ...ports import Ports
from .. import common, logging_bridge
from .library import LIBRARY

REDIS_REFUSED = (
    f"edupushplus needs privacyIDEA's challenges in its database: set {catalogue.PRIVACYIDEA_REDIS_CHALLENGES} = "
    "False in pi.cfg (the push token's answers, polls and push_wait wake-ups read and write the challenge table)."
)


def challenges_in_redis() -> bool:
    """Whether pi.cfg asks privacyIDEA to keep challenges in Redis, in privacyIDEA's own words."""
    return bool(redis_feature_configured("challenges"))


def privacyidea_ports(g: Any = None) -> Ports:
    """The ports for one request (``g`` is privacyIDEA's request globals; None on background threads)."""
    logging_bridge.connect(current_app, "privacyidea")
    if challenges_in_redis():
        raise ConfigAdminError(REDIS_REFUSED)
    return common.host_ports(LIBRARY, g)


ports_for = privacyidea_ports  # the name hosts.worker calls each adapter's by
