"""edupush-token: a hardened, wire-compatible push token type for eduMFA and privacyIDEA.

The package is layered so that each layer can be read and tested on its own
(the README's "Layout" has the whole tree):

- ``catalogue`` and ``errors``: every name and number, and the one error root;
- ``wire``, ``crypto``, ``lifecycle``, ``limits``, ``waiting``: pure decisions
  and formats, no I/O;
- ``service``: the decisions of each request, talking to the host only
  through ``ports``;
- ``storage``, ``delivery``, ``runtime``: the database, Firebase and the
  per-process objects;
- ``hosts``: what both hosts share (``common*``, ``library``), and one adapter
  per host: ``hosts.edumfa`` the only place that imports eduMFA,
  ``hosts.privacyidea`` the only place that imports privacyIDEA;
- ``edumfa_plugin``, ``privacyidea_plugin``: the modules admins list, defining the token class.
"""

from .catalogue import TOKEN_TYPE

__version__ = "0.2.0"  # the package's version; pyproject.toml reads it from here

__all__ = ["TOKEN_TYPE", "__version__"]
