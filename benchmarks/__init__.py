"""Benchmarks of jobv1, side by side with qiskit.providers.JobV1 where it applies."""
