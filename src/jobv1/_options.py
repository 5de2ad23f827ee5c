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

__all__ = ["DEFAULT_MAX_IN_FLIGHT", "DEFAULT_POLL", "check_many"]

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


def _element(job: object) -> JobV1[Any]:
    return view(job, "jobs must hold only jobs")


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
) -> Checked[J]:
    """Check the arguments of a wait on many jobs, naming any that is bad.

    A wait on many jobs keeps each job's failure its own (the option
    ``own_failures``: see :class:`~jobv1._arguments.Options`).
    """
    clock = current_clock()
    started = clock.monotonic()  # the deadline runs from the call, not from the checks' end
    given, kinds = _given(jobs)
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
    native = frozenset(kind for kind in kinds if JobV1 in kind.__mro__)
    return Checked(
        given, kinds, options, clock=clock, started=started, adapt=_element, native=native
    )
