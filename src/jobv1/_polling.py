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

from ._blocking import Driven
from ._deadline import Deadline, timeout_message, within
from ._events import Events
from ._limit import turn as limit_turn
from ._observe import ending, observer
from ._opening import Open
from ._pacing import Planner
from ._policy import delays_of, drawn_once
from ._queries import asked, groups
from ._reading import Reader, Sorted
from ._requests import (
    Sleep,
    shielded,
)
from ._roster import Roster
from ._schedule import Schedule
from ._traits import (
    batch_of,
    gives_hints,
    limit_of,
    resync_of,
    retry_of,
    watches,
)
from ._typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterator
    from typing import Any

    from ._arguments import Checked
    from ._errors import JobTimeoutError
    from ._intake import Intake
    from ._limit import RateLimit
    from ._observe import Observer
    from ._queries import BatchOf, Entry, Request
    from ._requests import Step, Waker
    from ._retry import Retry
    from ._status import JobStatus
    from ._traits import Pollable

    # Hooks are given the jobs as the caller gave them, whatever their class.
    Callback = Callable[[str, JobStatus, Any], object]
    StatusHook = Callable[[Any, JobStatus], object]

#: The jobs as the caller gave them: the loop queries them, or the views ``adapt`` makes.
J = TypeVar("J")


__all__ = ["Poller", "general"]


def _no_limit(job: Pollable) -> None:
    """The rate limit of a job whose wait was told of none."""


def _no_resync(job: Pollable) -> None:
    """How often to query an event-driven job, when the wait was not told: never."""


def _every_job(job: Pollable) -> bool:
    """Whether to ask a job for hints, when the wait was not told: always."""
    return True


class Poller(Driven[J], Open[J]):
    """One wait over a set of jobs, with one deadline.

    Iterating it gives, round after round, the jobs that reached a final
    state in that round with their final status; it ends when no job is
    pending, and raises :class:`~jobv1.JobTimeoutError` at the deadline if
    some still are.

    Args:
        wait: The wait, its arguments checked: its jobs (each once, as
            :attr:`~jobv1._arguments.Checked.jobs` gives them), its options,
            clock, start and errors.
        batch: Says, for a job, which :data:`Batch` can query it along with
            others, and how many jobs it takes at most, or ``None`` if none can.
        limit_of: Says, for a job, which :class:`~jobv1.RateLimit` its
            backend declares, or ``None``; its queries draw from that too.
        retry_of: Says, for a job, which :class:`~jobv1.Retry` its backend
            declares, or ``None``: its failures are ridden out by it, unless
            the wait has a ``retry`` of its own.
        hints_of: Says whether a job's ``poll_hint()`` may give hints: a job
            for which it says ``False`` is never asked. By default every job is.
        resync_of: Says, for an event-driven job, every how many seconds it
            is queried all the same, in case its call back is lost; ``None``
            for never, which is the default.
        watches_of: Says whether a job may call back when it ends (its
            ``watch()`` is asked); by default every job may.

    The options' ``callback`` is called as ``callback(job_id, status, job)``
    after each non-final query, except a query at or after the deadline;
    ``on_status`` as ``on_status(job, status)`` once for each distinct
    status a job is seen in, the final one included. Both are given the
    jobs as the caller gave them, whatever ``adapt`` made of them. The
    errors are raised at the deadline and on an interrupt.
    """

    def __init__(
        self,
        wait: Checked[J],
        *,
        batch: BatchOf | None = None,
        limit_of: Callable[[Pollable], RateLimit | None] | None = None,
        retry_of: Callable[[Pollable], Retry | None] | None = None,
        hints_of: Callable[[Pollable], bool] | None = None,
        resync_of: Callable[[Pollable], float | None] | None = None,
        watches_of: Callable[[Pollable], bool] | None = None,
    ) -> None:
        clock = wait.clock
        options = wait.options
        policy, timeout, rate_limit = options.policy, options.timeout, options.rate_limit
        callback, on_status, adapt = options.callback, options.on_status, wait.adapt
        self._clock = clock
        #: The rate limit every query of the wait draws from (``rate_limit=``), if any.
        self.rate_limit = rate_limit
        #: How many queries a driver may run at once.
        self.max_in_flight = wait.bound()
        self._policy = policy
        self._callback = None if callback is None else shielded("the callback", callback)
        #: Stops the wait when set.
        self.interrupt = options.interrupt
        self._batch = batch
        self.timeout = timeout
        now = clock.monotonic()
        self._limit = Deadline(clock, timeout, wait.started, wait.errors)
        self._deadline = self._limit.at
        # One sequence of delays for every job, where the policy gives them all the
        # same: a job keeps its step in it, not an iterator of its own.
        self._drawn = drawn_once(policy)
        if self._drawn is None:
            delays_of(policy)  # a policy that gives no delays is refused before any query
        # Makes the entries, of the jobs given and of those an open wait takes in later.
        self._roster = roster = Roster(
            wait.kinds,
            wait.jobs,
            adapt=adapt,
            clock=clock.monotonic,
            deadline=self._deadline,
            limits=limit_of or _no_limit,
            hints=hints_of or _every_job,
            retries=retry_of if retry_of is not None and options.retry is None else _no_limit,
        )
        #: The entries of the jobs not final yet, by index, in the jobs' order.
        self.pending = {entry.index: entry for entry in roster.entries(wait.jobs)}
        self._total = roster.total
        #: Whether any query of the wait draws from a rate limit.
        self._limited = rate_limit is not None or roster.limited
        # When the jobs are next due to be polled: every job is due now.
        self._calendar = Schedule(now, list(self.pending.values()))
        # Plans each job's next query into the calendar.
        self._planner = Planner(self._calendar, policy, self._drawn, self._limit, rate_limit)
        # The indices of the jobs asked at the deadline, or in flight when it came:
        # they need no other query there.
        self._fresh: set[int] = set()
        # Has the driver make a round's queries, and reads their answers.
        self._reader = Reader(
            self.pending,
            self._fresh,
            clock=clock,
            limit=self._limit,
            on_status=None if on_status is None else shielded("on_status", on_status),
            retry=options.retry,
            own_failures=options.own_failures,
            until=options.until,
        )
        # A long-poll is held in a worker, where an interrupt can give it up; without
        # one, a query made alone may be held in the driver's own thread.
        self._reader.long_polled = roster.long_polled
        self._reader.held_here = self.interrupt is None
        # Has the event-driven jobs call back, and wakes the driver's sleeps.
        self._events = Events(self._calendar, watches_of or _every_job, resync_of or _no_resync)
        # Who listens to the wait (the jobv1 logger, a span), once it starts; if anyone.
        self._observer: Observer | None = None
        #: What an open wait (``as_completed``'s ``add()``, a submission window) has
        #: yet to take in; ``None`` for a wait on the jobs it was given alone.
        self.intake: Intake | None = None
        self._wait = wait
        # How many jobs have ended (a refused submission waits for one more).
        self._ended = 0
        # What the driver's waker is made by, and the undos of the watches.
        self._make_waker: Callable[[], Waker] | None = None
        self._undo: list[Callable[[], object]] = []

    def failure_of(self, job: J) -> Exception | None:
        """The failure that ended ``job``, with the option ``own_failures``; else ``None``."""
        return self._reader.failures.get(id(job))

    def not_done(self) -> list[J]:
        """The jobs not seen in a final state yet, in their order."""
        return [entry.handle for entry in self.pending.values()]

    def steps(
        self, make_waker: Callable[[], Waker], *, blocking: bool = False
    ) -> Generator[Step[J], object, None]:
        """The loop, as requests to a driver; see the module's docstring.

        Args:
            make_waker: Makes the :class:`Waker` the driver sleeps on; it is
                called only if the wait can be woken early, by an event-driven
                job or an interrupt.
            blocking: Whether the driver's thread may block on a query: a
                query made alone is then made in it, with no request.
        """
        self._reader.blocking = blocking
        self._reader.early = self.reads_early()
        undo = self._undo
        self._make_waker = make_waker
        if self.intake is not None:  # a job added from another thread wakes its sleep
            self.intake.waker = self._events.ensure_waker(make_waker)
        watcher = self._observer = self._reader.observer = observer(self._total, self.timeout)
        outcome, error = "done", None
        try:
            yield from self._events.watch(self.pending.values(), make_waker, undo)
            if self.interrupt is not None:  # its set() wakes the driver's sleep
                self._events.listen(self.interrupt, make_waker, undo)
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

    def _loop(self) -> Generator[Step[J], object, None]:
        clock = self._clock
        deadline = self._deadline
        at_deadline = False
        # The time the last sleep slept up to, unless something woke it: the jobs
        # due by then are due now, whatever the clock says. A sleep that ends
        # early without being woken (a test's stand-in for time.sleep) is thus
        # not slept again for the remainder.
        slept_to = -math.inf
        while (yield from self._goes_on(at_deadline)):
            if self.interrupt is not None and self.interrupt.is_set():
                raise self._limit.interrupted(self._what())
            finished, waiting, failed, stopped = yield from self._round(at_deadline, slept_to)
            if finished:
                self._ended += len(finished)
                yield finished
            if not self.pending:
                continue  # an open wait may take in more: room for the window's next jobs
            if self.interrupted() or (stopped and not self._limit.passed()):
                raise self._limit.interrupted(self._what())
            if deadline is not None and (at_deadline or clock.monotonic() >= deadline):
                if self._fresh.issuperset(self.pending):
                    yield from self._reader.at_end()
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
            planner = self._planner
            wake, seconds, why = planner.nap(now, planner.schedule(now, waiting, failed))
            if self._observer is not None:
                self._observer.sleeping(seconds, why)
            woken = yield from self._sleep(seconds)
            slept_to = -math.inf if woken else wake
            at_deadline = self._limit.reached(bool(woken), wake)

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
        sorted_ = Sorted[J]()
        due = self._planner.due(self.pending, self._fresh, at_deadline, slept_to)
        if self._reader.given_up:  # queries carried over: those answered are read, none asked
            carried = self._reader.carried()
            yield from self._reader.late(sorted_)
            due = [entry for entry in due if entry.index not in carried]
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
                turn = limit_turn((self.rate_limit, entries[0].limit), self._clock, self._deadline)
                if turn is None:  # its turn would come after the deadline
                    self._held_back(entries, at_deadline)
                    continue
                if turn > self._clock.monotonic():
                    if part:
                        begun = True
                        stopped = yield from self._reader.take(part, at_deadline, sorted_)
                        part = []
                        if stopped or self._halted(end):
                            self._left_out(request, requests, at_deadline)
                            stopped = True
                            break
                    yield from self._pace(turn)
            part.append(request)
            if len(part) == step:
                begun = True
                stopped = yield from self._reader.take(part, at_deadline, sorted_)
                part = []
                if stopped:
                    break
        if part and not stopped:
            stopped = yield from self._reader.take(part, at_deadline, sorted_)
        if sorted_.carried:  # planned as if asked with no answer, as a job busy is
            # Its answer, read at a later round, ends it or plans it again: the
            # schedule then finds this plan out of date.
            self._planner.calendar.resyncing = True
            self._planner.schedule(self._clock.monotonic(), sorted_.carried, [])
        return sorted_.finished, sorted_.waiting, sorted_.failed, stopped

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

    def _pace(self, turn: float) -> Generator[Step[J], object, None]:
        """Sleep until ``turn``, when a rate limit lets the next request be made."""
        while (left := turn - self._clock.monotonic()) > 0:
            if self._events.waker is not None:
                self._events.waker.clear()
            if self._observer is not None:
                self._observer.sleeping(left, "rate limit")
            yield Sleep(left)
            if self.interrupted():
                raise self._limit.interrupted(self._what())
        waker = self._events.waker
        if self._calendar.woken and waker is not None:
            waker.set()  # a job that called back meanwhile is seen to after this round

    def _held_back(self, entries: list[Entry[J]], at_deadline: bool) -> None:
        """The rate limit gives ``entries`` no turn before the deadline."""
        deadline = self._deadline
        assert deadline is not None  # a limit gives every request a turn, in the end
        if at_deadline or self._clock.monotonic() >= deadline:
            self._fresh.update(entry.index for entry in entries)  # given up: no turn left
            return
        for entry in entries:  # asked again at the deadline, if a turn is free then
            self._calendar.make_due(entry, deadline)

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
        causes = [entry.tries.failures[-1] for entry in self.pending.values() if entry.tries]
        return self._limit.timed_out(message, causes[-1] if causes else None)


def general(wait: Checked[J]) -> Poller[J]:
    """The general loop for ``wait``, reading each job's traits as its class declares them."""
    return Poller(
        wait,
        batch=batch_of,
        limit_of=limit_of,
        retry_of=retry_of,
        hints_of=gives_hints,
        watches_of=watches,
        resync_of=resync_of,
    )
