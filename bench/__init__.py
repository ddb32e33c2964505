"""Benchmarks; shared helpers live in `bench.common`."""
