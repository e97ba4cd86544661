"""edupush-token: a hardened, wire-compatible push token type for eduMFA.

The package is layered so that each layer can be read and tested on its own:

- ``wire``: the eduPUSH wire format as the eduMFA Authenticator app speaks it
  (pure functions and plain data, no I/O);
- ``crypto``: key handling, server signatures, phone signature checks;
- ``lifecycle``: what a challenge or an enrollment may do next;
- ``delivery``: how a push leaves the server;
- ``waiting``: how a push_wait login learns of the phone's answer;
- ``hosts.edumfa``: the eduMFA adapter, and the only place that imports eduMFA;
- ``edumfa_plugin``: the module admins list, defining the token class.
"""

__version__ = "0.1.0"

from .catalogue import TOKEN_TYPE

__all__ = ["TOKEN_TYPE", "__version__"]
