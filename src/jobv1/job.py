"""The job classes, where ``qiskit.providers.job`` keeps them.

``from jobv1.job import Job, JobV1`` works as the same import from
``qiskit.providers.job`` does, so a provider can replace ``qiskit.providers``
by ``jobv1`` in its imports.
"""

from ._job import Job, JobV1

__all__ = ["Job", "JobV1"]
