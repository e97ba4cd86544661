"""Where eduMFA deployments' gunicorn config files import the worker hook from (:mod:`..worker`)."""

from ..worker import post_worker_init, start

__all__ = ["post_worker_init", "start"]
