"""For providers that must stay Qiskit providers: job classes that are Qiskit's and jobv1's.

Subclass :class:`JobV1` here instead of ``qiskit.providers.JobV1``: the jobs
are instances of both ``qiskit.providers.JobV1`` and :class:`jobv1.JobV1`,
their ``status()`` may answer either library's ``JobStatus``, and their waits
are jobv1's (an exact deadline, policies, hooks, retries, interrupts). The
errors those waits raise are instances of both libraries' classes, so
``except`` clauses written for either keep working. :class:`PrimitiveJob` is
the same for a primitive's jobs: Qiskit's ``BasePrimitiveJob`` and a jobv1
job, whose ``status()`` may also answer a status's name (``"DONE"``).

Importing this module requires Qiskit and changes nothing in it: no Qiskit
name is replaced, no Qiskit class altered.
"""

from __future__ import annotations

from . import _errors, _job, _status
from ._typing import TYPE_CHECKING

try:
    from qiskit.primitives import BasePrimitiveJob as _QiskitPrimitiveJob
    from qiskit.providers import JobError as _QiskitJobError
    from qiskit.providers import JobTimeoutError as _QiskitJobTimeoutError
    from qiskit.providers import JobV1 as _QiskitJobV1
except ImportError as missing:  # pragma: no cover - the test suite runs with Qiskit
    raise ImportError(
        "jobv1.qiskit needs Qiskit, which is not installed: pip install qiskit"
    ) from missing

if TYPE_CHECKING:
    from typing import Any

    from ._backend import Backend
    from ._deadline import Errors

__all__ = ["JobError", "JobTimeoutError", "JobV1", "PrimitiveJob", "WaitInterruptedError"]


class JobError(_errors.JobError, _QiskitJobError):  # type: ignore[misc]
    """A :class:`jobv1.JobError` that is also a ``qiskit.providers.JobError``.

    Like Qiskit's errors, it joins its arguments into :attr:`message` and
    prints that message's ``repr``.
    """

    def __init__(self, *message: str) -> None:
        super().__init__(*message)
        #: The arguments joined by spaces, as Qiskit's errors keep them.
        self.message = " ".join(message)

    def __str__(self) -> str:
        return repr(self.message)


class JobTimeoutError(JobError, _errors.JobTimeoutError, _QiskitJobTimeoutError):  # type: ignore[misc]
    """A wait's deadline passed: jobv1's and Qiskit's ``JobTimeoutError``; a ``TimeoutError``."""


class WaitInterruptedError(JobError, _errors.WaitInterruptedError):
    """A wait was interrupted: a :class:`jobv1.WaitInterruptedError`, and a Qiskit ``JobError``."""


if TYPE_CHECKING:
    _Base = _job.JobV1[Any]
else:
    _Base = _job.JobV1


class _Qiskits:
    """What both classes here keep: Qiskit's errors from the waits and from ``backend()``."""

    #: The errors jobv1's waits raise for these classes: see :mod:`jobv1.qiskit`.
    _wait_errors: Errors = (JobTimeoutError, WaitInterruptedError)
    _job_id: str
    _backend: Backend | None

    def backend(self) -> Backend:
        """The backend the job runs on.

        Raises:
            JobError: The job was created without one; also a Qiskit ``JobError``.
        """
        if self._backend is None:
            raise JobError(f"job {self._job_id!r} has no backend")
        return self._backend


class JobV1(_Qiskits, _Base, _QiskitJobV1):  # type: ignore[misc]
    """A job handle that is a ``qiskit.providers.JobV1`` and a :class:`jobv1.JobV1`.

    Subclass it as either base: implement ``submit()``, ``status()`` and
    ``result()`` (and ``cancel()`` if the service can cancel). ``status()``
    may return ``qiskit.providers.JobStatus`` or :class:`jobv1.JobStatus`;
    the two compare equal. Every method comes from :class:`jobv1.JobV1`,
    except that the errors are this module's: a timed-out wait raises
    :class:`JobTimeoutError`, an interrupted one
    :class:`WaitInterruptedError`, and ``backend()`` without a backend
    :class:`JobError` (also Qiskit's).

    Args:
        backend: The backend the job runs on, or ``None``.
        job_id: The job's id, unique for its backend.
        **kwargs: Any metadata to keep with the job, as ``metadata``.
    """


class PrimitiveJob(_Qiskits, _Base, _QiskitPrimitiveJob):  # type: ignore[misc]
    """A primitive's job handle: a Qiskit ``BasePrimitiveJob`` and a :class:`jobv1.JobV1`.

    Subclass it for the jobs a primitive's ``run()`` returns: implement
    ``status()`` and ``result()`` (and ``cancel()`` if the service can
    cancel). ``status()`` may return jobv1's or Qiskit's ``JobStatus``, or a
    status's name (``"QUEUED"``, ``"RUNNING"``, ``"DONE"``, ...), as IBM's
    runtime jobs answer. The waits are jobv1's, with this module's errors, as
    for :class:`JobV1`; :meth:`done`, :meth:`running`, :meth:`cancelled` and
    :meth:`in_final_state` read any of those answers.

    Args:
        job_id: The job's id, unique for its primitive (first, as Qiskit's
            ``BasePrimitiveJob`` takes it).
        backend: The backend it runs on, if any: a wait reads its batch
            queries, rate limit and retry, as for any jobv1 job.
        **kwargs: Any metadata to keep with the job, as ``metadata``.
    """

    # Its status() may answer a status's name: the waits read it (_status.STATUS_NAMES).
    _status_names = True

    def __init__(self, job_id: str, *, backend: Backend | None = None, **kwargs: Any) -> None:
        super().__init__(backend, job_id, **kwargs)

    def submit(self) -> None:
        """A primitive's job is submitted by the primitive's ``run()``: this raises.

        Raises:
            JobError: Always.
        """
        raise JobError(f"job {self._job_id!r} was submitted by its primitive's run()")

    def done(self) -> bool:
        """Whether the job has run successfully (``DONE``); one status query."""
        return self._now() is _status.JobStatus.DONE

    def running(self) -> bool:
        """Whether the job is running (``RUNNING``); one status query."""
        return self._now() is _status.JobStatus.RUNNING

    def cancelled(self) -> bool:
        """Whether the job was cancelled (``CANCELLED``); one status query."""
        return self._now() is _status.JobStatus.CANCELLED

    def in_final_state(self) -> bool:
        """Whether the job is in a final state (``DONE``, ``CANCELLED``, ``ERROR``); one query."""
        return self._now() in _status.JOB_FINAL_STATES

    def _now(self) -> _status.JobStatus:
        """One status query, read as the waits read it."""
        return _status.check_status(self, self.status())
