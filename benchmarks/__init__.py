"""Runnable benchmarks that print their figures (not tests): ``python -m benchmarks.<name>``."""
