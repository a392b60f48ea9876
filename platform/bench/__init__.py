"""Benchmarks run by `make bench`; each prints one figure per line as `name value unit`."""
