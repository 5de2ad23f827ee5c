"""The worker threads that run status queries off the waiting thread.

One pool for the whole process, shared by every wait: it starts a daemon
thread whenever a task finds no idle one, up to :data:`MAX_WORKERS` (then
the task waits for the first worker free), and a thread idle for
:data:`IDLE_SECONDS` ends. Daemon threads, because a wait that ends at its
deadline leaves a slow query to finish on its own, and the interpreter must
not wait for it at exit (as it waits for a ``ThreadPoolExecutor``'s).
How many queries a wait runs at once is for the wait to bound
(``max_in_flight``); the pool only runs what it is given.

A task runs under the clock of the thread that gave it, so that a query
made for a wait in virtual time reads the same virtual time.
"""

from __future__ import annotations

import functools
import math
import os
import queue
import threading

from . import _flight as flight
from ._clock import lent
from ._status import KNOWN, QUIET
from ._typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from typing import Any

    from ._interrupt import _Settable


__all__ = [
    "CHEAP_QUERY",
    "FAILED",
    "IDLE_SECONDS",
    "MAX_WORKERS",
    "SKIPPED",
    "UNASKED",
    "Crew",
    "Run",
    "Sweep",
    "submit",
    "worth_reading",
]

#: Seconds an idle worker waits for a task before it ends: a wait's workers are
#: gone within this time of its end. (A wait that polls every few seconds starts
#: its workers again each round: a thread costs about 0.1 ms to start.)
IDLE_SECONDS = 1.0
#: How many worker threads the process runs at most, for every wait at once: a
#: wait runs at most its ``max_in_flight`` of them (one more for an ``aio``
#: sleep on a clock other than the system's), and waits that together want
#: more take turns. (Eight waits with the default ``max_in_flight`` fit.)
MAX_WORKERS = 64


class _Pool:
    """The process's worker threads: at most :data:`MAX_WORKERS`, started as tasks need them.

    A task that finds every worker busy, and as many as the pool may run,
    waits in the queue for the first that is free.
    """

    __slots__ = ("idle", "limit", "lock", "tasks", "threads", "waiting")

    def __init__(self, limit: int | None = None) -> None:
        self.tasks: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self.lock = threading.Lock()
        #: How many workers may run at once; by default :data:`MAX_WORKERS`.
        self.limit = MAX_WORKERS if limit is None else limit
        #: The workers alive.
        self.threads = 0
        #: The workers waiting for a task and not yet counted on for one.
        self.idle = 0
        #: The tasks queued when no worker was free and none could be started:
        #: the next worker to finish a task takes one of them instead of idling.
        self.waiting = 0

    def submit(self, task: Callable[[], None], *, bounded: bool = True) -> None:
        start: tuple[Callable[[], None], ...] = ()
        with self.lock:
            if self.idle:
                self.idle -= 1  # a waiting worker takes it
                self.tasks.put(task)
                return
            if not bounded:
                start = (task,)  # a worker of its own, at once, whatever the others do
            elif self.threads >= self.limit:
                self.waiting += 1
                self.tasks.put(task)
                return
            else:
                self.tasks.put(task)
            self.threads += 1
        threading.Thread(target=self.work, args=start, name="jobv1-query", daemon=True).start()

    def work(self, first: Callable[[], None] | None = None) -> None:
        task = first
        while True:
            if task is None:
                try:
                    task = self.tasks.get(timeout=IDLE_SECONDS)
                except queue.Empty:
                    with self.lock:
                        if self.tasks.empty():  # else a task came as the wait ended: take it
                            self.idle -= 1
                            self.threads -= 1
                            return
                    continue
            task()
            # Hold nothing while idle: the task holds a wait's queries, and so its jobs.
            task = None
            with self.lock:
                if self.threads > self.limit:  # one started past the limit: it ends
                    self.threads -= 1
                    return
                if self.waiting:
                    self.waiting -= 1  # a task queued for want of a worker is this one's
                else:
                    self.idle += 1


_pool = _Pool()


def _forked() -> None:  # pragma: no cover - runs in a forked child, which coverage does not see
    global _pool  # noqa: PLW0603 - the parent's workers do not exist in a forked child
    _pool = _Pool()


os.register_at_fork(after_in_child=_forked)


def submit(task: Callable[[], None], *, bounded: bool = True) -> None:
    """Run ``task()`` on a worker thread, under this thread's clock.

    ``task`` must not raise: it hands its outcome back itself. A task that
    is not ``bounded`` (an ``aio`` wait's sleep, fetch or cancel: one call
    that the wait awaits) never waits for a worker: it gets a thread of its
    own if none is idle, even past :data:`MAX_WORKERS`. The queries of a
    wait are bounded: stuck queries may fill the pool, and a wait gives up,
    at its deadline, the queries still waiting for a worker.
    """
    _pool.submit(lent(task), bounded=bounded)


def worth_reading(outcome: tuple[bool, Any]) -> bool:
    """Whether a status query's outcome is read as it comes, by an eager wait (:class:`Run`).

    So it is unless every status it answered says its job is pending: a
    job found final (or in a state that is not one) is news, and so is a
    query that raised. The outcome is that of an
    :class:`~jobv1._requests.Ask`'s query: ``(True, (answer, hint, when))``
    for one job, ``(True, (answers, hints, when))`` for a batch, or
    ``(False, the exception)``.
    """
    ok, value = outcome
    if not ok:
        return True
    answer = value[0]
    if type(answer) is list:  # a batch query's answers
        return any(id(each) not in QUIET for each in answer)
    return id(answer) not in QUIET


class _Unheard:
    """What a run is made with to say it is over: its driver gives its own before it starts it."""

    __slots__ = ()

    def set(self) -> None:
        """Nobody to wake."""


_UNHEARD = _Unheard()


class Run:
    """Calls run by up to ``bound`` workers, each taking the next call not begun, in order.

    Each call's outcome goes into ``outcomes`` at its index: ``(True, what it
    returned)`` or ``(False, the exception it raised)``. ``finished`` is set
    when every call has ended, or when one raised a ``BaseException`` (a
    Ctrl-C, kept as :attr:`raised`). A worker hands over nothing but that,
    and takes a lock only as it ends: however many calls it makes, it
    touches the waiting thread and the other workers once.

    Args:
        calls: The calls, by index.
        indices: The indices of the calls to make, in the order to begin them.
        outcomes: Where the outcomes go, by index.
        finished: Set when the run is over; a driver that runs the calls on
            workers gives its own before it starts them.
    """

    __slots__ = (
        "active",
        "begun",
        "calls",
        "cap",
        "carried",
        "count",
        "eager",
        "exhausted",
        "finished",
        "lock",
        "news",
        "order",
        "outcomes",
        "raised",
        "stopped",
        "timed",
        "told",
        "until",
    )

    def __init__(
        self,
        calls: Sequence[Callable[[], object]],
        indices: list[int],
        outcomes: list[Any],
        finished: _Settable = _UNHEARD,
    ) -> None:
        self.calls = calls
        #: The indices of the calls not begun yet: next() on it is atomic, so
        #: workers share it without a lock.
        self.order = iter(indices)
        self.outcomes = outcomes
        self.finished = finished
        self.count = len(indices)
        #: The workers not ended yet: the last to end sets ``finished``.
        self.active = 0
        self.lock = threading.Lock()
        self.raised: BaseException | None = None
        self.stopped = False
        #: At most how many workers the run wants, whatever the driver allows; ``None``: any.
        self.cap: int | None = None
        #: Whether it was started: a driver handed it back after :meth:`woken` waits on.
        self.begun = False
        #: Whether each outcome worth reading (:func:`worth_reading`) sets ``finished`` as it comes,
        #: for the driver to hand over before the others end: see :meth:`woken`.
        self.eager = False
        #: The indices of the outcomes worth reading, as they came (an eager run's).
        self.news: list[int] = []
        #: How many of :attr:`news` the driver handed over.
        self.told = 0
        #: From when, on the wait's clock, the driver carries over the calls still
        #: running once every call has begun (:meth:`carries`); ``None``: never.
        self.until: float | None = None
        #: Whether every call was begun: a worker found none left to begin.
        self.exhausted = False
        #: Whether the driver ended its wait by carrying over the calls still running.
        self.carried = False
        #: The wait's clock, where the calls take time on it (a FakeClock): see :meth:`start`.
        self.timed: Any = None

    def start(self, bound: int, clock: object = None) -> None:
        """Have up to ``bound`` workers make the calls (and no more than :attr:`cap`).

        On a clock where the calls take the time they sleep on it (the test
        kit's FakeClock), the workers run their shares through it, and
        :meth:`stop` tells it the wait waits for them no longer.
        """
        self.begun = True
        self.active = min(bound, self.count, bound if self.cap is None else self.cap)
        task: Callable[[], None] = self.work
        if hasattr(clock, "_run_share"):
            self.timed = clock
            self.timed._expect(self, self.active)
            task = functools.partial(self.timed._run_share, self, self.work)
        for _ in range(self.active):
            submit(task)

    def woken(self, interrupted: bool) -> bool | None:
        """What a driver does once its wait for the run was woken (and set to wake again).

        ``True``: hand the news over and go on later; so it does for an
        :attr:`eager` run with outcomes worth reading come since it last did,
        while other calls still run (they then count as told). ``False``: end
        the wait, the run being over, or ``interrupted``. ``None``: wait on (a
        worker ended its share, or news was told already; see
        :meth:`carries`). A driver sets its wait to wake again before it
        asks, so that a call that ends after this look wakes it.
        """
        if interrupted or self.stopped or not self.active:
            return False
        if not self.eager or len(self.news) <= self.told:
            return None
        self.told = len(self.news)
        return True

    def wait_end(self, end: float | None, now: float) -> float | None:
        """Until when the driver waits next, as of ``now``: ``end``, or :attr:`until` first."""
        until = self.until
        if until is None or now >= until or (end is not None and end <= until):
            return end
        return until

    def carries(self, now: float) -> bool:
        """Whether the driver, at ``now``, ends its wait and carries the calls still running over.

        So it does once every call has begun and :attr:`until` has come; it
        then notes it (:attr:`carried`). Never for a call not begun: a round
        of many slow queries begins each of them, however long it takes.
        """
        if self.exhausted and self.until is not None and now >= self.until:
            self.carried = True
        return self.carried

    def share_ended(self) -> None:
        """A worker found no call left to begin: every call has begun (see :meth:`carries`)."""
        if not self.stopped:
            self.exhausted = True
            if self.until is not None:
                self.finished.set()

    def stop(self) -> list[int]:
        """Let no worker begin another call; those under way finish on their own.

        Returns:
            The indices of the calls never begun. (A worker that takes one as
            they are counted takes it from under the count: it makes it.)
        """
        self.stopped = True
        if self.timed is not None:
            self.timed._let_go(self)
        return list(self.order)

    def work(self) -> None:
        """One worker's share: the next call not begun, until none is left or the run stops."""
        calls, outcomes, order = self.calls, self.outcomes, self.order
        while not self.stopped:
            index = next(order, None)
            if index is None:
                break
            try:
                outcome: tuple[bool, object] = (True, calls[index]())
            except Exception as failure:  # handed to the wait, which raises it or rides it out
                outcome = (False, failure)
            except BaseException as interrupted:  # Ctrl-C, SystemExit: raised in the wait
                self.raised = interrupted
                self.stopped = True
                self.finished.set()
                return
            outcomes[index] = outcome
            if self.eager and worth_reading(outcome):
                self.news.append(index)
                self.finished.set()
        self.share_ended()
        self.end()

    def end(self) -> None:
        """A worker ends: the last one sets ``finished``."""
        with self.lock:
            self.active -= 1
            last = not self.active
        if last:  # every call has ended: each worker ends only once none is left to begin
            self.finished.set()


#: Seconds of real time a query takes, at most, to count as cheap: a round of cheap
#: queries is made by one worker, since more would only take turns at the
#: interpreter's lock (issue 23: 8 workers took 1.9x the CPU of one, 10,000 jobs).
CHEAP_QUERY = 50e-6


class Crew:
    """How many workers each round of a wait's queries takes: as many as it may, unless cheap.

    A round whose queries took, each, less than :data:`CHEAP_QUERY` of real
    time (an answer kept in memory: the call holds the interpreter's lock)
    makes the next one take a single worker; a round that took longer gives
    the next one ``bound`` again. The first round takes ``bound``.

    Args:
        bound: The wait's ``max_in_flight``.
    """

    __slots__ = ("bound", "cheap")

    def __init__(self, bound: int) -> None:
        self.bound = bound
        self.cheap = False

    def size(self, count: int) -> int:
        """How many workers a round of ``count`` queries takes."""
        return 1 if self.cheap else min(self.bound, count)

    def timed(self, seconds: float, workers: int, asked: int) -> None:
        """A round took ``seconds`` for ``asked`` queries on ``workers`` workers."""
        if asked:
            self.cheap = seconds * workers / asked < CHEAP_QUERY


#: What a :class:`Sweep` answers for a job not asked yet (given up, if the sweep stopped).
UNASKED = object()
#: What a :class:`Sweep` answers for a job whose ``status()`` raised.
FAILED = object()
#: What a :class:`Sweep` answers for a job a worker took as the sweep stopped, and never asked.
SKIPPED = object()


class Sweep(Run):
    """Status queries of many jobs, by up to ``bound`` workers, each taking the next job not asked.

    :class:`Run` for the loop of plain polled jobs (:mod:`jobv1._plain`):
    the calls are the jobs' own ``status()``, and nothing is made per job.
    ``answers[k]`` is what job ``k`` answered, :data:`FAILED` if it raised
    (the exception is in :attr:`failures`), or :data:`UNASKED`. The
    positions of the answers worth a look (any but a status that says the
    job is pending, jobv1's or Qiskit's: :data:`~jobv1._status.QUIET`) are
    in :attr:`notable`, and those of the
    answers that came at or after ``late_from`` in :attr:`late`, in no
    particular order.

    One at a time, a sweep may be told to ``halt``: before each job but the
    first, ``halt()`` is asked, and if it says so the sweep ends there, the
    job taken marked :data:`SKIPPED` and the rest never begun. It also ends
    after a ``status()`` that raised, or an answer that may not be a status
    (:data:`~jobv1._status.KNOWN`), so that the wait reads it (and raises for
    it) before the next query, as a wait that asks in its own thread does.

    Args:
        jobs: The jobs to query, by position.
        now: The wait's clock: read after each answer, if ``late_from`` is finite.
        late_from: When answers start to count as the deadline's.
        finished: Set when the sweep is over.
        halt: For a sweep made one job at a time (one worker): whether to
            ask no other job; ``None`` to ask them all, whatever fails.
        cap: At most how many workers make it, whatever the driver allows.
    """

    __slots__ = ("answers", "asked", "failures", "halt", "late", "late_from", "notable", "now")

    def __init__(
        self,
        jobs: list[Any],
        now: Callable[[], float],
        late_from: float,
        finished: _Settable = _UNHEARD,
        *,
        halt: Callable[[], bool] | None = None,
        cap: int | None = None,
    ) -> None:
        self.answers: list[Any] = [UNASKED] * len(jobs)
        super().__init__(jobs, [], self.answers, finished)
        self.cap = cap
        self.count = len(jobs)
        self.order = iter(range(len(jobs)))  # shared by the workers: next() is atomic
        self.failures: dict[int, Exception] = {}
        self.notable: list[int] = []
        self.late: list[int] = []
        self.now = now
        self.late_from = late_from
        #: How many jobs answered, or raised, counted as each worker ends.
        self.asked = 0
        self.halt = halt
        self.news = self.notable  # what an eager sweep hands over early: the notable answers

    def answered(self, k: int) -> bool:
        """Whether job ``k`` answered (not: raised, was never asked, or is being asked)."""
        answer = self.answers[k]
        return answer is not UNASKED and answer is not FAILED and answer is not SKIPPED

    def running(self, answers: list[Any], unbegun: list[int]) -> list[int]:
        """The positions of the queries given up as they ran: no answer in ``answers``, begun."""
        not_begun = set(unbegun)
        return [k for k, answer in enumerate(answers) if answer is UNASKED and k not in not_begun]

    def abandon(self) -> None:
        """The wait ends as the sweep runs: no other job is asked, and those asked are given up.

        Each query still running is noted (:mod:`jobv1._flight`): no other
        wait asks its job until it ends.
        """
        unbegun = self.stop()
        for k in self.running(list(self.answers), unbegun):
            flight.give_up(self.calls[k], self.answers, k, UNASKED)

    def to_read(self, answers: list[Any], asked: int, *, every: bool) -> Iterable[int]:
        """The positions of the answers a wait reads, in order: ``every`` one, or those worth it.

        Those worth a look are the :attr:`notable` ones, and, where fewer
        than all were ``asked`` (a count read before ``answers`` was copied),
        the queries given up or never asked.
        """
        if every:
            return range(len(answers))
        look = sorted(self.notable)
        if asked < len(answers):  # some were given up, or not asked
            given_up = (
                k for k, answer in enumerate(answers) if answer is UNASKED or answer is SKIPPED
            )
            look = sorted({*look, *given_up})
        return look

    def work(self) -> None:
        """One worker's share: the next job not asked, until none is left or the sweep stops."""
        if self.halt is None and self.late_from == math.inf and not self.eager:
            mine = self._plainly()
        else:
            mine = self._watchfully()
        with self.lock:
            self.asked += mine
        self.share_ended()
        self.end()

    def _plainly(self) -> int:
        """:meth:`work` with no halt and no deadline near: the fewest steps per job.

        It is :meth:`_watchfully`'s loop less the halt and the clock, written
        twice on purpose: a call per job to share it would cost what this saves.
        """
        jobs, answers, notable, quiet = self.calls, self.answers, self.notable, QUIET
        mine = 0
        pending: object = None  # the last answer that says its job is pending
        for k in self.order:  # a for loop: half the cost of next() calls, at 100,000 jobs
            if self.stopped:
                answers[k] = SKIPPED  # taken as the sweep stopped: see _watchfully
                break
            try:
                answer = jobs[k].status()  # type: ignore[attr-defined]
            except Exception as failure:  # handed to the wait, which raises it
                self.failures[k] = failure
                answer = FAILED
                notable.append(k)
            except BaseException as interrupted:  # Ctrl-C, SystemExit: raised in the wait
                self._raised(interrupted)
                return mine
            else:
                if answer is not pending:  # most answers are the one before: one test
                    if id(answer) in quiet:
                        pending = answer
                    else:
                        notable.append(k)
            answers[k] = answer
            mine += 1
        return mine

    def _raised(self, interrupted: BaseException) -> None:
        """A query raised a Ctrl-C or a SystemExit: the sweep stops, and the wait raises it."""
        self.raised = interrupted
        self.stopped = True
        self.finished.set()

    def _watchfully(self) -> int:
        """:meth:`work`, with a halt to ask, answers to time by the deadline, or news to tell."""
        jobs, answers, notable, late = self.calls, self.answers, self.notable, self.late
        now, late_from = self.now, self.late_from
        timed = late_from < math.inf
        quiet, halt, eager = QUIET, self.halt, self.eager
        mine = 0
        for k in self.order:  # a for loop: half the cost of next() calls, at 100,000 jobs
            if self.stopped or (halt is not None and mine and halt()):
                # Taken as the sweep stopped, maybe after stop() counted the rest: it
                # says so here, so that the wait never takes it for a query under way.
                answers[k] = SKIPPED
                break
            try:
                answer = jobs[k].status()  # type: ignore[attr-defined]
            except Exception as failure:  # handed to the wait, which raises it
                self.failures[k] = failure
                answer = FAILED
            except BaseException as interrupted:  # Ctrl-C, SystemExit: raised in the wait
                self._raised(interrupted)
                return mine
            answers[k] = answer
            if answer is FAILED or id(answer) not in quiet:  # not a status that says pending
                notable.append(k)  # after the answer: an eager wait may read it at once
                if eager:
                    self.finished.set()
            mine += 1
            if timed and now() >= late_from:
                late.append(k)
            if halt is not None and (answer is FAILED or id(answer) not in KNOWN):
                break  # one at a time: a failure, or what may be none, is read before the next
        return mine
