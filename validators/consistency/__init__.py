"""Cross-system checks: DuckDB over the slice a consistency run fetched (northstar/slices.py).

One module per family (referential, reconciliation, duplicates, status); suite.py runs them in order and
decides the gate. Every check returns the one CheckResult type; findings go to out_* tables that the
consistency flow stages and loads.
"""
