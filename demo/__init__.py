"""The demo and its seeding: a seeded orders source and feeds derived from it (not installed with the product).

`make demo` runs `python -m demo` from the repository; tests and benchmarks import the seeding from here.
"""
