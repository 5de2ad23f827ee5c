"""A wait on many jobs with its arguments checked once: what every layout is made from."""

from __future__ import annotations

from ._arguments import check_wait
from ._clock import current_clock
from ._deadline import errors_of
from ._interop import view
from ._job import JobV1
from ._policy import Backoff
from ._polling import Poller
from ._traits import batch_of, gives_hints, limit_of, resync_of, watches
from ._typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any, Final

    from ._interrupt import Interrupt
    from ._limit import RateLimit
    from ._protocols import Clock, PollPolicy
    from ._retry import Retry
    from ._status import JobStatus

__all__ = ["DEFAULT_MAX_IN_FLIGHT", "DEFAULT_POLL", "Checked", "check_many", "general"]

#: How a wait on many jobs paces its queries, by default.
DEFAULT_POLL: Final = Backoff()
#: How many status queries a wait on many jobs runs at once, by default.
DEFAULT_MAX_IN_FLIGHT: Final = 8

#: Any job: a :class:`JobV1`, a Qiskit job, anything with ``job_id()`` and ``status()``.
J = TypeVar("J")


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
