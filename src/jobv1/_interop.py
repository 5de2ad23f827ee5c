"""Waiting on the jobs users already hold: a :class:`~jobv1.JobV1` view of any job.

Qiskit's jobs (``qiskit.providers.JobV1`` subclasses, Aer's ``AerJob`` among
them), its primitive jobs (``BasePrimitiveJob``: ``PrimitiveJob``, IBM's
``RuntimeJobV2``) and any other object with callable ``job_id()`` and
``status()`` are waited on through a view: a ``JobV1`` whose ``status()``
reads the job's answer as a :class:`~jobv1.JobStatus` (jobv1's, Qiskit's,
or a member's name such as ``"DONE"``) and whose ``result()``, ``cancel()``
and ``submit()`` are the job's own. A job that runs on a local
:class:`concurrent.futures.Future` kept as ``_future`` (the convention of
Aer's and Qiskit's reference jobs) is read from that future and is
event-driven: waits wake when it ends instead of polling it.
"""

from __future__ import annotations

from ._errors import JobError
from ._futures import future_status, watch_future
from ._job import JobV1
from ._status import JobStatus, as_status, not_a_status
from ._typing import TYPE_CHECKING

if TYPE_CHECKING:
    import concurrent.futures
    from collections.abc import Callable
    from typing import Any


__all__ = ["ForeignJob", "as_job", "read_status", "view"]

_WHAT = "(a JobV1, a Qiskit job, or any object with callable job_id() and status())"


def view(job: object, refusal: str) -> JobV1[Any]:
    """``job`` itself if it is a :class:`JobV1`, else a view of it.

    Raises:
        TypeError: ``job`` is not a job; the message starts with ``refusal``.
    """
    if JobV1 in type(job).__mro__:  # quicker than the ABC's isinstance, for 100,000 jobs
        return job  # type: ignore[return-value]  # a JobV1, which mypy does not see
    if isinstance(job, JobV1):  # a class registered as a virtual subclass
        return job
    if isinstance(job, type) or not (
        callable(getattr(job, "job_id", None)) and callable(getattr(job, "status", None))
    ):
        raise TypeError(f"{refusal} {_WHAT}, not {job!r}")
    return ForeignJob(job)


def as_job(job: object) -> JobV1[Any]:
    """A :class:`~jobv1.JobV1` view of a job of another library, so every jobv1 feature works on it.

    A jobv1 job is returned as it is. Any other object with callable
    ``job_id()`` and ``status()`` (a ``qiskit.providers.JobV1``, a Qiskit
    primitive job, IBM's ``RuntimeJobV2``, ...) is wrapped: the view's
    ``status()`` returns a :class:`~jobv1.JobStatus` whether the job answers
    jobv1's, Qiskit's or a member's name (``"DONE"``), and raises at once on
    anything else; ``job_id()``, ``result()``, ``cancel()``, ``submit()`` and
    ``backend()`` are the job's own, and so are its other public attributes
    (``queue_position()``, say). A job that keeps the
    :class:`concurrent.futures.Future` it runs on as ``_future`` (Aer's
    ``AerJob``, Qiskit's ``PrimitiveJob``) is read from that future, never
    from its own ``status()``, and waits wake as soon as it ends.

    The waits (:func:`jobv1.wait`, :func:`jobv1.as_completed`,
    :mod:`jobv1.aio`, :func:`jobv1.monitor.job_monitor`) make such views
    themselves: there is no need to call this to wait on foreign jobs.

    Args:
        job: The job.

    Returns:
        ``job`` itself, or a new view of it.

    Raises:
        TypeError: ``job`` has no callable ``job_id()`` and ``status()``.
    """
    return view(job, "job must be a job")


def read_status(job: JobV1[Any], answer: object) -> JobStatus:
    """What a foreign job's ``status()`` answered, as a jobv1 :class:`JobStatus`.

    Raises:
        ValueError: ``answer`` is a string naming no member.
        TypeError: ``answer`` is neither a status nor a string.
    """
    status = as_status(answer)
    if status is not None:
        return status
    if isinstance(answer, str):
        member = JobStatus.__members__.get(answer)
        if member is None:
            raise ValueError(
                f"status() of job {job.job_id()!r} returned {answer!r}, which names no "
                f"JobStatus (one of {', '.join(JobStatus.__members__)})"
            )
        return member
    raise not_a_status(job, answer, "which is neither a JobStatus nor the name of one")


if TYPE_CHECKING:
    _Base = JobV1[Any]
else:
    _Base = JobV1


class ForeignJob(_Base):
    """The view :func:`as_job` makes of a job of another library."""

    #: ``None``, since it calls back only for a job on a local future.
    resync_interval = None

    def __init__(self, job: Any) -> None:
        # Not JobV1.__init__: the view keeps no id, backend or metadata of its
        # own; it asks the job each time (an id may come with submission).
        self._foreign = job
        self._async = bool(getattr(job, "_async", True))

    def _future(self) -> concurrent.futures.Future[Any] | None:
        future = getattr(self._foreign, "_future", None)
        if future is None:
            return None
        import concurrent.futures

        return future if isinstance(future, concurrent.futures.Future) else None

    def job_id(self) -> str:
        """The job's own ``job_id()``."""
        return self._foreign.job_id()  # type: ignore[no-any-return]

    def backend(self) -> Any:
        """The job's own ``backend()``.

        Raises:
            JobError: The job has no ``backend()`` method.
        """
        method = getattr(self._foreign, "backend", None)
        if not callable(method):
            raise JobError(f"job {self.job_id()!r} has no backend")
        return method()

    def to_reference(self) -> dict[str, Any]:
        """Refuse: a job of another library says nothing of a provider that could restore it.

        Raises:
            JobError: Always.
        """
        raise JobError(
            f"job {self.job_id()!r} is a {type(self._foreign).__name__}, which jobv1 cannot "
            "save: only a JobV1 whose class names a provider (reference_provider) can be"
        )

    def submit(self) -> Any:
        """The job's own ``submit()``."""
        return self._foreign.submit()

    def status(self) -> JobStatus:
        """The job's status: from its future if it runs on one, else from its ``status()``.

        Raises:
            ValueError: ``status()`` answered a string that names no status.
            TypeError: ``status()`` answered something else that is not a status.
        """
        future = self._future()
        if future is not None:
            # Not the job's own status(): Qiskit's PrimitiveJob answers ERROR for a
            # future that has not started yet, and keeps that answer for good.
            return future_status(future)
        return read_status(self, self._foreign.status())

    def result(self, *args: Any, **kwargs: Any) -> Any:
        """The job's own ``result()``, with the arguments given."""
        return self._foreign.result(*args, **kwargs)

    def cancel(self, *args: Any, **kwargs: Any) -> Any:
        """The job's own ``cancel()``, with the arguments given.

        Raises:
            NotImplementedError: The job has no ``cancel()`` method.
        """
        method = getattr(self._foreign, "cancel", None)
        if not callable(method):
            return super().cancel()
        return method(*args, **kwargs)

    def watch(self, wakeup: Callable[[], object]) -> Callable[[], object] | None:
        """Wake waits when the job's future is done, if it runs on one."""
        future = self._future()
        return None if future is None else watch_future(future, wakeup)

    def __getattr__(self, name: str) -> Any:
        # The job's other public attributes (queue_position(), metadata, ...).
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._foreign, name)

    def __repr__(self) -> str:
        return f"<ForeignJob of {self._foreign!r}>"
