"""The performance harness: ``make bench`` (see docs/performance.md and bench/run.py)."""
