"""For providers that must stay Qiskit providers: a job class that is Qiskit's and jobv1's.

Subclass :class:`JobV1` here instead of ``qiskit.providers.JobV1``: the jobs
are instances of both ``qiskit.providers.JobV1`` and :class:`jobv1.JobV1`,
their ``status()`` may answer either library's ``JobStatus``, and their waits
are jobv1's (an exact deadline, policies, hooks, retries, interrupts). The
errors those waits raise are instances of both libraries' classes, so
``except`` clauses written for either keep working.

Importing this module requires Qiskit and changes nothing in it: no Qiskit
name is replaced, no Qiskit class altered.
"""

from __future__ import annotations

from . import _errors, _job
from ._typing import TYPE_CHECKING

try:
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

__all__ = ["JobError", "JobTimeoutError", "JobV1", "WaitInterruptedError"]


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


class JobV1(_Base, _QiskitJobV1):  # type: ignore[misc]
    """A job handle that is a ``qiskit.providers.JobV1`` and a :class:`jobv1.JobV1`.

    Subclass it as either base: implement ``submit()``, ``status()`` and
    ``result()`` (and ``cancel()`` if the service can cancel). ``status()``
    may return ``qiskit.providers.JobStatus`` or :class:`jobv1.JobStatus`;
    the two compare equal. Every method comes from :class:`jobv1.JobV1`,
    except that the errors are this module's: a timed-out wait raises
    :class:`JobTimeoutError`, an interrupted one
    :class:`WaitInterruptedError`, and :meth:`backend` without a backend
    :class:`JobError`.

    Args:
        backend: The backend the job runs on, or ``None``.
        job_id: The job's id, unique for its backend.
        **kwargs: Any metadata to keep with the job, as ``metadata``.
    """

    #: The errors jobv1's waits raise for this class: see :mod:`jobv1.qiskit`.
    _wait_errors = (JobTimeoutError, WaitInterruptedError)

    def backend(self) -> Backend:
        """The backend the job runs on.

        Raises:
            JobError: The job was created without one; also a Qiskit ``JobError``.
        """
        if self._backend is None:
            raise JobError(f"job {self._job_id!r} has no backend")
        return self._backend
