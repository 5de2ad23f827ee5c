"""Examples that run in the test suite: see each folder's own docstring."""
