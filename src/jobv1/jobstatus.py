"""The job statuses, where ``qiskit.providers.jobstatus`` keeps them.

``from jobv1.jobstatus import JobStatus, JOB_FINAL_STATES`` works as the same
import from ``qiskit.providers.jobstatus`` does, so a provider can replace
``qiskit.providers`` by ``jobv1`` in its imports.
"""

from ._status import JOB_FINAL_STATES, JobStatus

__all__ = ["JOB_FINAL_STATES", "JobStatus"]
