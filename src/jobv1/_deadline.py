"""A wait's deadline, and the errors that end a wait: each rule written once, for every loop.

What a wait does at its deadline, whatever the loop and the driver:

- **Sleeps stop at it.** A sleep that would end at or past the deadline (or
  within :data:`AT_DEADLINE` of it) ends at the deadline itself.
- **No query is begun after it**, but the deadline's own. When the deadline
  comes while a round of queries is under way, the round stops: no other
  of its queries is begun; a query running on a worker thread is given up
  at once (the wait does not wait for it, and does not ask its job again);
  a query running in the waiting thread ends first.
- **The deadline's round.** Then every job still pending that has neither
  answered at or after the deadline nor a query given up is asked once
  more, at once up to ``max_in_flight``. On a clock where queries take
  time (the system's; the test kit's ``FakeClock``, whose time a query may
  move) these last queries have :data:`LAST_QUERY_SECONDS` to answer: then those still
  running are given up, and those not begun are not asked.
- **Then the wait ends**, with every answer that came before it ended,
  from a query given up too: a job whose final answer arrived is never
  left among the jobs not done.

An interrupt stops a round as the deadline does, and ends the wait at once:
no last round. Both take effect within one query's time, never a round's.
"""

from __future__ import annotations

import math

from ._clock import times_queries
from ._errors import JobTimeoutError, WaitInterruptedError
from ._typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ._protocols import Clock
    from ._status import JobStatus

    #: The classes of the errors a wait raises at its deadline and on an interrupt.
    Errors = tuple[type[JobTimeoutError], type[WaitInterruptedError]]

__all__ = [
    "AT_DEADLINE",
    "ERRORS",
    "LAST_QUERY_SECONDS",
    "SLOW_QUERY_SECONDS",
    "Deadline",
    "errors_of",
    "query_end",
    "step_to",
    "timed_out",
    "timeout_message",
    "within",
]

#: Seconds the deadline's last queries may take to answer, where queries run off
#: the waiting thread (on a clock where they take time), before the wait ends without them (a query
#: begun earlier is given up at the deadline itself).
LAST_QUERY_SECONDS = 1.0
#: Seconds a round of queries waits (on a clock where they take time), once every query of it
#: has begun, for those still running: then it ends without them. Each is carried
#: over: its job is not asked again until it answers, and its answer is read at
#: the first round after it came. One slow query holds back no other job.
SLOW_QUERY_SECONDS = 0.5

#: A query due this close to the deadline is made at the deadline, as its last
#: query: sums of intervals drift by a few ulps, and no clock sleeps this finely.
AT_DEADLINE = 1e-6

#: The errors a wait raises when its jobs' classes name none.
ERRORS: Errors = (JobTimeoutError, WaitInterruptedError)


def errors_of(kinds: Iterable[type]) -> Errors:
    """The errors a wait on jobs of the classes ``kinds`` raises.

    A job class names its own as ``_wait_errors`` (:mod:`jobv1.qiskit` does,
    so that its errors are Qiskit's too); a wait raises them when every
    job's class names the same ones, and jobv1's otherwise.
    """
    named = {getattr(kind, "_wait_errors", ERRORS) for kind in kinds}
    return named.pop() if len(named) == 1 else ERRORS


def within(timeout: float) -> str:
    return f"did not reach a final state within the timeout of {timeout:g} s"


def timeout_message(job_id: str, timeout: float, status: JobStatus | None) -> str:
    """What a wait on one job raises at its deadline, with the last status seen."""
    # Qiskit's message first, word for word, for the tests that match it.
    last = "" if status is None else f" (last status: {status.name})"
    return f"Timeout while waiting for job {job_id}. It {within(timeout)}{last}"


def step_to(now: float, at: float) -> float:
    """The seconds that take a clock reading ``now`` to ``at``: ``at - now``, to the last bit.

    In floating point ``now + (at - now)`` may miss ``at`` by a hair: a
    virtual clock that sleeps so would end just short of the deadline, and
    its last query would not see a job that ended at it. The step returned
    reaches ``at`` when added to ``now``; where no step lands on ``at``
    exactly, the sum passes it by one unit in the last place (a fraction of
    a femtosecond at a clock's usual readings).
    """
    if at <= now:
        return 0.0
    step = at - now  # exact when now >= at / 2; else short by a unit of at's last place at most
    while now + step < at:  # a step or two, each a unit of a last place as large as at's
        step = math.nextafter(step, math.inf)
    return step


def query_end(clock: Clock, deadline: float | None) -> float | None:
    """Until when, on ``clock``, a driver waits for the queries it runs off its thread.

    A query begun before the deadline is given up at the deadline; one
    begun at it, the deadline's last query, gets :data:`LAST_QUERY_SECONDS`.
    ``None`` (wait for them) without a deadline, or on a clock where a
    query takes no time (:func:`~jobv1._clock.times_queries`).
    """
    if deadline is None or not times_queries(clock):
        return None
    now = clock.monotonic()
    return deadline if deadline > now else now + LAST_QUERY_SECONDS


def timed_out(errors: Errors, message: str, cause: BaseException | None = None) -> JobTimeoutError:
    """The error that ends a wait at its deadline: of the first of ``errors``, with ``cause``.

    Every wait builds it here, the one-job path (which keeps no :class:`Deadline`) too.
    """
    error = errors[0](message)
    if cause is not None:
        error.__cause__ = cause
    return error


class Deadline:
    """One wait's deadline on its clock, with the rules of the module's docstring.

    Args:
        clock: The wait's clock.
        timeout: Seconds from ``started`` to the deadline; ``None`` for none.
        started: When the wait began, on ``clock``.
        errors: The classes of the errors the wait raises.
    """

    __slots__ = ("at", "clock", "errors", "timeout")

    def __init__(
        self, clock: Clock, timeout: float | None, started: float, errors: Errors = ERRORS
    ) -> None:
        self.clock = clock
        self.timeout = timeout
        #: When the deadline is, on :attr:`clock`; ``None`` for none.
        self.at = None if timeout is None else started + timeout
        self.errors = errors

    def passed(self) -> bool:
        """Whether the deadline has come."""
        return self.at is not None and self.clock.monotonic() >= self.at

    def nap(self, now: float, wake: float) -> tuple[float, float] | None:
        """A sleep from ``now`` to ``wake``, cut at the deadline: ``(wake, seconds)``, if it is.

        ``None`` when the sleep ends before the deadline.
        """
        at = self.at
        if at is not None and wake >= at - AT_DEADLINE:
            return at, step_to(now, at)
        return None

    def reached(self, woken: bool, wake: float) -> bool:
        """Whether a sleep planned up to ``wake``, that ``woken`` says was cut short, reached it.

        A sleep up to the deadline that nothing woke ends there, whatever the
        clock reads (a test's stand-in for a sleep may end early); a sleep
        that something woke may have ended there too.
        """
        at = self.at
        return at is not None and ((not woken and wake == at) or self.clock.monotonic() >= at)

    def late_from(self, at_deadline: bool) -> float:
        """From when an answer counts as the deadline's own query: never, in its own round."""
        return math.inf if at_deadline or self.at is None else self.at

    def query_end(self) -> float | None:
        """Until when a driver waits for the queries it runs off its thread (:func:`query_end`)."""
        return query_end(self.clock, self.at)

    def carry_from(self, at_deadline: bool) -> float | None:
        """From when a round's queries still running are carried over (:data:`SLOW_QUERY_SECONDS`).

        ``None`` in the deadline's round, which has its own end, and on a clock
        where a query takes no time (:func:`~jobv1._clock.times_queries`).
        """
        if at_deadline or not times_queries(self.clock):
            return None
        return self.clock.monotonic() + SLOW_QUERY_SECONDS

    def round_end(self, at_deadline: bool) -> float:
        """From when a round begins no other query: the deadline, or the end of its own round.

        Infinite when there is none: no deadline, or the deadline's round
        on a clock where a query takes no time.
        """
        if not at_deadline:
            return math.inf if self.at is None else self.at
        end = self.query_end()
        return math.inf if end is None else end

    def timed_out(self, message: str, cause: BaseException | None = None) -> JobTimeoutError:
        """The error that ends the wait at its deadline, with the last failure as its cause."""
        return timed_out(self.errors, message, cause)

    def interrupted(self, what: str) -> WaitInterruptedError:
        """The error that ends the wait for ``what`` on an interrupt."""
        return self.errors[1](f"the wait for {what} was interrupted")
