"""``FakeBackend`` and ``FakeJob``: jobs whose lives a test scripts, in memory."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import threading
import time
import weakref
from typing import TYPE_CHECKING, Any, NamedTuple

from .._checks import check_seconds
from .._clock import SystemClock, current_clock
from .._errors import JobError
from .._job import JobV1
from .._policy import Backoff
from .._status import JOB_FINAL_STATES, JobStatus
from ._clock import FakeClock, unentered

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from .._protocols import Clock

__all__ = [
    "RESTORING",
    "FakeBackend",
    "FakeJob",
    "Hold",
    "Query",
    "restoring_fakes",
]

#: The environment variable that lets :func:`jobv1.restore` rebuild fake jobs
#: (``"1"``), set by :func:`restoring_fakes`: an environment variable, so that
#: the worker processes a test starts inside the block inherit it.
RESTORING = "JOBV1_RESTORE_FAKE_JOBS"


@contextlib.contextmanager
def restoring_fakes() -> Iterator[None]:
    """Let :func:`jobv1.restore` rebuild the test kit's fake jobs, inside a ``with`` block.

    A reference is data that names code to run: installing jobv1 registers
    its fake jobs as the provider ``jobv1-fake``, and a hand-made reference
    naming it would otherwise restore, with no service asked, into a job
    that says ``DONE`` with any result. So :meth:`FakeJob.from_reference`
    refuses unless a test allowed it, with this block or the
    ``restoring_fakes`` fixture. The permission is the environment variable
    ``JOBV1_RESTORE_FAKE_JOBS``, which the processes started inside the block (a
    process pool, a local Dask cluster) inherit; leaving the block puts back
    what was there.
    """
    before = os.environ.get(RESTORING)
    os.environ[RESTORING] = "1"
    try:
        yield
    finally:
        if before is None:
            del os.environ[RESTORING]
        else:
            os.environ[RESTORING] = before


class Hold:
    """One step of a fake job's script: a non-final status, held for a while.

    Args:
        status: The status, one that is not final.
        seconds: How long the status holds, in (virtual) seconds.
        queries: How many status queries it answers before the next step.

    Give ``seconds`` or ``queries``, or neither to hold the status forever.

    Raises:
        TypeError: ``status`` is not a JobStatus, ``queries`` not an int.
        ValueError: ``status`` is final, ``seconds`` negative or not finite,
            ``queries`` below 1, or both limits given.
    """

    __slots__ = ("queries", "seconds", "status")

    def __init__(
        self, status: JobStatus, *, seconds: float | None = None, queries: int | None = None
    ) -> None:
        if not isinstance(status, JobStatus):
            raise TypeError(f"status must be a JobStatus, not {status!r}")
        if status in JOB_FINAL_STATES:
            raise ValueError(
                f"status must not be final, got {status}; end a script with result=, error= or end="
            )
        if seconds is not None and queries is not None:
            raise ValueError(f"give seconds or queries, not both: {seconds!r} and {queries!r}")
        if queries is not None:
            if isinstance(queries, bool) or not isinstance(queries, int):
                raise TypeError(f"queries must be an int, not {queries!r}")
            if queries < 1:
                raise ValueError(f"queries must be >= 1, got {queries!r}")
        self.status = status
        self.seconds = None if seconds is None else check_seconds("seconds", seconds)
        self.queries = queries

    def __repr__(self) -> str:
        limit = (
            f", seconds={self.seconds!r}"
            if self.seconds is not None
            else f", queries={self.queries!r}"
            if self.queries is not None
            else ""
        )
        return f"Hold({self.status}{limit})"


class Query(NamedTuple):
    """One status query a :class:`FakeJob` answered."""

    #: The clock's time when the query was made.
    time: float
    #: The status it answered.
    status: JobStatus


def _wall(clock: Clock) -> float:
    """Now, in seconds since the epoch: a :class:`FakeClock`'s own time, else the system's."""
    return clock.monotonic() if isinstance(clock, FakeClock) else time.time()


# The backends of restored jobs, by name: the jobs of one backend share it.
_restored: weakref.WeakValueDictionary[str, FakeBackend] = weakref.WeakValueDictionary()


class FakeJob(JobV1[Any]):
    """A job whose statuses follow a script, or a test's own hand.

    :meth:`FakeBackend.run` makes them. The job starts at the first step of
    its script when it is submitted and moves through the steps as the
    current clock advances (or as it answers queries); after the last step it
    ends ``DONE`` with its result, ``ERROR`` with its error, or as ``end``
    says. :meth:`set_status`, :meth:`set_result` and :meth:`fail` drive it by
    hand instead, and stop the script. Every status query is kept in
    :attr:`queries`.

    Once final, a job stays final: a move out of a final status raises
    :class:`~jobv1.JobError`.

    A job saves itself with :meth:`to_reference`, script included, and
    :func:`jobv1.restore` makes it again, in this process or another: the
    test kit registers itself as the provider ``"jobv1-fake"``.
    """

    reference_provider = "jobv1-fake"

    def __init__(
        self,
        backend: FakeBackend | None,
        job_id: str,
        *,
        script: Iterable[Hold] = (),
        result: Any = None,
        error: BaseException | None = None,
        end: JobStatus | None = None,
        cancellable: bool = True,
        **metadata: Any,
    ) -> None:
        super().__init__(backend, job_id, **metadata)
        steps = list(script)
        for step in steps:
            if not isinstance(step, Hold):
                raise TypeError(f"script must hold Hold steps, not {step!r}")
        if error is not None and not isinstance(error, BaseException):
            raise TypeError(f"error must be an exception or None, not {error!r}")
        if end is None:
            end = JobStatus.DONE if error is None else JobStatus.ERROR
        elif end not in JOB_FINAL_STATES:
            raise ValueError(f"end must be a final JobStatus, not {end!r}")
        if error is not None and end is not JobStatus.ERROR:
            raise ValueError(f"error= means the job ends in ERROR, but end={end}")
        if not isinstance(cancellable, bool):
            raise TypeError(f"cancellable must be a bool, not {cancellable!r}")
        self._lock = threading.RLock()
        self._steps = steps
        self._end = end
        self._result = result
        self._error = error
        self._cancellable = cancellable
        self._status = JobStatus.INITIALIZING
        self._submitted = False
        #: The clock the job was submitted on: its steps' times are on it.
        self._clock: Clock = current_clock()
        self._step = 0
        self._step_started = 0.0
        self._step_queries = 0
        #: Every status query, in order.
        self.queries: list[Query] = []

    def submit(self) -> None:
        """Start the script at the current time.

        Raises:
            JobError: The job was submitted already.
        """
        with self._lock:
            if self._submitted:
                raise JobError(f"job {self.job_id()!r} was submitted already")
            clock = current_clock()
            if isinstance(clock, SystemClock):
                made = unentered()
                if made is not None:
                    raise RuntimeError(
                        f"{made!r} was made but never entered, so fake job {self.job_id()!r} "
                        "would run on the system's clock, in real time: make the job inside "
                        "`with FakeClock() as clock:` (or under the fake_clock fixture)"
                    )
            self._submitted = True
            self._clock = clock
            self._step_started = clock.monotonic()
            self._enter_step()

    def _enter_step(self) -> None:
        if self._step < len(self._steps):
            self._status = self._steps[self._step].status
        else:
            self._status = self._end

    def _follow_script(self, now: float) -> None:
        """Move through the steps whose time is over by ``now``."""
        while self._submitted and self._step < len(self._steps):
            seconds = self._steps[self._step].seconds
            if seconds is None or now < self._step_started + seconds:
                return
            self._next_step(self._step_started + seconds)

    def _next_step(self, started: float) -> None:
        self._step += 1
        self._step_started = started
        self._step_queries = 0
        self._enter_step()

    def _now(self) -> float:
        """The time on the clock the job was submitted on; an error on another one.

        A job submitted before its test's :class:`FakeClock` was entered lives
        on the system's clock: asked in virtual time, its steps would end at
        the real clock's offset, silently. It says so instead.
        """
        clock = current_clock()
        if self._submitted and clock is not self._clock:
            raise JobError(
                f"fake job {self.job_id()!r} was submitted on {self._clock!r} and is asked on "
                f"{clock!r}: make it inside the `with FakeClock():` block (or under the "
                "fake_clock fixture) its waits run in, or restore it there from its reference"
            )
        return clock.monotonic()

    def status(self) -> JobStatus:
        """The scripted status at the current time; one recorded query."""
        with self._lock:
            now = self._now()
            self._follow_script(now)
            status = self._status
            self.queries.append(Query(now, status))
            if self._submitted and self._step < len(self._steps):
                self._step_queries += 1
                if self._step_queries == self._steps[self._step].queries:
                    self._next_step(now)
            return status

    def to_reference(self) -> dict[str, Any]:
        """The job as a JSON-able dict, script included, for :func:`jobv1.restore`.

        Besides the provider, the backend's name and the id, it holds the
        script from the step the job is in now, when that step began (in
        seconds since the epoch: the system's wall clock, or a
        :class:`FakeClock`'s own time, so that another process rebuilds the
        same timeline), how the job ends, its result, and its error as text.
        Its queries and metadata stay behind.

        Raises:
            TypeError: The job's result is not JSON-able.
        """
        with self._lock:
            now = self._now()
            clock = current_clock()
            self._follow_script(now)
            script: list[list[Any]] = [
                [hold.status.name, hold.seconds, hold.queries] for hold in self._steps[self._step :]
            ]
            if script and script[0][2] is not None:
                script[0][2] -= self._step_queries  # the queries the step still answers
            reference = super().to_reference()
            reference.update(
                submitted=self._submitted,
                began=_wall(clock) - (now - self._step_started),
                script=script,
                status=self._status.name,
                end=self._end.name,
                result=self._result,
                error=None if self._error is None else repr(self._error),
                cancellable=self._cancellable,
            )
        try:
            json.dumps(reference)
        except (TypeError, ValueError) as error:
            raise TypeError(
                f"job {self.job_id()!r} cannot be saved: its result {self._result!r} "
                "is not JSON-able"
            ) from error
        return reference

    @classmethod
    def from_reference(cls, reference: dict[str, Any]) -> FakeJob:
        """The job a :meth:`to_reference` dict stands for, at the same point of its script.

        :func:`jobv1.restore` calls it, through the entry point
        ``jobv1-fake`` of the group ``jobv1.providers``. The jobs of one
        backend share a :class:`FakeBackend` of that name. A job that had an
        error fails with a :class:`~jobv1.JobError` that gives it as text.

        Raises:
            JobError: No test allowed it: see :func:`~jobv1.testing.restoring_fakes`.
            ValueError: ``reference`` is not one :meth:`to_reference` made.
        """
        if os.environ.get(RESTORING) != "1":
            raise JobError(
                "a reference to a fake job of jobv1's test kit (provider 'jobv1-fake') is "
                "restored only where a test allows it: inside "
                "`with jobv1.testing.restoring_fakes():`, or with the `restoring_fakes` fixture"
            )
        try:
            status = JobStatus[reference["status"]]
            script = [
                Hold(JobStatus[name], seconds=seconds, queries=queries)
                for name, seconds, queries in reference["script"]
            ]
            end = JobStatus[reference["end"]]
            if not script and status in JOB_FINAL_STATES:
                end = status  # ended, or moved to its end by hand
            elif not script:
                script = [Hold(status)]  # moved by hand: it holds that status
            error = reference["error"]
            backend = _backend_named(reference["backend"])
            job = cls(
                backend,
                reference["job_id"],
                script=script,
                result=reference["result"],
                error=None if error is None or end is not JobStatus.ERROR else JobError(error),
                end=end,
                cancellable=reference["cancellable"],
            )
            submitted, began = reference["submitted"], reference["began"]
            if submitted:
                clock = job._clock = current_clock()
                job._submitted = True
                job._step_started = clock.monotonic() - (_wall(clock) - began)
                job._enter_step()
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(
                f"reference {reference!r} is not one FakeJob.to_reference() made"
            ) from error
        if backend is not None:
            backend.jobs.append(job)
        return job

    def result(self, timeout: float | None = None) -> Any:
        """Wait for the job to end, polling with :class:`~jobv1.Backoff`, then return its result.

        Args:
            timeout: As for :meth:`~jobv1.JobV1.wait_for_final_state`.

        Raises:
            JobError: The job ended in ``ERROR`` (its error is the
                ``__cause__``) or ``CANCELLED``.
            JobTimeoutError: The job did not end in time.
        """
        self.wait_for_final_state(timeout, wait=Backoff())  # checks timeout
        with self._lock:
            if self._status is JobStatus.DONE:
                return self._result
            if self._status is JobStatus.CANCELLED:
                raise JobError(f"job {self.job_id()!r} was cancelled")
            raise JobError(f"job {self.job_id()!r} failed: {self._error!r}") from self._error

    def cancel(self) -> bool:
        """Cancel the job: ``True`` if it becomes ``CANCELLED`` now, else ``False``.

        A job that is already final, or was made with ``cancellable=False``,
        is not cancelled.
        """
        with self._lock:
            self._follow_script(self._now())
            if not self._cancellable or self._status in JOB_FINAL_STATES:
                return False
            self._move(JobStatus.CANCELLED)
            return True

    def _move(self, status: JobStatus) -> None:
        self._follow_script(self._now())
        if self._status in JOB_FINAL_STATES:
            raise JobError(
                f"job {self.job_id()!r} is {self._status.name}, a final status; "
                f"it cannot move to {status.name}"
            )
        self._status = status
        self._steps = []

    def set_status(self, status: JobStatus) -> None:
        """Put the job in ``status`` now, and stop its script.

        Raises:
            TypeError: ``status`` is not a :class:`~jobv1.JobStatus`.
            JobError: The job is already in a final status.
        """
        if not isinstance(status, JobStatus):
            raise TypeError(f"status must be a JobStatus, not {status!r}")
        with self._lock:
            self._move(status)

    def set_result(self, result: Any) -> None:
        """End the job ``DONE`` with ``result`` now, and stop its script.

        Raises:
            JobError: The job is already in a final status.
        """
        with self._lock:
            self._move(JobStatus.DONE)
            self._result = result

    def fail(self, error: BaseException) -> None:
        """End the job in ``ERROR`` with ``error`` now, and stop its script.

        Raises:
            TypeError: ``error`` is not an exception.
            JobError: The job is already in a final status.
        """
        if not isinstance(error, BaseException):
            raise TypeError(f"error must be an exception, not {error!r}")
        with self._lock:
            self._move(JobStatus.ERROR)
            self._error = error


def _backend_named(name: str | None) -> FakeBackend | None:
    """The backend of restored jobs named ``name``; ``None`` for none."""
    if name is None:
        return None
    backend = _restored.get(name)
    if backend is None:
        backend = _restored[name] = FakeBackend(name)
    return backend


class FakeBackend:
    """An in-memory backend whose :meth:`run` makes scripted :class:`FakeJob` s.

    Like httpx's ``MockTransport`` for HTTP clients, it stands in for a real
    service in tests: each ``run`` call says how its job will behave.

    Args:
        name: The backend's name; job ids are ``"<name>-<n>"``.
    """

    def __init__(self, name: str = "fake") -> None:
        if not isinstance(name, str):
            raise TypeError(f"name must be a str, not {name!r}")
        self._name = name
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        #: Every job this backend has made, in order.
        self.jobs: list[FakeJob] = []

    @property
    def name(self) -> str:
        """The backend's name."""
        return self._name

    def run(
        self,
        run_input: Any = None,
        /,
        *,
        script: Iterable[Hold] = (),
        result: Any = None,
        error: BaseException | None = None,
        end: JobStatus | None = None,
        cancellable: bool = True,
        **options: Any,
    ) -> FakeJob:
        """Make a job, submit it at the current time, and return it.

        Args:
            run_input: What the job runs; kept in its ``metadata``.
            script: The steps the job goes through, in order.
            result: The result of a job that ends ``DONE``.
            error: An exception: the job ends in ``ERROR`` with it.
            end: The final status after the script; by default ``DONE``,
                or ``ERROR`` when ``error`` is given.
            cancellable: Whether :meth:`FakeJob.cancel` cancels the job.
            **options: Kept in the job's ``metadata``.

        Raises:
            TypeError: A script step is not a :class:`Hold`, or another
                argument is of the wrong type.
            ValueError: ``end`` is not final, or contradicts ``error``.
        """
        with self._lock:
            job_id = f"{self._name}-{next(self._ids)}"
        job = FakeJob(
            self,
            job_id,
            script=script,
            result=result,
            error=error,
            end=end,
            cancellable=cancellable,
            run_input=run_input,
            **options,
        )
        job.submit()
        with self._lock:
            self.jobs.append(job)
        return job

    def __repr__(self) -> str:
        return f"FakeBackend(name={self._name!r})"
