"""Benchmarks of edupushplus against eduMFA's built-in push token; run with ``python -m bench``."""
