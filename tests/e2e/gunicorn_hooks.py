"""gunicorn server hooks for the tests with real workers (``gunicorn --config`` this file).

Each worker starts the plugin's outbox sweeps as it boots, as
docs/operations.md tells admins to (``edupush_token.hosts.edumfa.worker``).

eduMFA 2.9.5 caches one resolver object per process and publishes it in the
cache before it has loaded its users (``edumfa.lib.resolver.get_resolver_object``),
so threads racing through a fresh worker's first requests can find no users:
"ERR904: The user can not be found in any resolver in this realm!".  Loading
every resolver once before the worker serves keeps that eduMFA race out of
tests that are about the plugin.
"""


def post_worker_init(worker):
    from edumfa.lib.resolver import get_resolver_list, get_resolver_object

    from edupush_token.hosts.edumfa.worker import post_worker_init as start_the_plugin

    with worker.wsgi.app_context():
        for name in get_resolver_list():
            get_resolver_object(name)
    start_the_plugin(worker)
