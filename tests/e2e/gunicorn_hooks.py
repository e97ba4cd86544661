"""gunicorn server hooks for the tests with real workers (``gunicorn --config`` this file).

Each worker starts the plugin's outbox sweeps as it boots, as
docs/operations.md tells admins to (``edupush_token.hosts.worker``, on eduMFA also ``.edumfa.worker``).

eduMFA 2.9.5 caches one resolver object per process and publishes it in the
cache before it has loaded its users (``edumfa.lib.resolver.get_resolver_object``),
so threads racing through a fresh worker's first requests can find no users:
"ERR904: The user can not be found in any resolver in this realm!".  Loading
every resolver once before the worker serves keeps that eduMFA race out of
tests that are about the plugin.  privacyIDEA, from which eduMFA forked, gets the same.
"""

import importlib


def post_worker_init(worker):
    from edupush_token.devtools.local_instance import installed_host
    from edupush_token.hosts.worker import post_worker_init as start_the_plugin

    resolvers = importlib.import_module(f"{installed_host()}.lib.resolver")
    with worker.wsgi.app_context():
        for name in resolvers.get_resolver_list():
            resolvers.get_resolver_object(name)
    start_the_plugin(worker)
