"""Benchmarks of edupushplus against eduMFA's built-in push token; run with ``python -m bench``.

``runner`` parses the options and runs the workloads (``enrollment``,
``polling``, ``push_wait``, ``triggerchallenge``, ``trigger_poll_only``), each
on the one eduMFA that ``environment`` sets up, with the series, timing and
statistics of ``harness``; ``report`` and ``chart`` write the results.
"""
