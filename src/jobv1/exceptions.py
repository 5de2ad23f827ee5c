"""The job errors, where ``qiskit.providers.exceptions`` keeps them.

``from jobv1.exceptions import JobError, JobTimeoutError`` works as the same
import from ``qiskit.providers.exceptions`` does, so a provider can replace
``qiskit.providers`` by ``jobv1`` in its imports.
"""

from ._errors import JobError, JobTimeoutError

__all__ = ["JobError", "JobTimeoutError"]
