"""A wait's arguments, checked once into the one value every layout reads.

Each public wait (``wait_for_final_state``, ``wait``, ``as_completed``,
``result``, ``cancel``, their ``aio`` twins, ``Monitor``, the sharded
``settle``) hands its arguments to :func:`check_wait`, which names any that
is bad and returns them as :class:`Options`; :class:`Checked` adds the jobs,
the clock and the moment the wait began. Nothing after that checks them
again. (The one-job fast path, :mod:`jobv1._alone`, checks the common
arguments inline, by the same rules: ``tests/test_alone.py`` gives both the
same bad arguments and compares what they raise.)
"""

from __future__ import annotations

from ._checks import check_callable, check_timeout
from ._clock import current_clock
from ._deadline import errors_of
from ._interrupt import Interrupt
from ._limit import RateLimit, check_rate_limit
from ._policy import _Frozen, as_policy
from ._retry import Retry
from ._status import as_status, is_final
from ._traits import status_bound
from ._typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any

    from ._deadline import Errors
    from ._protocols import Clock, PollPolicy
    from ._status import JobStatus
    from ._traits import Pollable

__all__ = ["Checked", "Options", "check_one", "check_wait", "unique"]

#: Any job: a :class:`~jobv1.JobV1`, a Qiskit job, anything with ``job_id()`` and ``status()``.
J = TypeVar("J")


class Options(_Frozen):
    """A wait's options, checked by :func:`check_wait`: an immutable value.

    Args:
        timeout: Seconds from the start to the deadline; ``None`` for none.
        policy: Paces each job's queries, where the job gives no hint.
        callback: Called as ``callback(job_id, status, job)`` after each
            non-final query but one at or after the deadline
            (``wait_for_final_state``'s); or ``None``.
        on_status: Called as ``on_status(job, status)`` once for each
            distinct status a job is seen in; or ``None``.
        retry: Which failures of a query to ride out; or ``None``.
        interrupt: Stops the wait when set; or ``None``.
        max_in_flight: How many queries may run at once.
        rate_limit: A limit every query of the wait draws from; or ``None``.
        own_failures: Whether a job's own failure (a query that raised, an
            answer that is not a status) ends that job alone, not the wait:
            every wait on many jobs waits so, and no wait on one job.
        until: The statuses that end a job's wait besides the final ones
            (a wait on many jobs' ``until=``); empty for none.
    """

    __slots__ = _FIELDS = (
        "timeout",
        "policy",
        "callback",
        "on_status",
        "retry",
        "interrupt",
        "max_in_flight",
        "rate_limit",
        "own_failures",
        "until",
    )
    timeout: float | None
    policy: PollPolicy
    callback: Callable[[str, JobStatus, Any], object] | None
    on_status: Callable[[Any, JobStatus], object] | None
    retry: Retry | None
    interrupt: Interrupt | None
    max_in_flight: int
    rate_limit: RateLimit | None
    own_failures: bool
    until: frozenset[JobStatus]

    def __init__(
        self,
        timeout: float | None,
        policy: PollPolicy,
        *,
        callback: Callable[[str, JobStatus, Any], object] | None = None,
        on_status: Callable[[Any, JobStatus], object] | None = None,
        retry: Retry | None = None,
        interrupt: Interrupt | None = None,
        max_in_flight: int = 1,
        rate_limit: RateLimit | None = None,
        own_failures: bool = False,
        until: frozenset[JobStatus] = frozenset(),
    ) -> None:
        self._set(
            timeout=timeout,
            policy=policy,
            callback=callback,
            on_status=on_status,
            retry=retry,
            interrupt=interrupt,
            max_in_flight=max_in_flight,
            rate_limit=rate_limit,
            own_failures=own_failures,
            until=until,
        )


def check_wait(
    *,
    timeout: object,
    poll: tuple[str, object],
    callback: object = None,
    on_status: object,
    retry: object,
    interrupt: object,
    max_in_flight: object = 1,
    rate_limit: object,
    own_failures: bool = False,
    until: object = (),
) -> Options:
    """Check a wait's arguments, naming any that is bad; return them as one value.

    ``poll`` is the name the caller gave the policy argument, and its value;
    ``own_failures`` is no public wait's argument (see :class:`Options`).
    """
    limit = check_timeout(timeout)
    policy = as_policy(*poll)
    if isinstance(max_in_flight, bool) or not isinstance(max_in_flight, int):
        raise TypeError(f"max_in_flight must be an int, not {max_in_flight!r}")
    if max_in_flight < 1:
        raise ValueError(f"max_in_flight must be at least 1, got {max_in_flight!r}")
    shared = check_rate_limit("rate_limit", rate_limit)
    check_callable("callback", callback)
    check_callable("on_status", on_status)
    if retry is not None and not isinstance(retry, Retry):
        raise TypeError(f"retry must be a Retry or None, not {retry!r}")
    if interrupt is not None and not isinstance(interrupt, Interrupt):
        raise TypeError(f"interrupt must be an Interrupt or None, not {interrupt!r}")
    arrived = check_until(until)
    return Options(
        limit,
        policy,
        callback=callback,  # type: ignore[arg-type]
        on_status=on_status,  # type: ignore[arg-type]
        retry=retry,
        interrupt=interrupt,
        max_in_flight=max_in_flight,
        rate_limit=shared,
        own_failures=own_failures,
        until=arrived,
    )


def check_until(until: object) -> frozenset[JobStatus]:
    """``until=``: the statuses, jobv1's or Qiskit's, as a set of jobv1's; final ones left out.

    Raises:
        TypeError: ``until`` is not an iterable of statuses (a lone status,
            or a status's name, is refused: give ``{JobStatus.RUNNING}``).
    """
    if isinstance(until, (str, bytes)) or as_status(until) is not None:
        raise TypeError(f"until must be a set of statuses, not {until!r}")
    try:
        given = list(until)  # type: ignore[call-overload]
    except TypeError:
        raise TypeError(f"until must be a set of statuses, not {until!r}") from None
    statuses = set()
    for each in given:
        status = as_status(each)
        if status is None:
            raise TypeError(f"until must hold only statuses, not {each!r} (in {until!r})")
        statuses.add(status)
    return frozenset(status for status in statuses if not is_final(status))


def unique(given: list[J], kinds: set[type]) -> list[J]:
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


class Checked(Generic[J]):
    """A wait with its arguments checked: what each layout is made from.

    Args:
        given: The jobs as given: a job may be there twice.
        kinds: The jobs' classes.
        options: The wait's options.
        clock: The wait's clock.
        started: When the call was made, on ``clock``: the deadline runs from then.
        adapt: Turns each job into what the loop queries, when the jobs are
            not all :class:`~jobv1._traits.Pollable` themselves; or ``None``.
        native: The classes of ``kinds`` that are jobv1's ``JobV1``: only
            their backends say what the waits go by (a job of another
            library is read through a view that declares nothing).
        native_of: Says whether a class is jobv1's ``JobV1``, for the jobs an
            open wait takes in later; ``None`` where it takes in none.
    """

    __slots__ = (
        "_bound",
        "_unique",
        "adapt",
        "clock",
        "errors",
        "given",
        "kinds",
        "native",
        "native_of",
        "options",
        "started",
    )

    def __init__(
        self,
        given: list[J],
        kinds: set[type],
        options: Options,
        *,
        clock: Clock,
        started: float,
        adapt: Callable[[J], Pollable] | None = None,
        native: frozenset[type] = frozenset(),
        native_of: Callable[[type], bool] | None = None,
    ) -> None:
        self.given = given
        self.native = native
        self.native_of = native_of
        self.kinds = kinds
        self.options = options
        self.clock = clock
        self.started = started
        self.adapt = adapt
        #: The errors the wait raises: those the jobs' classes name, if they agree.
        self.errors: Errors = errors_of(kinds)
        self._unique: list[J] | None = given if len(given) < 2 else None
        self._bound: int | None = None

    def bound(self) -> int:
        """How many queries may run at once: ``max_in_flight``, or less if a backend says so.

        A job's backend that declares ``max_status_in_flight`` (``1`` for a
        client that is not thread-safe) bounds the whole wait. Found the
        first time it is asked for, in one pass over the jobs' backends.

        Raises:
            TypeError, ValueError: A backend's ``max_status_in_flight`` is
                not an int ``>= 1``.
        """
        if self._bound is None:
            bound = self.options.max_in_flight
            if bound > 1 and self.native:
                for backend in _backends(self.jobs, self.native, self.kinds):
                    declared = status_bound(backend)
                    if declared is not None and declared < bound:
                        bound = declared
            self._bound = bound
        return self._bound

    def over(self, jobs: list[J]) -> Checked[J]:
        """The same wait (options, clock, start, so its deadline) over ``jobs``, taken in later."""
        kinds = set(map(type, jobs))
        native_of = self.native_of
        return Checked(
            jobs,
            kinds,
            self.options,
            clock=self.clock,
            started=self.started,
            adapt=self.adapt,
            native=frozenset() if native_of is None else frozenset(filter(native_of, kinds)),
            native_of=native_of,
        )

    @property
    def jobs(self) -> list[J]:
        """The jobs, each once, in their first order; found the first time they are asked for."""
        if self._unique is None:
            self._unique = unique(self.given, self.kinds)
        return self._unique


def _backends(jobs: list[Any], native: frozenset[type], kinds: set[type]) -> Iterable[object]:
    """The backends of the ``jobs`` of a ``native`` class, each once where they can be hashed."""
    if native == kinds:  # every job is jobv1's, as most often: no look at each one's class
        found = [getattr(job, "_backend", None) for job in jobs]
    else:
        found = [getattr(job, "_backend", None) for job in jobs if type(job) in native]
    try:
        return set(found)
    except TypeError:  # a backend that cannot be hashed: each looked at all the same
        return found


def check_one(
    job: J,
    *,
    timeout: object,
    poll: tuple[str, object],
    callback: object,
    on_status: object,
    retry: object,
    interrupt: object,
    rate_limit: object = None,
    adapt: Callable[[J], Pollable] | None = None,
) -> Checked[J]:
    """Check the arguments of a wait on one job, naming any that is bad.

    ``poll`` is the name the caller gave the policy argument (``wait`` or
    ``poll``), and its value; ``adapt`` turns the job into a view the loop
    queries, if it is not a :class:`~jobv1.JobV1`.
    """
    clock = current_clock()
    started = clock.monotonic()  # the deadline runs from the call, not from the checks' end
    options = check_wait(
        timeout=timeout,
        poll=poll,
        callback=callback,
        on_status=on_status,
        retry=retry,
        interrupt=interrupt,
        rate_limit=rate_limit,
    )
    return Checked([job], {type(job)}, options, clock=clock, started=started, adapt=adapt)
