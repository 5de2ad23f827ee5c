"""A wait on many jobs, its arguments checked once (:mod:`jobv1._arguments`); its defaults."""

from __future__ import annotations

from ._arguments import Checked, check_wait
from ._clock import current_clock
from ._interop import view
from ._job import JobV1
from ._policy import Backoff
from ._typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any, Final

    from ._interrupt import Interrupt
    from ._limit import RateLimit
    from ._protocols import PollPolicy
    from ._retry import Retry
    from ._status import JobStatus

__all__ = [
    "DEFAULT_MAX_IN_FLIGHT",
    "DEFAULT_POLL",
    "check_jobs",
    "check_many",
    "element",
    "given_jobs",
    "native",
]

#: How a wait on many jobs paces its queries, by default.
DEFAULT_POLL: Final = Backoff()
#: How many status queries a wait on many jobs runs at once, by default.
DEFAULT_MAX_IN_FLIGHT: Final = 8

#: Any job: a :class:`JobV1`, a Qiskit job, anything with ``job_id()`` and ``status()``.
J = TypeVar("J")


def check_jobs(jobs: Iterable[J]) -> Iterable[J]:
    """``jobs``, if it is an iterable (of jobs, checked as they are read).

    Raises:
        TypeError: ``jobs`` is not an iterable, or it is a job or a string.
    """
    if isinstance(jobs, (JobV1, str, bytes)) or not hasattr(jobs, "__iter__"):
        raise TypeError(f"jobs must be an iterable of jobs, not {jobs!r}")
    return jobs


def given_jobs(jobs: Iterable[J]) -> tuple[list[J], set[type]]:
    """The jobs as given, in a list, and their classes.

    Raises:
        TypeError: ``jobs`` is not an iterable.
    """
    given = list(check_jobs(jobs))
    return given, set(map(type, given))


def element(job: object) -> JobV1[Any]:
    """``job``, or the view of it that the waits query; a ``TypeError`` if it is no job."""
    return view(job, "jobs must hold only jobs")


def native(kind: type) -> bool:
    """Whether ``kind`` is a class of jobv1's jobs, whose backends say what the waits go by."""
    return JobV1 in kind.__mro__


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
    until: Iterable[JobStatus] = (),
    kinds: set[type] | None = None,
) -> Checked[J]:
    """Check the arguments of a wait on many jobs, naming any that is bad.

    A wait on many jobs keeps each job's failure its own (the option
    ``own_failures``: see :class:`~jobv1._arguments.Options`). ``kinds``
    are the jobs' classes, if ``jobs`` is a list :func:`given_jobs` made.
    """
    clock = current_clock()
    started = clock.monotonic()  # the deadline runs from the call, not from the checks' end
    if kinds is None:
        given, kinds = given_jobs(jobs)
    else:
        given = jobs  # type: ignore[assignment]  # a list, as given_jobs made it
    options = check_wait(
        timeout=timeout,
        poll=("poll", poll),
        on_status=on_status,
        retry=retry,
        interrupt=interrupt,
        max_in_flight=max_in_flight,
        rate_limit=rate_limit,
        own_failures=True,
        until=until,
    )
    return Checked(
        given,
        kinds,
        options,
        clock=clock,
        started=started,
        adapt=element,
        native=frozenset(filter(native, kinds)),
        native_of=native,
    )
