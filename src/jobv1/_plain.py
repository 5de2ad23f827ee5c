"""The loop of a wait on many plain polled jobs: the jobs in step, and no record per job.

:func:`jobv1.wait` and :func:`jobv1.as_completed` come here when every job
is polled alike: each is a :class:`~jobv1.JobV1` that keeps the base
``watch()`` and ``poll_hint()``, on a backend with neither ``job_statuses``
nor ``status_rate_limit``, and the wait paces every job alike (``Fixed``,
or ``Backoff`` without jitter), with no ``retry`` and no rate limit. (It
tells the ``jobv1`` logger and a tracer what it does, as the general loop
does: listening never changes the loop.) Such jobs are due together
from the first round to the last: each round queries every pending job, and
all that stay pending are next due one delay of the policy later, the same
delay for all. So the loop keeps one due time and one step for them all,
the pending jobs as a list of their indices, and a round's answers in one
list: it makes no object per job, and 100,000 jobs cost a round of
``status()`` calls and little more, and give the garbage collector nothing
to trace.

It makes the same queries at the same times as
:class:`~jobv1._polling.Poller` (a round's queries go to the workers
together, then their answers are read in the jobs' order), calls
``on_status`` the same way, and raises the same errors with the same
messages (``tests/test_plain.py`` runs both on the same scripted jobs and
compares).
"""

from __future__ import annotations

import math
import time

from . import _flight as flight
from ._answers import Answers
from ._blocking import Driven
from ._clock import reader
from ._deadline import Deadline, within
from ._observe import observed, observer
from ._pacing import past_range
from ._requests import EARLY, Launch, Sleep
from ._status import JOB_FINAL_STATES, JobStatus, check_status
from ._typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable, Generator
    from typing import Any

    from ._arguments import Checked
    from ._errors import JobTimeoutError
    from ._observe import Observer
    from ._policy import Drawn
    from ._requests import Step, Waker
    from ._workers import Crew, Sweep

__all__ = ["Plain"]

J = TypeVar("J")

if TYPE_CHECKING:
    #: The jobs that ended in a round, with their final statuses.
    Finished = list[tuple[J, JobStatus]]

_DONE, _CANCELLED, _ERROR = JOB_FINAL_STATES


def _not_busy(jobs: list[Any], due: list[int], fresh: set[int] | None) -> list[int]:
    """The ``due`` jobs but those whose query an earlier wait gave up, still running.

    Those are not asked in this round: at the deadline (``fresh`` given) they
    count as asked; before it, they are asked in the next round, as every
    pending job is.
    """
    busy = [index for index in due if flight.busy(jobs[index])]
    if not busy:
        return due
    if fresh is not None:
        fresh.update(busy)
    skipped = set(busy)
    return [index for index in due if index not in skipped]


def _halting(wait: Plain[Any], now: Callable[[], float], end: float) -> Callable[[], bool]:
    """Whether a round made one job at a time is to ask no other: the interrupt, or ``end``."""
    return lambda: wait.interrupted() or now() >= end


def _never() -> bool:
    """A round made one job at a time with no deadline and no interrupt never halts."""
    return False


def _launched(
    wait: Plain[J], sweep: Sweep, due: list[int], read: set[int]
) -> Generator[Step[J], object, list[int]]:
    """Have the driver run ``sweep`` for ``wait``; the indices of its jobs never begun.

    An eager wait's news (:meth:`~jobv1._blocking.Driven.reads_early`) is
    read as it comes, its places added to ``read``, and the jobs it ends
    yielded at once.
    """
    unbegun = yield Launch(sweep)
    try:
        while unbegun is EARLY:
            news: Finished[J] = []
            wait._answers.news(sweep, due, read, news)
            if news:
                yield wait._settled(news)
            unbegun = yield Launch(sweep)
    except BaseException:  # a hook raised, or the caller closed the wait on the news
        sweep.abandon()
        raise
    assert isinstance(unbegun, list)  # the driver sends back the indices never begun
    return unbegun


class Plain(Driven[J]):
    """One wait over plain polled jobs, with one deadline: :class:`~jobv1._polling.Poller`'s twin.

    Iterating it gives, round after round, the jobs that reached a final
    state in that round with their final status; it ends when no job is
    pending, and raises :class:`~jobv1.JobTimeoutError` at the deadline if
    some still are.

    Args:
        wait: The wait, its arguments checked, over at least two jobs, each
            its own ``Pollable``, with no ``retry`` or rate limit.
        drawn: The policy's delays, drawn once for all the jobs.
        read: Reads a job's answer that is not a jobv1 :class:`JobStatus`
            as one, or raises: :func:`~jobv1._status.check_status` for
            jobv1's jobs; jobs of other libraries, asked directly, read as
            their views would (:func:`~jobv1._choose.read_answer`).
    """

    def __init__(
        self,
        wait: Checked[J],
        *,
        drawn: Drawn,
        read: Callable[[Any, object], JobStatus] = check_status,
    ) -> None:
        options = wait.options
        clock, timeout, on_status = wait.clock, options.timeout, options.on_status
        jobs = self._jobs = wait.jobs
        self._clock = clock
        self.timeout = timeout
        self._limit = Deadline(clock, timeout, wait.started, wait.errors)
        self._deadline = self._limit.at
        self._drawn = drawn
        # Reads each answer: tells on_status and the listeners, notes the jobs found final.
        self._answers = Answers(jobs, read, on_status)
        #: Stops the wait when set.
        self.interrupt = options.interrupt
        #: How many queries a driver may run at once.
        self.max_in_flight = wait.bound()
        # The wait's clock, as cheap to read as it can be: each answer may be timed.
        self._now = reader(clock)
        #: The indices of the jobs not final yet, in the jobs' order.
        self.pending = list(range(len(jobs)))
        # The indices of the jobs answered at or after the deadline, before its own round.
        self._fresh: set[int] = set()
        # The queries given up while they ran, whose answers may still come: the
        # sweep that made each, and the job's place in it and in the wait.
        self._given_up: list[tuple[Sweep, int, int]] = []
        # Who listens to the wait (the jobv1 logger, a span), once it starts; if anyone.
        self._observer: Observer | None = None
        # Whether the driver lets the loop make a query in its own thread.
        self._blocking = False
        # How many workers a round takes, once one is made at once.
        self._crew: Crew | None = None
        # Whether the answers worth reading are read as they come (see steps()).
        self._early = False

    def failure_of(self, job: J) -> Exception | None:
        """The failure that ended ``job``, with the option ``own_failures``; else ``None``."""
        return self._answers.failures.get(id(job))

    def seen(self) -> dict[int, JobStatus]:
        """The status each pending job was last told to ``on_status`` in, by its id."""
        return self._answers.seen(self.pending)

    def had(self) -> set[int]:
        """The ids of every job of the wait."""
        return set(map(id, self._jobs))

    def not_done(self) -> list[J]:
        """The jobs not seen in a final state yet, in their order."""
        jobs = self._jobs
        return [jobs[index] for index in self.pending]

    def steps(
        self, make_waker: Callable[[], Waker], *, blocking: bool = False
    ) -> Generator[Step[J], object, None]:
        """The loop, as requests to a driver: :meth:`~jobv1._polling.Poller.steps`'s twin.

        Each round's queries are one :class:`~jobv1._requests.Launch` of a
        :class:`~jobv1._workers.Sweep`; one at a time (``max_in_flight=1``),
        one per job, or none where the driver may block: the loop then makes
        them itself, in the driver's thread. The ``jobv1`` logger and a
        tracer are told what it does, as the general loop tells them.

        Args:
            make_waker: Makes what the driver's sleeps wake on; called only
                if the wait has an interrupt.
            blocking: Whether the driver runs the loop in a thread that may
                block on a query (the caller's): one query at a time is then
                made in it.
        """
        self._blocking = blocking
        self._early = self.reads_early()
        watcher = self._observer = self._answers.observer = observer(len(self._jobs), self.timeout)
        yield from observed(self._listening(make_waker), watcher, self._limit.errors, self.not_done)

    def _listening(self, make_waker: Callable[[], Waker]) -> Generator[Step[J], object, None]:
        interrupt = self.interrupt
        if interrupt is None:
            yield from self._loop(None)
            return
        waker = make_waker()
        interrupt._listen(waker)  # its set() wakes the driver's sleep
        try:
            yield from self._loop(waker)
        finally:
            interrupt._forget(waker)

    def _loop(self, waker: Waker | None) -> Generator[Step[J], object, None]:
        clock = self._clock
        deadline = self._deadline
        fresh = self._fresh
        step = 0  # how many delays every pending job has taken: the same for all
        at_deadline = False
        while True:  # the round that finds the last pending job final returns
            if waker is not None:
                waker.clear()
            if self.interrupted():
                raise self._limit.interrupted(self._what())
            # Not asked in this round: the jobs whose queries were carried over, or
            # given up, and answered since (read now) or not yet.
            skip = {index for _, _, index in self._given_up}
            if skip and not (yield from self._carried()):
                return  # the last pending jobs' carried queries found them final
            if at_deadline:
                skip |= fresh
            due = [index for index in self.pending if index not in skip] if skip else self.pending
            finished, stopped = yield from self._round(due, at_deadline)
            if finished:
                yield self._settled(finished)
            if not self.pending:
                return
            if self.interrupted() or (stopped and not self._limit.passed()):
                raise self._limit.interrupted(self._what())
            if deadline is not None and (at_deadline or clock.monotonic() >= deadline):
                # After the deadline's round every pending job was asked at the deadline.
                if at_deadline or fresh.issuperset(self.pending):
                    if (yield from self._carried()):
                        raise self._timeout_error()
                    return
                at_deadline = True  # the deadline came in a round: see to the others
                continue
            wake, seconds = self._nap(self._drawn.at(step))
            woken = yield Sleep(seconds)
            at_deadline = self._limit.reached(bool(woken), wake)
            step += 1

    def _nap(self, delay: float) -> tuple[float, float]:
        """Until when, and for how long, to sleep the policy's ``delay``: up to the deadline."""
        now = self._clock.monotonic()
        wake = now + delay
        if wake == math.inf:
            raise past_range(self._jobs[self.pending[0]], delay, now)  # type: ignore[arg-type]
        seconds, why = delay, "policy"
        cut = self._limit.nap(now, wake)
        if cut is not None:
            (wake, seconds), why = cut, "deadline"
        if self._observer is not None:
            self._observer.sleeping(seconds, why)
        return wake, seconds

    def _settled(self, finished: Finished[J]) -> Finished[J]:
        """The jobs found final, once they are out of the pending ones."""
        ended = self._answers.ended
        self.pending = [index for index in self.pending if index not in ended]
        ended.clear()
        return finished

    def _round(
        self, due: list[int], at_deadline: bool
    ) -> Generator[Step[J], object, tuple[Finished[J], bool]]:
        """Query the jobs of ``due``; return those found final, and whether the round stopped.

        It stops, as :mod:`jobv1._deadline` says, at the deadline (or its own
        round's end) or on the interrupt: no other query is begun.
        """
        late_from = self._limit.late_from(at_deadline)
        finished: Finished[J] = []
        if flight.noted and flight.prune():  # an earlier wait gave up a query still running
            due = _not_busy(self._jobs, due, self._fresh if at_deadline else None)
            if not due:  # every job due has a query under way: nothing to ask
                return finished, False
        if self.max_in_flight > 1 and len(due) > 1:
            stopped = yield from self._at_once(due, late_from, at_deadline, finished)
            return finished, stopped
        # One query at a time, each answer read as it comes, as the general loop's:
        # in this thread, where the driver may block; else each one launched, or,
        # with no hook or listener to tell between two, the round launched at once
        # to one worker, which stops where this loop would.
        end = self._limit.round_end(at_deadline)
        halts = end < math.inf or self.interrupt is not None
        now, fresh, here = self._now, self._fresh, self._blocking
        if not here and self._answers.untold():
            halt = _halting(self, self._now, end) if halts else _never
            stopped = yield from self._in_parts(due, late_from, at_deadline, finished, halt)
            return finished, stopped
        for place, index in enumerate(due):
            if place and halts and (self.interrupted() or now() >= end):
                if at_deadline:  # the deadline's round ran out of time: the rest are not asked
                    fresh.update(due[place:])
                return finished, True
            if not here:
                cut, _ = yield from self._sweep([index], late_from, at_deadline, finished)
                if cut:
                    return finished, True
                continue
            self._here(index, late_from, finished)
        return finished, False

    def _here(self, index: int, late_from: float, finished: Finished[J]) -> None:
        """Ask job ``index`` in this thread, and read its answer into ``finished``."""
        job: Any = self._jobs[index]
        try:
            answer = job.status()
        except Exception as failure:  # the job's own: it ends, and the others are asked on
            self._answers.failed(index, failure, finished)
            return
        if late_from < math.inf and self._now() >= late_from:
            self._fresh.add(index)
        self._answers.found(index, answer, finished)

    def _at_once(
        self, due: list[int], late_from: float, at_deadline: bool, finished: Finished[J]
    ) -> Generator[Step[J], object, bool]:
        """The whole round at once, on the workers, as the general loop's; whether it stopped.

        By one worker, where the last round's queries took no time: they hold
        the interpreter's lock, and more workers would only take turns at it.
        """
        from ._workers import Crew

        crew = self._crew = self._crew or Crew(self.max_in_flight)
        workers = crew.size(len(due))
        started = time.perf_counter()
        stopped, asked = yield from self._sweep(
            due, late_from, at_deadline, finished, workers=workers
        )
        crew.timed(time.perf_counter() - started, workers, asked)
        return stopped

    def _in_parts(
        self,
        due: list[int],
        late_from: float,
        at_deadline: bool,
        finished: Finished[J],
        halt: Callable[[], bool],
    ) -> Generator[Step[J], object, bool]:
        """Have one worker ask the jobs of ``due`` one at a time, a part per hand-over.

        A part ends where ``halt()`` says so, or at a failure or an answer that may
        not be a status, read before the next part. Returns whether the round stopped.
        """
        rest = due
        while True:
            _, asked = yield from self._sweep(rest, late_from, at_deadline, finished, halt=halt)
            rest = rest[asked:]
            if not rest:
                return False
            if halt():
                return True

    def _sweep(
        self,
        due: list[int],
        late_from: float,
        at_deadline: bool,
        finished: Finished[J],
        *,
        halt: Callable[[], bool] | None = None,
        workers: int | None = None,
    ) -> Generator[Step[J], object, tuple[bool, int]]:
        """Have the driver query the jobs of ``due``; read the answers, in order, into ``finished``.

        Those still running at the deadline or the interrupt are given up:
        their jobs are not asked again, and their answers are read at the
        end if they came by then (:meth:`_carried`). Those not begun then are
        asked at the deadline's round, or, in it, not at all. With ``halt``,
        the jobs are asked one at a time by one worker, which asks no other
        once ``halt()`` says so or after a failure or an answer that may not
        be a status: the caller reads it (and raises, or goes on). With
        ``workers``, no more than that many workers make the queries.

        Returns:
            Whether the driver gave up a query, or began one not; and how
            many jobs answered (or raised), in order from the first.
        """
        from ._workers import FAILED, SKIPPED, UNASKED, Sweep

        jobs = self._jobs
        queried = jobs if len(due) == len(jobs) else [jobs[index] for index in due]
        sweep = Sweep(queried, self._now, late_from, halt=halt, cap=workers)
        if halt is None:  # else one at a time: its own part ends where news comes
            sweep.eager = self._early
            sweep.until = self._limit.carry_from(at_deadline)
        read: set[int] = set()  # the answers read as they came, by an eager wait
        unbegun = yield from _launched(self, sweep, due, read)
        asked = sweep.asked  # read first: an answer is in before it is counted
        answers = list(sweep.answers)  # as they are now: a query given up may still end later
        fresh = self._fresh
        fresh.update(due[k] for k in sweep.late)
        if unbegun or asked < len(due):
            for k in sweep.running(answers, unbegun):  # given up while they ran, or carried
                if not sweep.carried:
                    fresh.add(due[k])
                self._given_up.append((sweep, k, due[k]))
                flight.give_up(jobs[due[k]], sweep.answers, k, UNASKED)
            if at_deadline:
                fresh.update(due[k] for k in unbegun)
        # Every answer, where a status change or every answer is told; else those worth a
        # look. With nobody to tell, a final status of jobv1's is noted here, at no call.
        answers_of = self._answers
        untold, ended, cut = answers_of.untold(), answers_of.ended, False
        for k in sweep.to_read(answers, asked, every=not untold):
            if k in read:
                continue
            answer = answers[k]
            if answer is UNASKED or answer is SKIPPED:  # given up, carried, or never asked
                cut = cut or not sweep.carried
                continue
            if answer is FAILED:
                answers_of.failed(due[k], sweep.failures[k], finished)
                continue
            if untold and (answer is _DONE or answer is _CANCELLED or answer is _ERROR):
                index = due[k]
                ended.add(index)
                finished.append((jobs[index], answer))
                continue
            answers_of.found(due[k], answer, finished)
        return cut, asked

    def _carried(self) -> Generator[Step[J], object, bool]:
        """Yield the jobs found final by the answers come since of queries given up or carried.

        Returns:
            Whether some job is still pending.
        """
        finished: Finished[J] = []
        self._given_up = self._answers.late(self._given_up, finished)
        if finished:
            yield self._settled(finished)
        return bool(self.pending)

    def _what(self) -> str:
        return f"{len(self.pending)} of {len(self._jobs)} jobs"

    def _timeout_error(self) -> JobTimeoutError:
        assert self.timeout is not None  # only a wait with a deadline times out
        return self._limit.timed_out(f"{self._what()} {within(self.timeout)}")
