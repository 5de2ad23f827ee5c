"""The exceptions jobv1 raises.

The tree::

    Exception
    └── JobError                 anything that went wrong with a job
        ├── JobTimeoutError      a wait reached its deadline (also a TimeoutError)
        ├── WaitInterruptedError a wait was stopped through its Interrupt
        ├── JobFailedError       a job whose result was asked for ended in ERROR
        ├── JobCancelledError    a job whose result was asked for was cancelled
        └── TooManyPendingError  a service refused a job: too many of the caller's are pending
"""

from __future__ import annotations

from ._typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

    from ._status import JobStatus

__all__ = [
    "JobCancelledError",
    "JobError",
    "JobFailedError",
    "JobTimeoutError",
    "TooManyPendingError",
    "WaitInterruptedError",
]


class JobError(Exception):
    """Base class of the errors about jobs, and the error for a job in a bad state."""


class JobTimeoutError(JobError, TimeoutError):
    """A wait reached its deadline before the job reached a final state.

    It is also a builtin :class:`TimeoutError`, so ``except TimeoutError``
    catches it alongside the timeouts of the standard library. It prints as
    any other exception does, whatever its arguments: never in
    :class:`OSError`'s ``[Errno ...]`` form.
    """

    def __str__(self) -> str:
        return BaseException.__str__(self)


class WaitInterruptedError(JobError):
    """A wait was stopped early, from another thread, through the interrupt it was given."""


class TooManyPendingError(JobError):
    """A service refused to take a job because too many of the caller's are pending.

    A provider raises it (or a subclass) from its submission when the
    service answers so ("you have reached the limit of 3 pending jobs").
    :func:`jobv1.as_completed` given such a submission as a
    :class:`~jobv1.Submit` waits for one of its jobs to end and submits it
    again, instead of failing the sweep.
    """


class _EndedError(JobError):
    """A job ended otherwise than ``DONE``: the error of a result that cannot be had."""

    def __init__(self, message: str, *, job: Any = None, status: JobStatus | None = None) -> None:
        super().__init__(message)
        #: The job, as it was given.
        self.job = job
        #: Its final status.
        self.status = status


class JobFailedError(_EndedError):
    """The job ended in ``ERROR``, so it has no result.

    Raised by :func:`jobv1.result`. Where the provider's ``result()`` raised
    an error of its own for the job, that error is the ``__cause__``.

    Attributes:
        job: The job, as it was given.
        status: Its final status, ``ERROR``.
    """


class JobCancelledError(_EndedError):
    """The job was cancelled, so it has no result.

    Raised by :func:`jobv1.result`.

    Attributes:
        job: The job, as it was given.
        status: Its final status, ``CANCELLED``.
    """
