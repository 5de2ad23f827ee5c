"""The exceptions jobv1 raises.

The tree::

    Exception
    └── JobError                 anything that went wrong with a job
        ├── JobTimeoutError      a wait reached its deadline (also a TimeoutError)
        └── WaitInterruptedError a wait was stopped through its Interrupt
"""

from __future__ import annotations

__all__ = ["JobError", "JobTimeoutError", "WaitInterruptedError"]


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
