"""What paces a job's queries: its poll hints, and its policy's delays, read and checked."""

from __future__ import annotations

import bisect
import math

from . import _flight as flight
from ._limit import hold
from ._policy import PerStatus, delays_of, follow, next_delay, seconds_of
from ._requests import StopIterationError
from ._status import as_status, is_final
from ._typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from typing import Any

    from ._deadline import Deadline
    from ._limit import RateLimit
    from ._policy import Drawn
    from ._protocols import PollPolicy
    from ._queries import Batch, Entry
    from ._schedule import Schedule
    from ._traits import Pollable

__all__ = [
    "BATCH_SLACK",
    "HINT_FLOOR",
    "HINT_STEPS",
    "Planner",
    "floored",
    "hint_of",
    "past_range",
    "read_hint",
    "under_hint",
]

#: The shortest time between two queries of a job that its poll hints pace: a hint
#: under it is taken as given once ("now"), and then, while the hints stay under it,
#: as this. A hint of 0 makes at most 1 / HINT_FLOOR queries a second, never a hot loop.
HINT_FLOOR = 0.05
#: At most how many of the policy's delays a hint lets go by: the policy's pace runs on
#: while a hint paces a job, so that the job takes up the policy, after its hints, where
#: the policy alone would be by then (a Backoff does not start over).
HINT_STEPS = 64
#: How much later than its own time, as a share of its delay, a job of a batch backend may
#: be asked, to join a request of its batch planned then instead of one of its own.
BATCH_SLACK = 0.25

#: The jobs of a wait, as the caller gave them.
J = TypeVar("J")


class _Failed:
    """A ``poll_hint()`` that raised, kept to be raised in the waiting thread."""

    __slots__ = ("error",)

    def __init__(self, error: Exception) -> None:
        self.error = error


def hint_of(job: Pollable, answer: object) -> object:
    """Ask ``job`` for its poll hint after a query answered ``answer``, if that is pending.

    This runs where the query ran; what it returns is read by :func:`_hint`.
    """
    status = as_status(answer)
    if status is None or is_final(status):  # not a status (the loop raises for it), or final
        return None
    try:
        return job.poll_hint(status)
    except Exception as error:  # raised by the loop, which would have called it
        return _Failed(error)


def under_hint(drawn: Drawn, step: int, seconds: float) -> int:
    """The step a job takes up in the policy's delays after a hint of ``seconds`` from ``step``.

    The policy's pace runs on under a hint, as if it had polled: each delay
    that fits in the hint goes by (:data:`HINT_STEPS` at most).
    """
    start, spent = step, 0.0
    while step < start + HINT_STEPS and spent + (delay := drawn.at(step)) <= seconds:
        spent += delay
        step += 1
    return step


def floored(seconds: float, hurried: bool) -> tuple[float, bool]:
    """A hint's ``seconds``, floored; and whether it was taken as "now" (or still is).

    ``hurried`` says whether the job's hint before was under :data:`HINT_FLOOR`
    too: then this one is raised to it.
    """
    if seconds >= HINT_FLOOR:
        return seconds, False
    return (HINT_FLOOR if hurried else seconds), True


def read_hint(job: Pollable, hint: object) -> float | None:
    """The seconds of a poll hint as :func:`hint_of` gave it; raise what ``poll_hint()`` raised."""
    if hint is None:
        return None
    if isinstance(hint, _Failed):
        if isinstance(hint.error, StopIteration):
            raise StopIterationError("poll_hint()", hint.error)
        raise hint.error
    seconds = seconds_of(hint)
    if seconds is None:
        raise ValueError(
            f"poll_hint() of job {job.job_id()!r} returned {hint!r}; "
            "it must be None or a finite number of seconds >= 0"
        )
    return seconds


def past_range(job: Pollable, delay: float, now: float) -> ValueError:
    """The error for a delay that, added to the clock's time ``now``, overflows it."""
    return ValueError(
        f"a delay of {delay!r} s before the next query of job {job.job_id()!r} "
        f"goes past the end of the clock's range (it reads {now!r})"
    )


if TYPE_CHECKING:
    #: The earliest due time planned in a round: the time, the delay that gave it, and why.
    Soonest = tuple[float, float, str]


class Planner:
    """When each job of a general wait is next due: after its hint, its policy's delay, its tries'.

    It plans the jobs of a round into the wait's :class:`~jobv1._schedule.Schedule`
    and says how long to sleep after it, up to the deadline.

    Args:
        calendar: The wait's schedule.
        policy: Paces the queries of each job, where the job gives no hint.
        drawn: The policy's delays drawn once for all jobs, where it gives
            all the same; else ``None``, and each job draws its own.
        deadline: The wait's deadline.
        shared: The rate limit every query of the wait draws from, or ``None``.
    """

    __slots__ = (
        "_batch_next",
        "_batch_times",
        "_clock",
        "_deadline",
        "_drawn",
        "_follows",
        "_hinted",
        "_policy",
        "_shared",
        "calendar",
    )

    def __init__(
        self,
        calendar: Schedule[Any],
        policy: PollPolicy,
        drawn: Drawn | None,
        deadline: Deadline,
        shared: RateLimit | None = None,
    ) -> None:
        #: The wait's schedule, which the plans go into.
        self.calendar = calendar
        self._policy = policy
        self._drawn = drawn
        # Whether each job's delays follow its last status.
        self._follows = isinstance(policy, PerStatus)
        self._deadline = deadline
        self._clock = deadline.clock
        self._shared = shared
        # When each batch's jobs that no hint paces are next due together.
        self._batch_next: dict[Batch, float] = {}
        # When each batch's requests are planned, in order: a job of the batch due a little
        # before one of them joins it (see BATCH_SLACK).
        self._batch_times: dict[Batch, list[float]] = {}
        # The indices of the jobs a hint paces that a batch asked last: when their
        # hint is over, they join their batch's next request instead of going alone.
        self._hinted: set[int] = set()

    def due(
        self,
        pending: dict[int, Entry[J]],
        fresh: set[int],
        at_deadline: bool,
        slept_to: float,
    ) -> list[Entry[J]]:
        """The ``pending`` entries to ask in this round: due by now (or by ``slept_to``).

        At the deadline's round, all not asked since the deadline (not in
        ``fresh``). A job whose query an earlier wait gave up, still running,
        is not asked again while it runs: at the deadline it counts as asked
        (it goes into ``fresh``); before it, it is planned as if asked with no
        answer.
        """
        if at_deadline:
            due = [entry for index, entry in pending.items() if index not in fresh]
        else:
            due = self.calendar.due(max(self._clock.monotonic(), slept_to), pending)
            if self._hinted and due:
                due = self._join_batches(due)
        if not (flight.noted and flight.prune()):  # no earlier wait gave up a query still running
            return due
        free: list[Entry[J]] = []
        busy: list[Entry[J]] = []
        for entry in due:
            (busy if flight.busy(entry.handle) else free).append(entry)
        if busy:
            if at_deadline:
                fresh.update(entry.index for entry in busy)
            else:
                for entry in busy:
                    entry.hint = None
                self.schedule(self._clock.monotonic(), busy, [])
        return free

    def schedule(
        self, now: float, waiting: list[Entry[Any]], failed: list[Entry[Any]]
    ) -> Soonest | None:
        """Set when each job queried in this round is next due.

        Returns:
            The earliest of those times with the delay that gave it, or
            ``None`` if no job was planned.
        """
        soonest: Soonest | None = None
        # The jobs a batch asked, that no hint paces, stay together: each is next due
        # after the first one's policy delay, one draw of a jittered policy for all
        # (a draw each would scatter them, and split the next round into single
        # queries). Each still takes its own delay, so that each keeps its place
        # in the policy's sequence.
        together: dict[Batch, list[tuple[Entry[Any], float]]] = {}
        drawn = self._drawn
        for entry in waiting:
            if entry.event_driven and self._called_back(entry):
                if entry.resync is not None:  # it calls back when it ends; maybe resynced
                    self.calendar.resyncing = True
                    soonest = self._plan(entry, now, entry.resync, soonest, "resync")
                continue
            hint = read_hint(entry.job, entry.hint)
            if hint is not None:
                soonest = self._plan_hint(entry, now, hint, soonest)
                continue
            if entry.long_poll is not None and entry.batch is None and entry.held_out():
                # a long-poll that brought news, or was held to its end: again at once
                soonest = self._plan(entry, now, 0.0, soonest, "long-poll")
                continue
            entry.hurried = False
            if drawn is not None:
                delay = drawn.at(entry.step)
                entry.step += 1
            else:
                delay = self._iterated(entry)
            if entry.batch is None:
                soonest = self._plan(entry, now, delay, soonest, "policy")
            else:
                together.setdefault(entry.batch, []).append((entry, delay))
        for batch, members in together.items():
            delay = self._joined(batch, now, members[0][1])
            self._batch_next[batch] = now + delay
            for entry, _delay in members:
                soonest = self._plan(entry, now, delay, soonest, "policy")
        for entry in failed:  # a failure ridden out: its tries say when to try again
            soonest = self._plan(entry, now, self._retry_delay(entry, now), soonest, "retry")
        return soonest

    def _called_back(self, entry: Entry[Any]) -> bool:
        """Whether an event-driven ``entry`` waits for its call back: not while its channel is down.

        Polled meanwhile, it may be called back with a query planned, whose
        time the schedule then sees is out of date.
        """
        notifier = entry.notifier
        if notifier is None or notifier.is_up:
            return True
        self.calendar.resyncing = True
        return False

    def _iterated(self, entry: Entry[Any]) -> float:
        """The next of ``entry``'s own delays, after its last status if they follow it."""
        if entry.delays is None:
            entry.delays = delays_of(self._policy)
        if self._follows:
            follow(entry.delays, entry.status)
        return next_delay(self._policy, entry.delays)

    def _plan_hint(
        self, entry: Entry[Any], now: float, hint: float, soonest: Soonest | None
    ) -> Soonest:
        """Make ``entry`` due after its ``hint``, floored; or with its batch, if that goes first.

        The hint counts from when its answer came: an answer read later (a
        round that carried a slow query over) has less of it left.
        """
        delay, entry.hurried = floored(max(0.0, hint - (now - entry.answered)), entry.hurried)
        if self._drawn is not None:
            entry.step = under_hint(self._drawn, entry.step, delay)
        if entry.batch is not None:
            self._hinted.add(entry.index)
            delay = self._joined(entry.batch, now, delay)
        return self._plan(entry, now, delay, soonest, "hint")

    def _joined(self, batch: Batch, now: float, delay: float) -> float:
        """``delay``, or a little more, to join a request of ``batch`` planned just after it.

        A job of a batch backend due ``delay`` after ``now`` is asked with
        the batch's first request planned from then to :data:`BATCH_SLACK` of
        the delay later (:data:`HINT_FLOOR` at least), never sooner; if none
        is, its time is one of the batch's. Jobs that hints or their own
        pace scatter are thus still asked in batches.
        """
        times = self._batch_times.setdefault(batch, [])
        if times and times[0] <= now:  # the past is of no use
            del times[: bisect.bisect_right(times, now)]
        due = now + delay
        place = bisect.bisect_left(times, due)
        if place < len(times) and times[place] <= due + max(HINT_FLOOR, BATCH_SLACK * delay):
            return times[place] - now
        times.insert(place, due)
        return delay

    def _join_batches(self, due: list[Entry[J]]) -> list[Entry[J]]:
        """``due``, less the jobs a hint paces whose batch goes later: they wait for it.

        A job of a batch backend whose hint is over is asked with the next
        request of its batch (at or after its hint), not alone: alone only if
        no job of its batch is due with it or planned after it.
        """
        now = self._clock.monotonic()
        going = {entry.batch for entry in due if entry.index not in self._hinted}
        kept: list[Entry[J]] = []
        for entry in due:
            if entry.index in self._hinted:
                self._hinted.discard(entry.index)
                batch = entry.batch
                later = self._batch_next.get(batch, math.nan) if batch is not None else math.nan
                if batch not in going and later > now:  # its batch goes later: with it
                    self.calendar.make_due(entry, later)
                    continue
            kept.append(entry)
        return kept

    def _retry_delay(self, entry: Entry[Any], now: float) -> float:
        """The delay after a failure ridden out; one the service asked for holds the limits too.

        Every wait that draws from the job's limits keeps that pause
        (:meth:`~jobv1.RateLimit.hold`), not only this job's next query.
        """
        tries = entry.tries
        assert tries is not None  # only a failure ridden out is planned so
        delay = tries.delay()
        if tries.asked:
            hold((entry.limit, self._shared), now + delay, self._clock)
        if entry.batch is not None:  # a jittered backoff must not scatter a batch
            delay = self._joined(entry.batch, now, delay)
        return delay

    def _plan(
        self, entry: Entry[Any], now: float, delay: float, soonest: Soonest | None, why: str
    ) -> Soonest:
        """Make ``entry`` due ``delay`` after ``now`` (for ``why``); return this or ``soonest``."""
        due = now + delay
        if due == math.inf:
            raise past_range(entry.job, delay, now)
        self.calendar.make_due(entry, due)
        return (due, delay, why) if soonest is None or due < soonest[0] else soonest

    def nap(self, now: float, soonest: Soonest | None) -> tuple[float, float, str]:
        """Until when, for how many seconds and why, to sleep after a round ending at ``now``.

        ``soonest`` is the earliest due time planned in the round, with the
        delay that gave it: when the sleep is for that job and nothing
        sooner, its seconds are that delay itself, not the difference of
        two times, which rounding would make a hair shorter or longer.
        """
        wake = self.calendar.next_due()
        cut = self._deadline.nap(now, wake)
        if cut is not None:
            return cut[0], cut[1], "deadline"
        if soonest is not None and wake == soonest[0]:
            return wake, soonest[1], soonest[2]
        # a job planned in an earlier round, or none: only calls back are awaited
        return wake, max(0.0, wake - now), "schedule" if wake < math.inf else "push"
