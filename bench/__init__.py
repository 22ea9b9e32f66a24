"""Benchmarks: ``python -m bench.verify_offline`` and ``python -m bench.verify_http`` (``make bench``).

Every speed goal is a ratio against a baseline measured in the same run, so the
figures mean the same on a laptop and in CI. See ``bench/README.md``.
"""
