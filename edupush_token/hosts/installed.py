"""The host this Python environment has; the admin tools work on whichever it is.

eduMFA and privacyIDEA pin their libraries differently, so one environment
holds one of them (``pip install "edupush-token[edumfa]"`` or
``"edupush-token[privacyidea]"``); where both happen to be, eduMFA is taken.
"""

from __future__ import annotations

import importlib
from importlib.util import find_spec
from types import ModuleType

from ..catalogue import EDUMFA_CONFIG_FILE
from ..errors import EdupushError

HOSTS = {"edumfa": "eduMFA", "privacyidea": "privacyIDEA"}  # package -> name, in order of preference


class NoHost(EdupushError):
    """Neither host is installed next to this package."""


def installed_host() -> str:
    """The package name of the host this environment has."""
    for package in HOSTS:
        if find_spec(package) is not None:
            return package
    raise NoHost('neither eduMFA nor privacyIDEA is installed: pip install "edupush-token[edumfa]" (or [privacyidea])')


def host_name() -> str:
    return HOSTS[installed_host()]


def adapter(module: str) -> ModuleType:
    """A module of the installed host's adapter, e.g. ``adapter("app")``."""
    return importlib.import_module(f"{__package__}.{installed_host()}.{module}")


def default_host() -> str:
    """The installed host's package name; eduMFA's where no host is installed."""
    try:
        return installed_host()
    except NoHost:
        return "edumfa"


def default_config_file() -> str:
    """The config file the installed host itself would read here; eduMFA's place where no host is installed."""
    try:
        return str(adapter("app").default_config_file())
    except NoHost:
        return EDUMFA_CONFIG_FILE
