"""Finance's daily revenue reports, landed under raw/finance/ and read by the consistency gate (reports.py)."""
