"""Waiting on many jobs at once: ``wait`` and ``as_completed``."""

from __future__ import annotations

from ._clock import current_clock
from ._deadline import errors_of
from ._errors import JobTimeoutError
from ._interop import view
from ._job import JobV1
from ._plain import Plain
from ._policy import Backoff, drawn_once
from ._polling import Poller, check_wait
from ._requests import StopIterationError, unshielded
from ._status import JobStatus
from ._traits import asks_alone, batch_of, gives_hints, limit_of, resync_of, watches
from ._typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from typing import Any, Final

    from ._interrupt import Interrupt
    from ._limit import RateLimit
    from ._protocols import Clock, PollPolicy
    from ._retry import Retry

__all__ = [
    "ALL_COMPLETED",
    "DEFAULT_MAX_IN_FLIGHT",
    "DEFAULT_POLL",
    "Checked",
    "DoneAndNotDone",
    "FIRST_COMPLETED",
    "FIRST_EXCEPTION",
    "as_completed",
    "blocking",
    "check_hashable",
    "check_many",
    "check_return_when",
    "enough",
    "general",
    "wait",
]

#: :func:`wait` returns when any job reaches a final state.
FIRST_COMPLETED: Final = "FIRST_COMPLETED"
#: :func:`wait` returns when any job ends in ``ERROR``, or when all jobs are final.
FIRST_EXCEPTION: Final = "FIRST_EXCEPTION"
#: :func:`wait` returns when every job is final.
ALL_COMPLETED: Final = "ALL_COMPLETED"

DEFAULT_POLL: Final = Backoff()
#: How many status queries a wait on many jobs runs at once, by default.
DEFAULT_MAX_IN_FLIGHT: Final = 8

#: Any job: a :class:`JobV1`, a Qiskit job, anything with ``job_id()`` and ``status()``.
#: Unbounded: a list of jobs of several classes joins to ``object`` for a type checker.
J = TypeVar("J")


class DoneAndNotDone(tuple[set[J], set[J]], Generic[J]):
    """What :func:`wait` returns: the jobs that are final and those that are not.

    A pair, as :func:`concurrent.futures.wait` returns: unpack it as
    ``done, not_done = jobv1.wait(jobs)``, or read it by name.
    """

    __slots__ = ()

    def __new__(cls, done: set[J], not_done: set[J]) -> DoneAndNotDone[J]:
        return tuple.__new__(cls, (done, not_done))

    def __getnewargs__(self) -> tuple[set[J], set[J]]:
        return self[0], self[1]

    @property
    def done(self) -> set[J]:
        """The jobs in a final state, as they were given."""
        return self[0]

    @property
    def not_done(self) -> set[J]:
        """The jobs not in a final state yet, as they were given."""
        return self[1]

    def __repr__(self) -> str:
        return f"DoneAndNotDone(done={self[0]!r}, not_done={self[1]!r})"


def _given(jobs: Iterable[J]) -> tuple[list[J], set[type]]:
    """The jobs as given, in a list, and their classes.

    Raises:
        TypeError: ``jobs`` is not an iterable.
    """
    if isinstance(jobs, (JobV1, str, bytes)) or not hasattr(jobs, "__iter__"):
        raise TypeError(f"jobs must be an iterable of jobs, not {jobs!r}")
    given = list(jobs)
    return given, set(map(type, given))


def _unique(given: list[J], kinds: set[type]) -> list[J]:
    """The jobs in their first order, each once."""
    if all(kind.__hash__ is _HASH and kind.__eq__ is _EQ for kind in kinds):
        # Jobs hashed and compared by identity, as most are: a set of them is
        # quick to make (a dict keyed by id() makes an int per job), and most
        # often says that no job is given twice.
        if len(set(given)) == len(given):
            return given
        return list(dict.fromkeys(given))
    # A job given twice is the same object both times: keeping the last is keeping the first.
    return list({id(job): job for job in given}.values())


#: What a class that hashes and compares by identity has as ``__hash__`` and ``__eq__``.
_HASH: object = object.__hash__
_EQ: object = object.__eq__


def _element(job: object) -> JobV1[Any]:
    return view(job, "jobs must hold only jobs")


class Checked(Generic[J]):
    """A wait on many jobs with its arguments checked: what each of the loops is made from."""

    __slots__ = (
        "_unique",
        "clock",
        "errors",
        "given",
        "interrupt",
        "kinds",
        "max_in_flight",
        "on_status",
        "policy",
        "rate_limit",
        "retry",
        "started",
        "timeout",
    )

    def __init__(
        self,
        given: list[J],
        *,
        kinds: set[type],
        clock: Clock,
        started: float,
        timeout: float | None,
        policy: PollPolicy,
        on_status: Callable[[Any, JobStatus], object] | None,
        retry: Retry | None,
        interrupt: Interrupt | None,
        max_in_flight: int,
        rate_limit: RateLimit | None,
    ) -> None:
        #: The jobs as given: a job may be there twice.
        self.given = given
        #: The jobs' classes.
        self.kinds = kinds
        #: The errors the wait raises: those the jobs' classes name, if they agree.
        self.errors = errors_of(kinds)
        self._unique: list[J] | None = None
        self.clock = clock
        #: When the call was made, on :attr:`clock`: the deadline runs from then.
        self.started = started
        self.timeout = timeout
        self.policy = policy
        self.on_status = on_status
        self.retry = retry
        self.interrupt = interrupt
        self.max_in_flight = max_in_flight
        self.rate_limit = rate_limit

    @property
    def jobs(self) -> list[J]:
        """The jobs, each once, in their first order; found the first time they are asked for."""
        if self._unique is None:
            self._unique = _unique(self.given, self.kinds)
        return self._unique


def check_many(
    jobs: Iterable[J],
    *,
    timeout: float | None,
    poll: float | PollPolicy,
    on_status: Callable[[Any, JobStatus], object] | None,
    retry: Retry | None,
    interrupt: Interrupt | None,
    max_in_flight: int,
    rate_limit: RateLimit | None,
) -> Checked[J]:
    """Check the arguments of a wait on many jobs, naming any that is bad."""
    clock = current_clock()
    started = clock.monotonic()  # the deadline runs from the call, not from the checks' end
    given, kinds = _given(jobs)
    limit, policy, bound, shared = check_wait(
        timeout=timeout,
        poll=("poll", poll),
        callback=None,
        on_status=on_status,
        retry=retry,
        interrupt=interrupt,
        max_in_flight=max_in_flight,
        rate_limit=rate_limit,
    )
    return Checked(
        given,
        kinds=kinds,
        clock=clock,
        started=started,
        timeout=limit,
        policy=policy,
        on_status=on_status,
        retry=retry,
        interrupt=interrupt,
        max_in_flight=bound,
        rate_limit=shared,
    )


def general(wait: Checked[J]) -> Poller[J]:
    """The general loop for ``wait``: any jobs, any arguments."""
    return Poller(
        wait.jobs,
        clock=wait.clock,
        started=wait.started,
        timeout=wait.timeout,
        policy=wait.policy,
        on_status=wait.on_status,
        retry=wait.retry,
        interrupt=wait.interrupt,
        errors=wait.errors,
        batch=batch_of,
        adapt=_element,
        max_in_flight=wait.max_in_flight,
        rate_limit=wait.rate_limit,
        limit_of=limit_of,
        hints_of=gives_hints,
        watches_of=watches,
        resync_of=resync_of,
    )


def blocking(wait: Checked[J]) -> Poller[J] | Plain[J]:
    """The loop for ``wait`` in this thread: plain polled jobs get the loop made for them.

    That loop (:mod:`jobv1._plain`) behaves as :class:`Poller` does, at a
    fraction of its cost per job.
    """
    drawn = drawn_once(wait.policy)
    if (
        drawn is None
        or wait.retry is not None
        or wait.rate_limit is not None
        or len(wait.jobs) < 2
        or not _plain(wait.jobs)
    ):
        return general(wait)
    return Plain(
        wait.jobs,
        clock=wait.clock,
        started=wait.started,
        timeout=wait.timeout,
        drawn=drawn,
        on_status=wait.on_status,
        interrupt=wait.interrupt,
        max_in_flight=wait.max_in_flight,
        errors=wait.errors,
    )


def _plain(jobs: list[Any]) -> bool:
    """Whether every job is a :class:`JobV1` polled alike, on a backend with no batch or limit.

    That is: a job of a class that keeps the base ``watch()`` and
    ``poll_hint()``, on a backend with neither ``job_statuses`` nor
    ``status_rate_limit``. Each class and each backend is looked at once.
    (An instance attribute named ``watch`` or ``poll_hint`` is not looked
    for: reading an instance's ``__dict__`` would make one for each of
    100,000 jobs that had none.)
    """
    classes: dict[type, bool] = {}
    backends: dict[int, bool] = {}
    for job in jobs:
        kind = type(job)
        fits = classes.get(kind)
        if fits is None:
            fits = classes[kind] = (
                JobV1 in kind.__mro__ and not watches(job) and not gives_hints(job)
            )
        if not fits:
            return False
        backend = getattr(job, "_backend", None)
        alone = backends.get(id(backend))
        if alone is None:
            alone = backends[id(backend)] = asks_alone(backend)
        if not alone:
            return False
    return True


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

    Returns:
        ``(done, not_done)``, a :class:`~jobv1.DoneAndNotDone`: the sets of
        jobs that are final and that are not; the jobs as they were given.

    Raises:
        TypeError: ``jobs`` is not an iterable of jobs, or another
            argument is of the wrong type.
        ValueError: ``return_when`` is not one of the three constants, or
            another argument is out of range.
        WaitInterruptedError: ``interrupt`` was set.
    """
    checked = check_many(
        jobs,
        timeout=timeout,
        poll=poll,
        on_status=on_status,
        retry=retry,
        interrupt=interrupt,
        max_in_flight=max_in_flight,
        rate_limit=rate_limit,
    )
    poller = blocking(checked)
    check_return_when(return_when)
    check_hashable(checked)
    done: set[J] = set()
    rounds = iter(poller)
    try:
        try:
            for finished in rounds:
                done.update(job for job, _ in finished)
                if enough(return_when, finished):
                    break
        finally:
            rounds.close()  # the watches are undone now, and their failures raised
    except JobTimeoutError:
        pass  # the deadline came: return what is done
    except StopIterationError as carried:
        raise unshielded(carried) from None
    return DoneAndNotDone(done, set(poller.not_done()))


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
) -> Iterator[J]:
    """Yield each job once, as soon as it is seen in a final state.

    Like :func:`concurrent.futures.as_completed`, for jobs: the order is the
    order in which the jobs reach a final state, the caller's thread polls
    them all under one deadline for the whole set (running the queries due
    together at once, as :func:`wait` does), and a job given twice is
    yielded once. The arguments are checked and the deadline is
    set when the function is called, not when iteration starts.

    At the deadline every job still pending is queried once more; those
    found final are yielded, then :class:`~jobv1.JobTimeoutError` is raised.

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

    Returns:
        An iterator over the jobs, as they were given.

    Raises:
        JobTimeoutError: While iterating, at the deadline, if some jobs are
            not final; its message says how many.
        WaitInterruptedError: While iterating, when ``interrupt`` is set.
        TypeError: ``jobs`` is not an iterable of jobs, or another
            argument is of the wrong type.
        ValueError: An argument is out of range.
    """
    poller = blocking(
        check_many(
            jobs,
            timeout=timeout,
            poll=poll,
            on_status=on_status,
            retry=retry,
            interrupt=interrupt,
            max_in_flight=max_in_flight,
            rate_limit=rate_limit,
        )
    )
    return (job for finished in poller for job, _ in finished)
