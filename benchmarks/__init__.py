"""Benchmarks: `make bench` runs benchmarks.orders_batch and rewrites BENCHMARKS.md."""
