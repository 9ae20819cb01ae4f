"""Benchmarks: documented commands that print figures (see README.md); never run as tests."""
