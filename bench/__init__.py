"""Stein's benchmark harness: ``python -m bench`` (``make bench``) and ``python -m bench.http``."""
