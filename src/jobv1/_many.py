"""Waiting on many jobs at once: ``wait`` and ``as_completed``."""

from __future__ import annotations

from ._errors import JobTimeoutError, TooManyPendingError
from ._intake import REFUSED, Intake, Submit, check_max_pending, check_refused
from ._moving import Taking, open_intake
from ._options import (
    DEFAULT_MAX_IN_FLIGHT,
    DEFAULT_POLL,
    check_jobs,
    check_many,
    element,
    given_jobs,
)
from ._requests import StopIterationError, unshielded
from ._status import JobStatus
from ._typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterable, Iterator
    from typing import Any, Final

    from ._ahead import Ahead
    from ._arguments import Checked
    from ._futurewait import FutureWait
    from ._interrupt import Interrupt
    from ._limit import RateLimit
    from ._plain import Plain
    from ._polling import Poller
    from ._protocols import PollPolicy
    from ._requests import Layout
    from ._retry import Retry

__all__ = [
    "ALL_COMPLETED",
    "AsCompleted",
    "DEFAULT_MAX_IN_FLIGHT",
    "DEFAULT_POLL",
    "DoneAndNotDone",
    "FIRST_COMPLETED",
    "FIRST_EXCEPTION",
    "as_completed",
    "begin_as_completed",
    "begin_wait",
    "check_hashable",
    "check_return_when",
    "ended",
    "enough",
    "wait",
]

#: :func:`wait` returns when any job reaches a final state.
FIRST_COMPLETED: Final = "FIRST_COMPLETED"
#: :func:`wait` returns when any job ends in ``ERROR``, or when all jobs are final.
FIRST_EXCEPTION: Final = "FIRST_EXCEPTION"
#: :func:`wait` returns when every job is final.
ALL_COMPLETED: Final = "ALL_COMPLETED"


#: Any job: a :class:`JobV1`, a Qiskit job, anything with ``job_id()`` and ``status()``.
#: Unbounded: a list of jobs of several classes joins to ``object`` for a type checker.
J = TypeVar("J")


class DoneAndNotDone(tuple[set[J], set[J]], Generic[J]):
    """What :func:`wait` returns: the jobs that are final and those that are not.

    A pair, as :func:`concurrent.futures.wait` returns: unpack it as
    ``done, not_done = jobv1.wait(jobs)``, or read it by name. A job whose
    status could not be read (its ``status()`` raised, and no ``retry``
    rode it out; it answered what is not a status) is in ``done``, ended in
    ``ERROR``, with its error in :attr:`failures`, as a future that raised
    is done with its exception.
    """

    def __new__(
        cls, done: set[J], not_done: set[J], failures: dict[J, Exception] | None = None
    ) -> DoneAndNotDone[J]:
        made = tuple.__new__(cls, (done, not_done))
        made._failures = {} if failures is None else failures
        return made

    _failures: dict[J, Exception]

    def __getnewargs__(self) -> tuple[set[J], set[J], dict[J, Exception]]:
        return self[0], self[1], self._failures

    @property
    def done(self) -> set[J]:
        """The jobs in a final state, as they were given, those that failed included."""
        return self[0]

    @property
    def not_done(self) -> set[J]:
        """The jobs not in a final state yet, as they were given."""
        return self[1]

    @property
    def failures(self) -> dict[J, Exception]:
        """The jobs of :attr:`done` whose status could not be read, each with its error."""
        return self._failures

    def exception(self, job: J) -> Exception | None:
        """The error that ended ``job``, if its status could not be read; else ``None``."""
        return self._failures.get(job)

    def __repr__(self) -> str:
        failures = f", failures={self._failures!r}" if self._failures else ""
        return f"DoneAndNotDone(done={self[0]!r}, not_done={self[1]!r}{failures})"


class AsCompleted(Taking[J]):
    """What :func:`as_completed` returns: an iterator over the jobs as they end.

    A job whose status could not be read (its ``status()`` raised, and no
    ``retry`` rode it out; it answered what is not a status) is yielded
    like the others, ended in ``ERROR``: :meth:`exception` gives its error,
    as a future's ``exception()`` does. The other jobs are still waited on.

    :meth:`add` puts a job made meanwhile into the wait.
    """

    __slots__ = ("__weakref__", "_ahead", "_rounds")

    def __init__(self, layout: Layout[J], wait: Checked[J]) -> None:
        super().__init__(layout, wait)
        # The rounds, as the loop yields them, once begun here (on a clock of a test's)...
        self._rounds: Generator[list[tuple[J, JobStatus]], None, None] | None = None
        # ... or as a jobv1 thread reads them ahead (on the system's clock).
        self._ahead: Ahead[J] | None = None

    def __iter__(self) -> AsCompleted[J]:
        return self

    def __next__(self) -> J:
        move = self._move
        if move.due():
            self._moved()
        while (job := self._next_ready()) is None:
            if not self._pulled():
                if not move.taken_back():
                    raise StopIteration
                self._moved()  # jobs added as the wait ended: waited on now
        return job

    def _pulled(self) -> bool:
        """Wait for the next jobs that end, into ``_ready``; ``False`` if the wait is over."""
        if self._ahead is None and self._rounds is None:
            self._begin()
        try:
            if self._ahead is not None:
                self._ready.append(self._ahead.take())
            else:
                assert self._rounds is not None  # _begin made one or the other
                self._ready.extend(job for job, _ in next(self._rounds))
        except StopIteration:
            return False
        return True

    def _begin(self) -> None:
        """Begin the wait: read ahead in a jobv1 thread, on the system's clock (``_ahead``)."""
        from ._blocking import drive

        layout = self._move.layout
        if not layout.reads_early():
            self._rounds = drive(layout)
            return
        import weakref

        from ._ahead import Ahead

        ahead = self._ahead = Ahead(layout)
        weakref.finalize(self, ahead.stop)  # dropped unfinished: the thread stops

    def _moved(self) -> None:
        """Stop the wait as it is, and go on in the general loop with the jobs added."""
        if self._ahead is not None:
            ended = self._ended(*self._ahead.finish())
            self._ahead = None
            if ended:
                return
        elif self._rounds is not None:
            self._rounds.close()
            self._rounds = None
        self._move.move()

    def close(self) -> None:
        """Stop waiting: the wait's watches are undone, and no other query is made.

        Once a round of queries under way, if any, is over: the jobs it ends are
        not yielded.
        """
        self._closed = True
        self._ready.clear()
        if self._ahead is not None:
            self._ahead.stop()
        else:
            if self._rounds is None:  # closed before it began: it begins closed, asking nothing
                from ._blocking import drive

                self._rounds = drive(self._move.layout)
            self._rounds.close()


def check_hashable(wait: Checked[Any]) -> None:
    """A ``TypeError`` if a job cannot be put in the sets :func:`wait` returns."""
    if all(kind.__hash__ is not None for kind in wait.kinds):
        return
    job = next(job for job in wait.given if type(job).__hash__ is None)
    raise TypeError(
        f"wait() returns sets of jobs, and {job!r} cannot be in one: its class "
        "defines __eq__ without __hash__ (give it a __hash__, or use as_completed)"
    )


def check_return_when(return_when: object) -> None:
    """A ``ValueError`` unless ``return_when`` is one of the three constants."""
    if return_when not in (FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED):
        raise ValueError(
            "return_when must be FIRST_COMPLETED, FIRST_EXCEPTION or ALL_COMPLETED, "
            f"not {return_when!r}"
        )


def begin_wait(
    jobs: Iterable[J], timeout: float | None, return_when: str, **options: Any
) -> Poller[J] | Plain[J] | FutureWait[J]:
    """Check the arguments of :func:`wait` (or its ``aio`` twin); its layout."""
    from ._choose import layout  # the engine loads with the first wait

    checked = check_many(jobs, timeout=timeout, **options)
    made = layout(checked)
    check_return_when(return_when)
    check_hashable(checked)
    made.eager = return_when != ALL_COMPLETED  # it returns at one job's end: read each at once
    return made


def ended(
    layout: Poller[J] | Plain[J] | FutureWait[J],
    finished: list[tuple[J, JobStatus]],
    done: set[J],
    failures: dict[J, Exception],
) -> None:
    """Note the jobs ``finished`` in ``done``, and those that failed in ``failures``."""
    for job, status in finished:
        done.add(job)
        if status is JobStatus.ERROR and (failure := layout.failure_of(job)) is not None:
            failures[job] = failure


def begin_as_completed(
    jobs: Iterable[J],
    timeout: float | None,
    *,
    max_pending: int | None = None,
    refused: object = REFUSED,
    **options: Any,
) -> tuple[Layout[J], Checked[J]]:
    """Check the arguments of :func:`as_completed` (or its ``aio`` twin); its layout and wait.

    With ``max_pending``, or a :class:`~jobv1.Submit` among the jobs, the
    general loop draws the jobs through a window (:mod:`jobv1._intake`).
    """
    from ._choose import layout  # the engine loads with the first wait
    from ._polling import Poller, general

    bound = check_max_pending(max_pending)
    refusal = check_refused(refused)
    if bound is None:
        given, kinds = given_jobs(jobs)
        if Submit not in kinds:
            checked = check_many(given, timeout=timeout, kinds=kinds, **options)
            made = layout(checked)
            made.eager = True  # it yields each job as it ends
            if isinstance(made, Poller):
                made.intake = open_intake()
            return made, checked
        source: Iterator[object] = iter(given)
    else:
        source = iter(check_jobs(jobs))
    checked = check_many([], timeout=timeout, kinds=set(), **options)
    poller = general(checked)
    poller.eager = True
    poller.intake = Intake(source, bound, refusal, element)
    return poller, checked


def enough(return_when: str, finished: list[tuple[J, JobStatus]]) -> bool:
    """Whether the jobs that just ended let a wait with ``return_when`` return."""
    return return_when == FIRST_COMPLETED or (
        return_when == FIRST_EXCEPTION and any(s is JobStatus.ERROR for _, s in finished)
    )


def wait(
    jobs: Iterable[J],
    timeout: float | None = None,
    return_when: str = ALL_COMPLETED,
    *,
    poll: float | PollPolicy = DEFAULT_POLL,
    on_status: Callable[[Any, JobStatus], object] | None = None,
    retry: Retry | None = None,
    interrupt: Interrupt | None = None,
    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
    rate_limit: RateLimit | None = None,
    until: Iterable[JobStatus] = (),
) -> DoneAndNotDone[J]:
    """Wait until the jobs are final, or some are, as ``return_when`` says.

    Like :func:`concurrent.futures.wait`, for jobs. The caller's thread polls
    every job on its own schedule under one deadline for the whole set; a
    job given twice counts once. The queries due at the same time run at
    once on worker threads, up to ``max_in_flight``; hooks still run in the
    caller's thread, one at a time, in the jobs' order. Where several jobs
    share a backend with a ``job_statuses`` method, the jobs due together
    are queried in one request (several, if the backend's
    ``max_status_batch`` says one takes fewer).

    At the deadline every job still pending is queried once more; then the
    function returns, whatever the jobs' states: it never raises on timeout.

    A job whose status cannot be read (its ``status()`` raises and no
    ``retry`` rides it out, or it answers what is not a status; a batch
    may answer an exception for one job) fails alone, as a future does:
    it is done, in ``ERROR`` (``on_status`` is told so, and the ``jobv1``
    logger warns), its error is in the result's
    :attr:`~jobv1.DoneAndNotDone.failures`, and the other jobs are still
    waited on. ``FIRST_EXCEPTION`` returns at it.

    Args:
        jobs: The jobs to wait on: jobv1's, Qiskit's (``AerJob``, primitive
            jobs, ``RuntimeJobV2``, ...), or any with ``job_id()`` and
            ``status()``, as :func:`~jobv1.as_job` reads them.
        timeout: Seconds to wait at most; ``None`` for no limit; ``<= 0``
            for one query of each job.
        return_when: :data:`~jobv1.FIRST_COMPLETED`, :data:`~jobv1.FIRST_EXCEPTION` (the
            first job to end in ``ERROR``) or :data:`~jobv1.ALL_COMPLETED`. The jobs
            found final in the same round of queries are all returned.
        poll: How often to query each job: seconds or a policy; by default
            ``Backoff()``.
        on_status: Called as ``on_status(job, status)`` once for each
            distinct status a job is seen in, the final one included.
        retry: Which exceptions from ``status()`` to ride out.
        interrupt: Stops the wait from another thread when it is set.
        max_in_flight: How many status queries may run at once; ``1``
            makes them one after another, in this thread.
        rate_limit: A :class:`~jobv1.RateLimit` the wait's queries draw
            from, with every other wait given it (and the limit each job's
            backend declares as ``status_rate_limit``, if any).
        until: Statuses that count as arrived besides the final ones, jobv1's
            or Qiskit's: ``until={JobStatus.RUNNING}`` returns when every job
            is running or final. A job seen in one is done, and asked no more.

    Returns:
        ``(done, not_done)``, a :class:`~jobv1.DoneAndNotDone`: the sets of
        jobs that are final and that are not; the jobs as they were given.

    Raises:
        TypeError: ``jobs`` is not an iterable of jobs, ``until`` not one of
            statuses, or another argument is of the wrong type.
        ValueError: ``return_when`` is not one of the three constants, or
            another argument is out of range.
        WaitInterruptedError: ``interrupt`` was set.
    """
    poller = begin_wait(
        jobs,
        timeout,
        return_when,
        poll=poll,
        on_status=on_status,
        retry=retry,
        interrupt=interrupt,
        max_in_flight=max_in_flight,
        rate_limit=rate_limit,
        until=until,
    )
    done: set[J] = set()
    failures: dict[J, Exception] = {}
    rounds = iter(poller)
    try:
        try:
            for finished in rounds:
                ended(poller, finished, done, failures)
                if enough(return_when, finished):
                    break
        finally:
            rounds.close()  # the watches are undone now, and their failures raised
    except JobTimeoutError:
        pass  # the deadline came: return what is done
    except StopIterationError as carried:
        raise unshielded(carried) from None
    return DoneAndNotDone(done, set(poller.not_done()), failures)


def as_completed(
    jobs: Iterable[J],
    timeout: float | None = None,
    *,
    poll: float | PollPolicy = DEFAULT_POLL,
    on_status: Callable[[Any, JobStatus], object] | None = None,
    retry: Retry | None = None,
    interrupt: Interrupt | None = None,
    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
    rate_limit: RateLimit | None = None,
    until: Iterable[JobStatus] = (),
    max_pending: int | None = None,
    refused: type[Exception] | tuple[type[Exception], ...] | Callable[[Exception], object] = (
        TooManyPendingError
    ),
) -> AsCompleted[J]:
    """Yield each job once, as soon as it is seen in a final state.

    Like :func:`concurrent.futures.as_completed`, for jobs: the order is the
    order in which the jobs reach a final state, the caller's thread polls
    them all under one deadline for the whole set (running the queries due
    together at once, as :func:`wait` does), and a job given twice is
    yielded once. The arguments are checked and the deadline is
    set when the function is called, not when iteration starts.

    At the deadline every job still pending is queried once more; those
    found final are yielded, then :class:`~jobv1.JobTimeoutError` is raised.

    A job whose status cannot be read fails alone, as in :func:`wait`: it is
    yielded, ended in ``ERROR``, and :meth:`~jobv1.AsCompleted.exception`
    gives its error; the other jobs are still waited on.

    On the system's clock the wait goes on while the ``for`` body runs: from
    the first job asked for, a jobv1 thread polls and keeps the jobs that
    end (at most 16 not taken yet), and hooks are called in that thread;
    what ends the wait is raised after the jobs that ended before it.
    ``close()``, or dropping the iterator, stops it. On a
    :class:`~jobv1.testing.FakeClock` it polls as it is asked, in the
    caller's thread.

    Jobs made while it runs join it with :meth:`~jobv1.AsCompleted.add`.
    Given ``max_pending=N``, it reads ``jobs`` lazily: it draws jobs as
    its first round begins until ``N`` are pending, and the next one each
    time one ends, so that a generator ``(backend.run(c) for c in
    circuits)`` submits each job when there is room for it (no job is
    drawn once the deadline has come; one ended by ``until=`` makes room
    too). A :class:`~jobv1.Submit` among the jobs is a submission the wait
    makes itself, when there is room: if the service refuses it for having
    too many jobs pending (it raises what ``refused`` names), the wait
    submits it again once one of its jobs has ended, instead of failing.
    Jobs are drawn, and submissions made, in the thread that polls.

    Args:
        jobs: The jobs to wait on, of any kind :func:`wait` takes.
        timeout: Seconds to wait at most; ``None`` for no limit.
        poll: How often to query each job: seconds or a policy; by default
            ``Backoff()``.
        on_status: Called as ``on_status(job, status)`` once for each
            distinct status a job is seen in, the final one included.
        retry: Which exceptions from ``status()`` to ride out.
        interrupt: Stops the wait from another thread when it is set.
        max_in_flight: How many status queries may run at once; ``1``
            makes them one after another, in this thread.
        rate_limit: A :class:`~jobv1.RateLimit` the wait's queries draw
            from, with every other wait given it (and the limit each job's
            backend declares as ``status_rate_limit``, if any).
        until: Statuses that count as arrived besides the final ones, as
            :func:`wait` takes them: a job is yielded when it is seen in one.
        max_pending: How many of the jobs may be pending at once, at most:
            ``jobs`` is then read lazily. ``None`` reads them all at the call.
        refused: What a :class:`~jobv1.Submit`'s failure is when the service
            refuses a job for too many pending: an exception class, a tuple
            of them, or a function of the failure that says so. A refusal
            while none of the wait's jobs is pending is raised (no end would
            make room).

    Returns:
        An :class:`~jobv1.AsCompleted`: an iterator over the jobs, as they
        were given.

    Raises:
        JobTimeoutError: While iterating, at the deadline, if some jobs are
            not final, or some were not drawn yet; its message says how many.
        WaitInterruptedError: While iterating, when ``interrupt`` is set.
        TypeError: ``jobs`` is not an iterable of jobs, or another
            argument is of the wrong type. While iterating, with
            ``max_pending``: an element drawn is not a job.
        ValueError: An argument is out of range.
        Exception: While iterating, what the jobs' iterator raised, or a
            submission's failure that is not a refusal.
    """
    made, checked = begin_as_completed(
        jobs,
        timeout,
        poll=poll,
        on_status=on_status,
        retry=retry,
        interrupt=interrupt,
        max_in_flight=max_in_flight,
        rate_limit=rate_limit,
        until=until,
        max_pending=max_pending,
        refused=refused,
    )
    return AsCompleted(made, checked)
