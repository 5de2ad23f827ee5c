"""The states a job moves through, and which of them are final."""

from __future__ import annotations

import enum

__all__ = ["JOB_FINAL_STATES", "JobStatus"]


class JobStatus(enum.Enum):
    """Where a job is in its life.

    The member names and values are those of ``qiskit.providers.JobStatus``, in
    the same order, so code written against either compares and prints alike.
    A job normally moves from ``INITIALIZING`` through ``QUEUED`` and
    ``VALIDATING`` to ``RUNNING`` and ends in one of the final states:
    ``DONE``, ``CANCELLED`` or ``ERROR``.
    """

    INITIALIZING = "job is being initialized"
    QUEUED = "job is queued"
    VALIDATING = "job is being validated"
    RUNNING = "job is actively running"
    CANCELLED = "job has been cancelled"
    DONE = "job has successfully run"
    ERROR = "job incurred error"


JOB_FINAL_STATES: tuple[JobStatus, ...] = (JobStatus.DONE, JobStatus.CANCELLED, JobStatus.ERROR)
"""The statuses a job never leaves: ``DONE``, ``CANCELLED`` and ``ERROR``."""
