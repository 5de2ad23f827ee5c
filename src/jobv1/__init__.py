"""jobv1: job handles for remote services, with waits that keep their deadlines.

Subclass :class:`JobV1`; test it with :mod:`jobv1.testing`. The documentation
is at https://jobv1.readthedocs.io/ and in the ``docs`` folder.
"""

from ._backend import Backend
from ._errors import JobError, JobTimeoutError, WaitInterruptedError
from ._job import Job, JobV1
from ._policy import Backoff, PollPolicy
from ._status import JOB_FINAL_STATES, JobStatus

__version__ = "0.1.0"

__all__ = [
    "Backend",
    "Backoff",
    "JOB_FINAL_STATES",
    "Job",
    "JobError",
    "JobStatus",
    "JobTimeoutError",
    "JobV1",
    "PollPolicy",
    "WaitInterruptedError",
]
