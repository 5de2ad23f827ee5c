"""``Job`` and ``JobV1``: the job handle a provider subclasses."""

from __future__ import annotations

from abc import ABC, abstractmethod

from ._arguments import check_one
from ._deadline import ERRORS
from ._errors import JobError
from ._requests import StopIterationError, unshielded
from ._status import JOB_FINAL_STATES, JobStatus
from ._traits import GROUP, base
from ._typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from ._backend import Backend
    from ._deadline import Errors
    from ._interrupt import Interrupt
    from ._limit import RateLimit
    from ._polling import Poller
    from ._protocols import PollPolicy
    from ._retry import Retry

if TYPE_CHECKING:
    #: The type :meth:`JobV1.result` returns; a bare ``JobV1`` means ``JobV1[Any]``.
    ResultT = TypeVar("ResultT", default=Any)
else:
    ResultT = TypeVar("ResultT")

__all__ = [
    "Job",
    "JobV1",
    "final_status",
]

#: What :meth:`JobV1.__init__` sets: a job without them skipped it.
_SET_BY_INIT = frozenset({"_job_id", "_backend", "metadata"})
#: The types of a ``wait`` given as a plain number of seconds (not ``bool``).
_NUMBERS = (int, float)


class Job:
    """The common base of every job class, whatever its version, for ``isinstance`` checks.

    Subclass :class:`JobV1`, not this class.
    """

    version = 0


class JobV1(Job, ABC, Generic[ResultT]):
    """A handle on a job that runs somewhere else: its id, its status, its result.

    A provider subclasses it and implements :meth:`submit`, :meth:`status` and
    :meth:`result` (and :meth:`cancel` if its service can cancel); everything
    else, waiting included, comes from this class. It is a drop-in for
    ``qiskit.providers.JobV1``: the same methods, arguments and defaults.

    ``JobV1`` is generic in the type :meth:`result` returns: subclass
    ``JobV1[MyResult]`` to have it checked, or plain ``JobV1`` for ``Any``.

    Args:
        backend: The backend the job runs on, or ``None``.
        job_id: The job's id, unique for its backend.
        **kwargs: Any metadata to keep with the job, as :attr:`metadata`.
    """

    version = 1
    #: ``False`` in a subclass whose jobs are finished when created: then
    #: :meth:`wait_for_final_state` returns at once, as in Qiskit.
    _async = True
    #: Seconds between two status queries that waits make all the same of a
    #: job that calls back when it ends (see :meth:`watch`), in case a call
    #: back is lost: then the wait learns of the end within this time, not at
    #: its deadline (or never). ``None`` trusts the call back alone. Set it
    #: on a subclass (or a job) whose notifications may be lost, or never are.
    resync_interval: float | None = 60.0
    #: The most seconds the service may hold a status query for news (a
    #: long-poll), or ``None`` for short queries. A subclass that sets it
    #: makes :meth:`status` take ``wait=`` seconds: the service answers as
    #: soon as the status changes, or when ``wait`` is over with the status
    #: unchanged (no news). Waits then ask with ``status(wait=s)``, ``s`` the
    #: smaller of this and the time left before their deadline, and ask again
    #: at once after news or a query held to its end. A query that comes back
    #: sooner with no news (a service that does not hold it) is followed by
    #: the wait's policy's delay.
    status_long_poll: float | None = None
    #: The provider's name under which :func:`jobv1.restore` finds, in the
    #: ``jobv1.providers`` entry-point group, the function that rebuilds this
    #: class's jobs from :meth:`to_reference`'s dict. ``None``: its jobs
    #: cannot be saved.
    reference_provider: str | None = None
    #: The classes of the errors the waits on this class's jobs raise, at the
    #: deadline and on an interrupt (:mod:`jobv1.qiskit` names its own).
    _wait_errors: Errors = ERRORS

    def __init__(self, backend: Backend | None, job_id: str, **kwargs: Any) -> None:
        self._job_id = job_id
        self._backend = backend
        #: The keyword arguments given to the constructor.
        self.metadata: dict[str, Any] = kwargs

    # Hidden from type checkers, which would then allow any attribute of a job.
    if not TYPE_CHECKING:  # pragma: no branch

        def __getattr__(self, name: str) -> Any:
            # Called only for an attribute not found: say why, if a subclass's
            # __init__ did not call the base's.
            if name in _SET_BY_INIT:
                raise AttributeError(
                    f"{type(self).__name__} object has no attribute {name!r}: its __init__ "
                    "must call super().__init__(backend, job_id) (JobV1.__init__ keeps the "
                    "job's id, backend and metadata)",
                    name=name,
                    obj=self,
                )
            raise AttributeError(
                f"{type(self).__name__!r} object has no attribute {name!r}", name=name, obj=self
            )

    def job_id(self) -> str:
        """The job's id, unique for its backend."""
        return self._job_id

    def backend(self) -> Backend:
        """The backend the job runs on.

        Raises:
            JobError: The job was created without one.
        """
        if self._backend is None:
            raise JobError(f"job {self._job_id!r} has no backend")
        return self._backend

    @abstractmethod
    def submit(self) -> None:
        """Send the job to its backend to be run."""

    @abstractmethod
    def result(self) -> ResultT:
        """The job's result, once it is ``DONE``."""

    @abstractmethod
    def status(self) -> JobStatus:
        """Ask the service for the job's status, one query.

        It must be a :class:`JobStatus`, jobv1's or ``qiskit.providers``'.
        """

    def to_reference(self) -> dict[str, Any]:
        """The job as a small JSON-able dict that :func:`jobv1.restore` turns back into the job.

        Save it (a file, a database, a message) and restore the job after a
        restart, in another process or on another machine where the
        provider is installed. It holds the provider's name
        (:attr:`reference_provider`), the backend's name and the job's id;
        a provider whose service needs more to find a job again adds it in
        an override. Never credentials: the restoring process has its own.

        Returns:
            ``{"provider": ..., "backend": ..., "job_id": ...}``; the
            backend is ``None`` for a job made without one.

        Raises:
            JobError: The class names no provider, so nothing could restore
                the job.
            TypeError: :attr:`reference_provider` is not a str.
        """
        provider = self.reference_provider
        if provider is None:
            raise JobError(
                f"job {self.job_id()!r} cannot be saved: {type(self).__name__} names no "
                f"provider to restore it (set its reference_provider, and register the "
                f"provider's restore function in the entry-point group {GROUP!r})"
            )
        if not isinstance(provider, str):
            raise TypeError(
                f"reference_provider of {type(self).__name__} must be a str or None, "
                f"not {provider!r}"
            )
        return {"provider": provider, "backend": _name_of(self._backend), "job_id": self.job_id()}

    def cancel(self) -> Any:
        """Ask the service to cancel the job.

        Subclasses whose service can cancel override it; this one raises.

        Raises:
            NotImplementedError: Always, unless overridden.
        """
        raise NotImplementedError(f"{type(self).__name__} cannot cancel jobs")

    # The predicates compare with ``==``: a status() that answers Qiskit's
    # JobStatus (say, of a wrapped Qiskit job) is read as well as jobv1's.

    def done(self) -> bool:
        """Whether the job has run successfully (``DONE``); one status query."""
        return self.status() == JobStatus.DONE

    def running(self) -> bool:
        """Whether the job is running (``RUNNING``); one status query."""
        return self.status() == JobStatus.RUNNING

    def cancelled(self) -> bool:
        """Whether the job was cancelled (``CANCELLED``); one status query."""
        return self.status() == JobStatus.CANCELLED

    def in_final_state(self) -> bool:
        """Whether the job is in a final state (``DONE``, ``CANCELLED``, ``ERROR``); one query."""
        return self.status() in JOB_FINAL_STATES

    @base
    def poll_hint(self, status: JobStatus) -> float | None:
        """How long a wait should let pass before its next status query of this job.

        Override it in a subclass when the service's answer says when to look
        again (a queue position, an estimated start time), read from the
        answer :meth:`status` just got (a Retry-After comes with an error
        response: :class:`~jobv1.Retry` reads it with ``retry_after``): a
        wait asks a job for hints when its class overrides this method (not
        a function set on one job). A wait calls it
        after every non-final query, with that query's status, and lets the
        seconds it returns pass, counted from that answer, instead of the
        delay its own policy would choose; the wait's deadline still bounds
        the sleep. A hint under 0.05 s is
        taken as given once ("now"), then as 0.05 s while the hints stay
        under it: never a hot loop. This base returns ``None``: follow the
        policy.

        Args:
            status: The non-final status the last query returned.

        Returns:
            A finite number of seconds ``>= 0``, or ``None``.
        """
        return None

    @base
    def watch(self, wakeup: Callable[[], object]) -> Callable[[], object] | None:
        """Arrange to call ``wakeup()`` when the job ends, if the job can tell.

        Override it in a job class (a function set on one job is not looked
        for, as with :meth:`poll_hint`) that learns of its end without asking (a
        future's callback, a webhook, a message on a socket): waits then
        stop polling the job after a non-final query, and query it again as
        soon as ``wakeup()`` is called, from any thread. Such a job's
        :meth:`status` must be cheap and must not block: the asyncio waits
        call it on the event loop. This base returns ``None``: the job is
        polled.

        Args:
            wakeup: Call it, once or more, from any thread, when the job may
                have reached a final state; at once if it already has.

        Returns:
            A function that undoes the arrangement, or ``None``.
        """
        return None

    def wait_for_final_state(
        self,
        timeout: float | None = None,
        wait: float | PollPolicy = 5,
        callback: Callable[[str, JobStatus, Any], object] | None = None,
        *,
        on_status: Callable[[Any, JobStatus], object] | None = None,
        retry: Retry | None = None,
        interrupt: Interrupt | None = None,
        rate_limit: RateLimit | None = None,
    ) -> None:
        """Poll the job's status until it is final: ``DONE``, ``CANCELLED`` or ``ERROR``.

        The first status query is made at once. After each non-final query,
        ``callback(job_id, status, job)`` is called (but not after the query
        that times the wait out), then the wait sleeps before the next query,
        exactly as ``qiskit.providers.JobV1`` does.

        The deadline is exact: durations come from a monotonic clock, and no
        sleep passes the deadline. The wait sleeps up to it, makes its last
        query there, and raises at once if the job is still not final. The
        queries run in the waiting thread, so the deadline holds between
        them: a ``status()`` that takes 3 s delays the wait by up to 3 s.
        (The :mod:`jobv1.aio` waits run queries off the event loop and do not
        wait for a slow one past the deadline.)

        Args:
            timeout: Seconds to wait at most; ``None`` waits indefinitely;
                ``<= 0`` means already due: one query, then the error if the
                job is not final.
            wait: Seconds between queries, or a policy such as
                :class:`~jobv1.Backoff`.
            callback: Called after each non-final query, as described above.
            on_status: Called as ``on_status(job, status)`` once for each
                distinct status the job is seen in, the final one included;
                a :class:`~jobv1.monitor.Monitor` is one.
            retry: Which exceptions from :meth:`status` to ride out; by
                default every exception propagates at once.
            interrupt: Stops the wait from another thread when it is set.
            rate_limit: A :class:`~jobv1.RateLimit` the wait's queries draw
                from, with every other wait given it (and the limit the
                job's backend declares as ``status_rate_limit``, if any).

        Raises:
            JobTimeoutError: The deadline came and the job was not final.
            WaitInterruptedError: ``interrupt`` was set.
            TypeError: An argument is of the wrong type, or :meth:`status`
                returned something that is neither jobv1's nor Qiskit's
                :class:`JobStatus`.
            ValueError: ``timeout`` is NaN, or ``wait`` is negative, infinite
                or NaN.
        """
        if (
            on_status is None
            and retry is None
            and interrupt is None
            and rate_limit is None
            and _wait_alone(self, timeout, wait, callback)
        ):
            return  # the common case, on a path of its own: it behaves as the loop does
        checked = check_one(
            self,
            timeout=timeout,
            poll=("wait", wait),
            callback=callback,
            on_status=on_status,
            retry=retry,
            interrupt=interrupt,
            rate_limit=rate_limit,
        )
        from ._polling import general  # the engine loads with the first wait

        poller = general(checked)  # a policy that gives no delays is refused here
        if self._async:
            final_status(poller)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} job_id={self._job_id!r}>"


def _wait_alone(job: JobV1[Any], timeout: object, wait: object, callback: object) -> bool:
    """The one-job fast path, :func:`jobv1._alone.wait_alone`: loaded by the first wait.

    ``import jobv1`` does not load the waits' engine. The first call puts
    the engine's function in this one's place, so later calls go straight to it.
    """
    global _wait_alone  # noqa: PLW0603 - replaced once, by the engine's own
    from ._alone import wait_alone

    _wait_alone = wait_alone
    return wait_alone(job, timeout, wait, callback)


def final_status(poller: Poller[Any]) -> JobStatus:
    """Drive the wait of ``poller`` on one job in this thread; return the job's final status."""
    rounds = iter(poller)
    try:
        try:
            [(_, status)] = next(rounds)
        finally:
            rounds.close()  # the watches are undone now, and their failures raised
    except StopIterationError as carried:
        raise unshielded(carried) from None
    return status


def _name_of(backend: object) -> str | None:
    """A backend's name, a property or a method (as in Qiskit's ``BackendV1``); else ``None``."""
    name = getattr(backend, "name", None)
    if callable(name):
        name = name()
    return name if isinstance(name, str) else None
