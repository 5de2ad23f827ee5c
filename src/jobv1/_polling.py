"""The one poll loop behind every wait: one job or many, one deadline, exact.

The loop knows nothing of job classes: it polls anything :class:`Pollable`.
It keeps, for each job still pending, when the job is next due for a status
query, and sleeps until the earliest of those times or the deadline, whichever
comes first. It never sleeps past the deadline: it sleeps up to it, queries
every pending job once more there, and then raises
:class:`~jobv1.JobTimeoutError` at once.

The loop does no I/O itself: :meth:`Poller.steps` is a generator that asks its
driver to run each status query (:class:`Ask`) and each sleep
(:class:`Sleep`), and reports the jobs that ended (:class:`Done`). The
blocking driver is :meth:`Poller.__iter__`; :mod:`jobv1.aio` drives the same
loop on an asyncio event loop.

A job whose ``watch(wakeup)`` arranges a call of ``wakeup()`` when it ends
is event-driven: after a non-final query it is not polled again, but
queried as soon as it calls back (and at the deadline).

A round's queries go to the driver together, in one :class:`Ask`, when the
wait allows more than one in flight (``max_in_flight``): the driver runs
them at once, up to that bound, in worker threads, and may give up those
still running at the deadline or on an interrupt. The loop then reads the
answers in the jobs' order, so hooks and errors come as if the queries had
been made one after another.
"""

from __future__ import annotations

import itertools
import math

from . import _flight as flight
from ._blocking import drive
from ._checks import check_callable, check_timeout
from ._deadline import ERRORS, Deadline, timeout_message, within
from ._interrupt import Interrupt
from ._limit import RateLimit, check_rate_limit
from ._observe import ending, observer, ridden_out
from ._pacing import delays_of, next_delay, past_range, read_hint
from ._policy import as_policy, drawn_once
from ._queries import Entry, ask_of, asked, groups
from ._requests import (
    SLICE,
    UNBEGUN,
    Breathe,
    Sleep,
    StopIterationError,
    outcome_of,
    shielded,
)
from ._retry import Retry, chained
from ._schedule import Schedule
from ._status import JobStatus, check_status, is_final
from ._typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterable, Iterator
    from typing import Any

    from ._deadline import Errors
    from ._errors import JobTimeoutError
    from ._interrupt import _Settable
    from ._observe import Observer
    from ._protocols import Clock, PollPolicy
    from ._queries import Batch, BatchOf, Request
    from ._requests import Outcome, Step, Waker
    from ._traits import Pollable

    # Hooks are given the jobs as the caller gave them, whatever their class.
    Callback = Callable[[str, JobStatus, Any], object]
    StatusHook = Callable[[Any, JobStatus], object]
    #: The earliest due time planned in a round: the time, the delay that gave it, and why.
    Soonest = tuple[float, float, str]

#: The jobs as the caller gave them: the loop queries them, or the views ``adapt`` makes.
J = TypeVar("J")


__all__ = ["Poller", "check_wait", "start"]


def _no_limit(job: Pollable) -> None:
    """The rate limit of a job whose wait was told of none."""


def _no_resync(job: Pollable) -> None:
    """How often to query an event-driven job, when the wait was not told: never."""


def _every_job(job: Pollable) -> bool:
    """Whether to ask a job for hints, when the wait was not told: always."""
    return True


class _Wakeup(Generic[J]):
    """What an event-driven job calls when it ends: one object per job, not a closure's four."""

    __slots__ = ("entry", "poller")

    def __init__(self, poller: Poller[J], entry: Entry[J]) -> None:
        self.poller = poller
        self.entry = entry

    def __call__(self) -> None:
        self.poller._wake(self.entry)


class _Sorted(Generic[J]):
    """The answers of a round so far, sorted."""

    __slots__ = ("failed", "finished", "waiting")

    def __init__(self) -> None:
        #: The jobs found final, with their status.
        self.finished: list[tuple[J, JobStatus]] = []
        #: The entries found not final (their ``status`` is the one found).
        self.waiting: list[Entry[J]] = []
        #: The entries whose query failed and was ridden out.
        self.failed: list[Entry[J]] = []


class Poller(Generic[J]):
    """One wait over a set of jobs, with one deadline.

    Iterating it gives, round after round, the jobs that reached a final
    state in that round with their final status; it ends when no job is
    pending, and raises :class:`~jobv1.JobTimeoutError` at the deadline if
    some still are.

    Args:
        jobs: The jobs, each once.
        clock: Where the time comes from.
        timeout: Seconds from ``started`` to the deadline; ``None`` for none; ``<= 0``
            for one query of each job and no sleep.
        policy: Paces the queries of each job, where the job gives no hint.
        started: When the wait began, on ``clock``; ``None`` for now.
        callback: Called as ``callback(job_id, status, job)`` after each
            non-final query, except a query at or after the deadline.
        on_status: Called as ``on_status(job, status)`` once for each distinct
            status a job is seen in, the final one included.
        retry: Which failures of a query to ride out, or ``None``.
        interrupt: Stops the wait when set.
        batch: Says, for a job, which :data:`Batch` can query it along with
            others, and how many jobs it takes at most, or ``None`` if none can.
        adapt: Turns each job into what the loop queries, when the jobs are
            not :class:`Pollable` themselves; hooks and results still see
            the jobs as given.
        errors: The classes of the errors to raise at the deadline and on
            an interrupt: by default :class:`~jobv1.JobTimeoutError` and
            :class:`~jobv1.WaitInterruptedError`; subclasses of them.
        max_in_flight: How many queries may run at once: with more than
            one, a round's queries are asked of the driver together.
        rate_limit: A limit every query of the wait draws from, or ``None``.
        limit_of: Says, for a job, which :class:`~jobv1.RateLimit` its
            backend declares, or ``None``; its queries draw from that too.
        hints_of: Says whether a job's ``poll_hint()`` may give hints: a job
            for which it says ``False`` is never asked. By default every job is.
        resync_of: Says, for an event-driven job, every how many seconds it
            is queried all the same, in case its call back is lost; ``None``
            for never, which is the default.
    """

    def __init__(
        self,
        jobs: Iterable[J],
        *,
        clock: Clock,
        timeout: float | None,
        policy: PollPolicy,
        started: float | None = None,
        callback: Callback | None = None,
        on_status: StatusHook | None = None,
        retry: Retry | None = None,
        interrupt: Interrupt | None = None,
        batch: BatchOf | None = None,
        adapt: Callable[[J], Pollable] | None = None,
        errors: Errors | None = None,
        max_in_flight: int = 1,
        rate_limit: RateLimit | None = None,
        limit_of: Callable[[Pollable], RateLimit | None] | None = None,
        hints_of: Callable[[Pollable], bool] | None = None,
        resync_of: Callable[[Pollable], float | None] | None = None,
        watches_of: Callable[[Pollable], bool] | None = None,
    ) -> None:
        self._clock = clock
        self._watches_of = watches_of or _every_job
        self._resync_of = resync_of or _no_resync
        self._rate_limit = rate_limit
        #: How many queries a driver may run at once.
        self.max_in_flight = max_in_flight
        self._policy = policy
        self._callback = None if callback is None else shielded("the callback", callback)
        self._on_status = None if on_status is None else shielded("on_status", on_status)
        self._retry = retry
        #: Stops the wait when set.
        self.interrupt = self._interrupt = interrupt
        self._batch = batch
        self.timeout = timeout
        now = clock.monotonic()
        begun = now if started is None else started
        self._limit = Deadline(clock, timeout, begun, ERRORS if errors is None else errors)
        self._deadline = self._limit.at
        # The queries given up while they ran, whose answers may still come: each
        # request, the list its outcome comes into, and its place there.
        self._given_up: list[tuple[Request[J], list[Outcome], int]] = []
        #: The entries of the jobs not final yet, by index, in the jobs' order.
        # One sequence of delays for every job, where the policy gives them all the
        # same: a job keeps its step in it, not an iterator of its own.
        self._drawn = drawn_once(policy)
        if self._drawn is None:
            delays_of(policy)  # a policy that gives no delays is refused before any query
        monotonic = clock.monotonic
        self.pending = {
            index: Entry(index, job, job if adapt is None else adapt(job), monotonic)  # type: ignore[arg-type]
            for index, job in enumerate(jobs)
        }
        self._total = len(self.pending)
        limits = limit_of or _no_limit
        hints = hints_of or _every_job
        for entry in self.pending.values():  # one pass over the jobs for both
            entry.limit = limits(entry.job)
            entry.hinted = hints(entry.job)
        #: Whether any query of the wait draws from a rate limit.
        self._limited = rate_limit is not None or any(
            entry.limit is not None for entry in self.pending.values()
        )
        # When the jobs are next due to be polled: every job is due now.
        self._calendar = Schedule(now, list(self.pending.values()))
        # The indices of the jobs asked at the deadline, or in flight when it came:
        # they need no other query there.
        self._fresh: set[int] = set()
        #: What wakes the driver's sleeps early, once :meth:`steps` needs one.
        self.waker: Waker | None = None
        # Whether the driver lets the loop make a query in its own thread.
        self._blocking = False
        # Who listens to the wait (the jobv1 logger, a span), once it starts; if anyone.
        self._observer: Observer | None = None

    def not_done(self) -> list[J]:
        """The jobs not seen in a final state yet, in their order."""
        return [entry.handle for entry in self.pending.values()]

    @property
    def clock(self) -> Clock:
        """The clock the wait reads and sleeps on."""
        return self._clock

    @property
    def deadline(self) -> float | None:
        """When the wait ends, on :attr:`clock`; ``None`` for no deadline."""
        return self._deadline

    def interrupted(self) -> bool:
        """Whether the wait's interrupt is set."""
        return self._interrupt is not None and self._interrupt.is_set()

    def __iter__(self) -> Generator[list[tuple[J, JobStatus]], None, None]:
        """Drive the loop in this thread: block while it sleeps, yield what ends."""
        return drive(self)

    def steps(
        self, make_waker: Callable[[], Waker], *, blocking: bool = False
    ) -> Generator[Step[J], object, None]:
        """The loop, as requests to a driver; see the module's docstring.

        Args:
            make_waker: Makes the :class:`Waker` the driver sleeps on; it is
                called only if the wait can be woken early, by an event-driven
                job or an interrupt, and is then :attr:`waker`.
            blocking: Whether the driver's thread may block on a query: a
                query made alone is then made in it, with no request.
        """
        self._blocking = blocking
        undo: list[Callable[[], object]] = []
        watcher = self._observer = observer(self._total, self.timeout)
        outcome, error = "done", None
        try:
            yield from self._watch(make_waker, undo)
            interrupt = self._interrupt
            if interrupt is not None:  # its set() wakes the driver's sleep
                waker = self._ensure_waker(make_waker)
                interrupt._listen(waker)
                undo.append(self._forgetting(interrupt, waker))
            yield from self._loop()
        except GeneratorExit:
            if self.pending:
                outcome = "stopped"  # the caller had enough: FIRST_COMPLETED, a break
            raise
        except BaseException as raised:
            outcome = ending(raised, self._limit.errors)
            error = raised
            raise
        finally:
            # Every undo runs, even after one fails; the first failure is raised.
            failures: list[Exception] = []
            for stop in undo:
                try:
                    stop()
                except Exception as failure:  # noqa: PERF203 - each undo on its own
                    failures.append(failure)
            if watcher is not None:
                watcher.ended(outcome, error)
            if failures:
                raise failures[0]

    def _watch(
        self, make_waker: Callable[[], Waker], undo: list[Callable[[], object]]
    ) -> Generator[Step[J], object, None]:
        """Have every job that can call back when it ends do so; keep the undos in ``undo``."""
        watches = self._watches_of
        for count, entry in enumerate(self.pending.values(), 1):
            if not count % SLICE:
                yield Breathe()
            if not watches(entry.job):  # its watch() is the base's, which arranges nothing
                continue
            stop = shielded("watch()", entry.job.watch)(self._waker_of(entry))
            if stop is not None and not callable(stop):
                raise TypeError(
                    f"watch() of job {entry.job.job_id()!r} returned {stop!r}; it must "
                    "return None or a function that undoes what it arranged"
                )
            if stop is not None:
                undo.append(shielded("the undo watch() returned", stop))
                entry.event_driven = True
                entry.resync = self._resync_of(entry.job)
                self._ensure_waker(make_waker)

    def _ensure_waker(self, make_waker: Callable[[], Waker]) -> Waker:
        if self.waker is None:
            self.waker = make_waker()
        return self.waker

    @staticmethod
    def _forgetting(interrupt: Interrupt, waker: _Settable) -> Callable[[], None]:
        return lambda: interrupt._forget(waker)

    def _waker_of(self, entry: Entry[J]) -> Callable[[], None]:
        return _Wakeup(self, entry)

    def _wake(self, entry: Entry[J]) -> None:
        """An event-driven job called back: query it at once (this runs in any thread)."""
        self._calendar.woken.append(entry)
        if self.waker is not None:
            self.waker.set()

    def _loop(self) -> Generator[Step[J], object, None]:
        clock = self._clock
        deadline = self._deadline
        at_deadline = False
        # The time the last sleep slept up to, unless something woke it: the jobs
        # due by then are due now, whatever the clock says. A sleep that ends
        # early without being woken (a test's stand-in for time.sleep) is thus
        # not slept again for the remainder.
        slept_to = -math.inf
        while self.pending:
            if self.waker is not None:
                self.waker.clear()
            if self._interrupt is not None and self._interrupt.is_set():
                raise self._limit.interrupted(self._what())
            finished, waiting, failed, stopped = yield from self._round(at_deadline, slept_to)
            if finished:
                yield finished
            if not self.pending:
                return
            if self.interrupted() or (stopped and not self._limit.passed()):
                raise self._limit.interrupted(self._what())
            if deadline is not None and (at_deadline or clock.monotonic() >= deadline):
                if self._fresh.issuperset(self.pending):
                    yield from self._late()
                    if not self.pending:
                        return
                    raise self._timeout_error()
                # The deadline came in a round: the jobs not asked since are asked
                # once more, as every pending job is at the deadline.
                at_deadline = True
                continue
            if self._callback is not None:
                for entry in waiting:
                    self._callback(entry.job.job_id(), entry.status, entry.handle)
            now = clock.monotonic()
            wake, seconds, why = self._nap(now, self._schedule(now, waiting, failed))
            if self._observer is not None:
                self._observer.sleeping(seconds, why)
            woken = yield Sleep(seconds)
            slept_to = -math.inf if woken else wake
            at_deadline = self._limit.reached(bool(woken), wake)

    def _nap(self, now: float, soonest: Soonest | None) -> tuple[float, float, str]:
        """Until when, for how many seconds and why, to sleep after a round ending at ``now``.

        ``soonest`` is the earliest due time planned in the round, with the
        delay that gave it: when the sleep is for that job and nothing
        sooner, its seconds are that delay itself, not the difference of
        two times, which rounding would make a hair shorter or longer.
        """
        wake = self._calendar.next_due()
        cut = self._limit.nap(now, wake)
        if cut is not None:
            return cut[0], cut[1], "deadline"
        if soonest is not None and wake == soonest[0]:
            return wake, soonest[1], soonest[2]
        # a job planned in an earlier round, or none: only calls back are awaited
        return wake, max(0.0, wake - now), "schedule" if wake < math.inf else "push"

    def _round(
        self, at_deadline: bool, slept_to: float
    ) -> Generator[
        Step[J],
        object,
        tuple[list[tuple[J, JobStatus]], list[Entry[J]], list[Entry[J]], bool],
    ]:
        """Query the jobs that are due (all of them at the deadline) and sort the answers.

        The round stops, as :mod:`jobv1._deadline` says, when the deadline
        comes (or its own round's end) or the interrupt is set: no other
        query is begun.

        Returns:
            The jobs found final, the entries found not final with their
            status, the entries whose query failed and was ridden out, and
            whether the round stopped before its end.
        """
        due = self._due(at_deadline, slept_to)
        sorted_ = _Sorted[J]()
        # One request at a time, or the whole round together for the driver to run
        # at once: the answers are read in the same order either way. (Reading a
        # round of 100,000 answers breathes every SLICE, for an event loop.)
        step = 1 if self.max_in_flight == 1 else math.inf
        end = self._limit.round_end(at_deadline)
        part: list[Request[J]] = []
        stopped = begun = False
        requests = groups(due, self._batch)
        for request in requests:
            if begun and not part and self._halted(end):
                self._left_out(request, requests, at_deadline)
                stopped = True
                break
            # An event-driven job's query is local, cheap, and draws from no limit.
            entries = asked(request)
            if self._limited and not all(entry.event_driven for entry in entries):
                turn = self._turn(entries[0])
                if turn is None:  # its turn would come after the deadline
                    self._held_back(entries, at_deadline)
                    continue
                if turn > self._clock.monotonic():
                    if part:
                        begun = True
                        stopped = yield from self._take(part, at_deadline, sorted_)
                        part = []
                        if stopped or self._halted(end):
                            self._left_out(request, requests, at_deadline)
                            stopped = True
                            break
                    yield from self._pace(turn)
            part.append(request)
            if len(part) == step:
                begun = True
                stopped = yield from self._take(part, at_deadline, sorted_)
                part = []
                if stopped:
                    break
        if part and not stopped:
            stopped = yield from self._take(part, at_deadline, sorted_)
        return sorted_.finished, sorted_.waiting, sorted_.failed, stopped

    def _due(self, at_deadline: bool, slept_to: float) -> list[Entry[J]]:
        """The entries to ask in this round: all not asked since the deadline, at its round."""
        if at_deadline:
            fresh = self._fresh
            due = [entry for index, entry in self.pending.items() if index not in fresh]
        else:
            due = self._calendar.due(max(self._clock.monotonic(), slept_to), self.pending)
        if flight.noted and flight.prune():  # an earlier wait gave up a query still running
            due = self._not_busy(due, at_deadline)
        return due

    def _not_busy(self, due: list[Entry[J]], at_deadline: bool) -> list[Entry[J]]:
        """The ``due`` entries but those whose query an earlier wait gave up, still running.

        Those are not asked again while it runs: at the deadline they count
        as asked; before it, they are planned as if asked with no answer.
        """
        free: list[Entry[J]] = []
        busy: list[Entry[J]] = []
        for entry in due:
            (busy if flight.busy(entry.handle) else free).append(entry)
        if busy:
            if at_deadline:
                self._fresh.update(entry.index for entry in busy)
            else:
                for entry in busy:
                    entry.hint = None
                self._schedule(self._clock.monotonic(), busy, [])
        return free

    def _halted(self, end: float) -> bool:
        """Whether a round is to begin no other query: the interrupt is set, or ``end`` came."""
        return self.interrupted() or self._clock.monotonic() >= end

    def _left_out(self, request: Request[J], rest: Iterator[Request[J]], at_deadline: bool) -> None:
        """A round stopped before ``request`` and ``rest``: at the deadline, they are not asked.

        Before it, they are left to the deadline's round.
        """
        if at_deadline:
            self._fresh.update(
                entry.index for left in itertools.chain((request,), rest) for entry in asked(left)
            )

    def _take(
        self, part: list[Request[J]], at_deadline: bool, into: _Sorted[J]
    ) -> Generator[Step[J], object, bool]:
        """Have the driver make the queries of ``part``; sort their answers ``into`` the round's.

        The answers are read in the jobs' order, as if the queries had been made
        one after another: hooks are called, and errors raised, in that order.

        Returns:
            Whether the driver gave up a query, or began one not.
        """
        ask = ask_of(part, not at_deadline, self._clock)
        if self._blocking and len(part) == 1:  # made here, as the driver would
            outcomes: object = [outcome_of(ask.queries[0])]
        else:
            outcomes = yield ask
        assert isinstance(outcomes, list)  # the driver sends back one outcome per query
        fresh = self._fresh
        if at_deadline:  # asked at the deadline: they need no other query there
            fresh.update(entry.index for request in part for entry in asked(request))
        # Else the answers that came at or after the deadline count as its queries.
        deadline = self._limit.late_from(at_deadline)
        cut = False
        count = 0
        for place, (request, outcome) in enumerate(zip(part, outcomes, strict=True)):
            if outcome is UNBEGUN:  # asked at the deadline's round, if not in it
                cut = True
                continue
            if outcome is None:  # given up while it ran: the job is not asked again
                self._given_up.append((request, outcomes, place))
                for entry in asked(request):
                    fresh.add(entry.index)
                    flight.give_up(entry.handle, outcomes, place, None)
                cut = True
                continue
            ok, value = outcome
            if not ok:
                entries = asked(request)
                if self._clock.monotonic() >= deadline:
                    fresh.update(entry.index for entry in entries)
                self._failed(entries, value, into)
                continue
            count = yield from self._read(request, value, deadline, into, count)
        return cut

    def _read(
        self, request: Request[J], value: Any, deadline: float, into: _Sorted[J], count: int
    ) -> Generator[Step[J], object, int]:
        """Sort the answers ``value`` of a query ``request`` made ``into`` the round's.

        Returns:
            ``count`` and the number of jobs it answered for: the loop breathes
            every :data:`SLICE` of them.
        """
        fresh = self._fresh
        if isinstance(request, Entry):  # one job's query
            answer, request.hint, when = value
            if when >= deadline:
                fresh.add(request.index)
            request.batch = None
            count += 1
            if not count % SLICE:
                yield Breathe()
            self._found(request, answer, into)
            return count
        batch, entries = request
        answers, hints, when = value
        if len(answers) != len(entries):
            raise ValueError(f"{batch!r} answered {len(answers)} statuses for {len(entries)} jobs")
        for entry, answer, hint in zip(entries, answers, hints, strict=True):
            if when >= deadline:
                fresh.add(entry.index)
            entry.hint = hint
            entry.batch = batch
            count += 1
            if not count % SLICE:
                yield Breathe()
            self._found(entry, answer, into)
        return count

    def _late(self) -> Generator[Step[J], object, None]:
        """Read the answers of the queries given up that came since; yield the jobs found final."""
        given_up, self._given_up = self._given_up, []
        into = _Sorted[J]()
        count = 0
        for request, outcomes, place in given_up:
            outcome = outcomes[place]
            if isinstance(outcome, tuple) and outcome[0]:  # else still running, or failed
                count = yield from self._read(request, outcome[1], math.inf, into, count)
        if into.finished:
            yield into.finished

    def _found(self, entry: Entry[J], answer: object, into: _Sorted[J]) -> None:
        """Sort the job of ``entry``, which answered ``answer``, ``into`` finished or waiting."""
        attempt = 1
        if entry.failures:
            attempt += len(entry.failures)
            entry.failures = entry.retry_delays = None
        status = answer if type(answer) is JobStatus else check_status(entry.job, answer)
        if self._observer is not None:
            self._observer.queried(entry.job.job_id(), status, attempt)
        if status is not entry.status:
            entry.status = status
            if self._on_status is not None:
                self._on_status(entry.handle, status)
        if is_final(status):
            del self.pending[entry.index]
            into.finished.append((entry.handle, status))
        else:
            into.waiting.append(entry)

    def _failed(self, entries: list[Entry[J]], failure: Exception, into: _Sorted[J]) -> None:
        """The query of ``entries`` failed: raise it, unless the retry rides it out."""
        if self._retry is None or not self._retry.rides_out(failure):
            if isinstance(failure, StopIteration):
                raise StopIterationError("status()", failure)
            raise failure
        max_failures = self._retry.max_failures
        for entry in entries:
            if entry.failures is None:
                entry.failures = []
            entry.failures.append(failure)
            if len(entry.failures) > max_failures:
                raise chained(entry.failures)
            ridden_out(
                self._observer, entry.job.job_id(), failure, len(entry.failures), max_failures
            )
        into.failed += entries

    def _turn(self, entry: Entry[J]) -> float | None:
        """Reserve a request's turn with each limit it draws from: when, or ``None``.

        ``None`` when a turn would come after the deadline: then nothing is
        reserved with the limits after the one that refused.
        """
        limits = (self._rate_limit, entry.limit)
        now = self._clock.monotonic()
        until = math.inf if self._deadline is None else max(self._deadline, now)
        turn = now
        for limit in dict.fromkeys(limits):  # each limit once
            if limit is not None:
                reserved = limit.reserve(now, until, self._clock)
                if reserved is None:
                    return None
                turn = max(turn, reserved)
        return turn

    def _pace(self, turn: float) -> Generator[Step[J], object, None]:
        """Sleep until ``turn``, when a rate limit lets the next request be made."""
        while (left := turn - self._clock.monotonic()) > 0:
            if self.waker is not None:
                self.waker.clear()
            if self._observer is not None:
                self._observer.sleeping(left, "rate limit")
            yield Sleep(left)
            if self.interrupted():
                raise self._limit.interrupted(self._what())
        if self._calendar.woken and self.waker is not None:
            self.waker.set()  # a job that called back meanwhile is seen to after this round

    def _held_back(self, entries: list[Entry[J]], at_deadline: bool) -> None:
        """The rate limit gives ``entries`` no turn before the deadline."""
        deadline = self._deadline
        assert deadline is not None  # a limit gives every request a turn, in the end
        if at_deadline or self._clock.monotonic() >= deadline:
            self._fresh.update(entry.index for entry in entries)  # given up: no turn left
            return
        for entry in entries:  # asked again at the deadline, if a turn is free then
            self._calendar.make_due(entry, deadline)

    def _schedule(
        self, now: float, waiting: list[Entry[J]], failed: list[Entry[J]]
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
        together: dict[Batch, list[tuple[Entry[J], float]]] = {}
        drawn = self._drawn
        for entry in waiting:
            if entry.event_driven:  # it calls back when it ends; maybe resynced
                if entry.resync is not None:
                    self._calendar.resyncing = True
                    soonest = self._plan(entry, now, entry.resync, soonest, "resync")
                continue
            hint = read_hint(entry.job, entry.hint)
            if hint is not None:
                soonest = self._plan(entry, now, hint, soonest, "hint")
                continue
            if drawn is not None:
                delay = drawn.at(entry.step)
                entry.step += 1
            else:
                if entry.delays is None:
                    entry.delays = delays_of(self._policy)
                delay = next_delay(self._policy, entry.delays)
            if entry.batch is None:
                soonest = self._plan(entry, now, delay, soonest, "policy")
            else:
                together.setdefault(entry.batch, []).append((entry, delay))
        for members in together.values():
            delay = members[0][1]
            for entry, _delay in members:
                soonest = self._plan(entry, now, delay, soonest, "policy")
        for entry in failed:
            soonest = self._plan(entry, now, self._retry_delay(entry), soonest, "retry")
        return soonest

    def _retry_delay(self, entry: Entry[J]) -> float:
        """The delay before the next query of a job whose last query failed and was ridden out."""
        retry = self._retry
        assert retry is not None  # only a Retry turns a failure into a missed query
        assert entry.failures  # and it keeps the failure
        delay = retry.delay_after(entry.failures[-1])
        if delay is None:
            if entry.retry_delays is None:
                entry.retry_delays = delays_of(retry.backoff)
            delay = next_delay(retry.backoff, entry.retry_delays)
        return delay

    def _plan(
        self, entry: Entry[J], now: float, delay: float, soonest: Soonest | None, why: str
    ) -> Soonest:
        """Make ``entry`` due ``delay`` after ``now`` (for ``why``); return this or ``soonest``."""
        due = now + delay
        if due == math.inf:
            raise past_range(entry.job, delay, now)
        self._calendar.make_due(entry, due)
        return (due, delay, why) if soonest is None or due < soonest[0] else soonest

    def _what(self) -> str:
        if self._total == 1:
            return f"job {self.pending[0].job.job_id()!r}"
        return f"{len(self.pending)} of {self._total} jobs"

    def _timeout_error(self) -> JobTimeoutError:
        assert self.timeout is not None  # only a wait with a deadline times out
        if self._total == 1:
            entry = self.pending[0]
            message = timeout_message(entry.job.job_id(), self.timeout, entry.status)
        else:
            message = f"{self._what()} {within(self.timeout)}"
        causes = [entry.failures[-1] for entry in self.pending.values() if entry.failures]
        return self._limit.timed_out(message, causes[-1] if causes else None)


def check_wait(
    *,
    timeout: object,
    poll: tuple[str, object],
    callback: object,
    on_status: object,
    retry: object,
    interrupt: object,
    max_in_flight: object,
    rate_limit: object,
) -> tuple[float | None, PollPolicy, int, RateLimit | None]:
    """Check a wait's arguments, naming any that is bad: raise, or return four of them as read.

    ``poll`` is the name the caller gave the policy argument, and its value.

    Returns:
        The timeout in seconds (or ``None``), the poll policy, ``max_in_flight``,
        and the rate limit.
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
    return limit, policy, max_in_flight, shared


def start(
    jobs: Iterable[J],
    *,
    clock: Clock,
    timeout: object,
    poll: tuple[str, object],
    callback: object = None,
    on_status: object = None,
    retry: object = None,
    interrupt: object = None,
    batch: BatchOf | None = None,
    adapt: Callable[[J], Pollable] | None = None,
    errors: Errors | None = None,
    max_in_flight: object = 1,
    rate_limit: object = None,
    limit_of: Callable[[Pollable], RateLimit | None] | None = None,
    hints_of: Callable[[Pollable], bool] | None = None,
    resync_of: Callable[[Pollable], float | None] | None = None,
    watches_of: Callable[[Pollable], bool] | None = None,
) -> Poller[J]:
    """Check a wait's arguments, naming any that is bad, and make its :class:`Poller`.

    ``poll`` is the name the caller gave the policy argument, and its value.
    """
    limit, policy, bound, shared = check_wait(
        timeout=timeout,
        poll=poll,
        callback=callback,
        on_status=on_status,
        retry=retry,
        interrupt=interrupt,
        max_in_flight=max_in_flight,
        rate_limit=rate_limit,
    )
    return Poller(
        jobs,
        clock=clock,
        timeout=limit,
        policy=policy,
        callback=callback,  # type: ignore[arg-type]
        on_status=on_status,  # type: ignore[arg-type]
        retry=retry,  # type: ignore[arg-type]
        interrupt=interrupt,  # type: ignore[arg-type]
        batch=batch,
        adapt=adapt,
        errors=errors,
        max_in_flight=bound,
        rate_limit=shared,
        limit_of=limit_of,
        hints_of=hints_of,
        resync_of=resync_of,
        watches_of=watches_of,
    )
