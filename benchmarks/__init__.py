"""Scan-time benchmarks against synthetic moto accounts (``python -m benchmarks.run``)."""
