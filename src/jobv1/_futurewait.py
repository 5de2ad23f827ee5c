"""The loop of an asyncio wait on many FutureJobs: no record and no callback per job.

:func:`jobv1.aio.wait` and :func:`jobv1.aio.as_completed` come here when
every job is a :class:`~jobv1.FutureJob` of a class that keeps its
``status()`` and ``watch()``, over a :class:`concurrent.futures.Future`
itself (not a subclass), with no ``resync_interval``, on a backend with
neither ``job_statuses`` nor ``status_rate_limit``; when the wait has no
``retry``. (It tells the ``jobv1`` logger and a tracer what it does, as the
general loop does: listening never changes the loop.) The call
looks at the jobs' classes alone; the loop looks at each job while it
watches them, a slice at a time, and hands the whole wait to the general
loop, before any query, if one does not fit.

The general loop (:class:`~jobv1._polling.Poller`) keeps several objects for
each job it watches: its record, the wake-up the job is given, the undo it
gives back. At 100,000 jobs that is more objects than the futures
themselves hold, and the garbage collector, which counts new objects, then
makes a full collection of the whole heap while the wait runs: a pause of
the event loop of a fifth of a second. This loop keeps none:

- Each future is given one done-callback, the same function for every
  future (:func:`jobv1._futures.hook`), and only once per job, however many
  waits watch it.
- That function tells the waits listening (a few, at most) which future
  ended; each looks the future up in a dict of its own, from the future's
  ``id()`` to the job's place in the wait. (The jobs keep the futures
  alive, so no id is another's while the wait lasts.)
- The statuses are a list of references, the pending jobs a
  :class:`bytearray`, the jobs that called back a list of their indices.

Nor does it keep a large container of objects that is new: the collector
traverses each new container at its next collections, and at 100,000
entries, each on an object of its own somewhere in memory, that takes
milliseconds. A dict of ints is not even tracked.

It makes the same queries at the same times as the general loop, calls
``on_status`` the same way, and raises the same errors with the same
messages (``tests/test_futurewait.py`` runs both on the same futures and
compares). It hands the event loop back every
:data:`~jobv1._polling.SLICE` jobs, while it watches the jobs and while it
reads a round's answers.
"""

from __future__ import annotations

import math
from itertools import compress, filterfalse

from ._blocking import Driven
from ._clock import reader
from ._deadline import Deadline, step_to, within
from ._futures import forget, future_status, hook, listen
from ._observe import observed, observer
from ._polling import general
from ._requests import SLICE, Breathe, Sleep, shielded
from ._status import JOB_FINAL_STATES, JobStatus
from ._traits import asks_alone
from ._typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    import concurrent.futures
    from collections.abc import Callable, Generator, Sequence
    from typing import Any

    from ._arguments import Checked
    from ._errors import JobTimeoutError
    from ._observe import Observer
    from ._polling import Poller
    from ._requests import Step, Waker

__all__ = ["FutureWait"]

J = TypeVar("J")

_DONE, _CANCELLED, _ERROR = JOB_FINAL_STATES


class FutureWait(Driven[J]):
    """One wait over FutureJobs, with one deadline: :class:`~jobv1._polling.Poller`'s twin.

    :meth:`steps` is the loop as requests to a driver, as the general loop's
    is; it asks for sleeps and breaths, never for queries, which it makes
    itself: a future's state is read at once.

    Args:
        wait: The wait, checked, over jobs whose classes
            :func:`~jobv1._choose.layout` found fit.
    """

    def __init__(self, wait: Checked[J]) -> None:
        self._wait = wait
        # The jobs as given: a job given twice is left out of the wait at its
        # second place, as the wait's futures are indexed.
        self._jobs = wait.given
        options = wait.options
        self._clock = wait.clock
        self.timeout = options.timeout
        self._limit = Deadline(wait.clock, options.timeout, wait.started, wait.errors)
        self._deadline = self._limit.at
        on_status = options.on_status
        self._on_status = None if on_status is None else shielded("on_status", on_status)
        #: Stops the wait when set.
        self.interrupt = options.interrupt
        #: How many queries a driver may run at once (of the general loop, if handed over to).
        self.max_in_flight = options.max_in_flight
        # How many queries the general loop makes before it reads their answers.
        self._part = 1 if options.max_in_flight == 1 else SLICE
        count = len(wait.given)
        # The place of the job of each future, by the future's id (of several
        # jobs: the first one's; the others' are in _more). Made a slice at a
        # time when the wait begins.
        self._index: dict[int, int] = {}
        self._more: dict[int, list[int]] = {}
        #: Whether each job is pending, by index.
        self._open = bytearray(b"\x01") * count
        self._left = count
        #: How many jobs the wait is on, each once, once they are indexed.
        self._total = count
        # The last status each job was seen in, where on_status wants to know.
        self._seen: list[JobStatus | None] = [] if on_status is None else [None] * count
        # The indices of the jobs asked at the deadline, or answered at or after it.
        self._fresh: set[int] = set()
        # The indices of the jobs whose future ended since they were last asked,
        # appended to from any thread (list.append is atomic).
        self._woken: list[int] = []
        #: What wakes the driver's sleeps early, once :meth:`steps` has begun.
        self.waker: Waker | None = None
        # The general loop, if a job did not fit and the wait was handed over to it.
        self._handed: Poller[J] | None = None
        # Who listens to the wait (the jobv1 logger, a span), once it starts; if anyone.
        self._observer: Observer | None = None

    def failure_of(self, job: J) -> Exception | None:
        """The failure that ended ``job``, with the option ``own_failures``; else ``None``.

        A local future's status is always read: only the general loop, when the
        wait is handed to it, may end a job for a failure of its own.
        """
        return None if self._handed is None else self._handed.failure_of(job)

    def not_done(self) -> list[J]:
        """The jobs not seen in a final state yet, each once, in their order."""
        if self._handed is not None:
            return self._handed.not_done()
        jobs = self._jobs
        return [jobs[place] for place in self._pending()]

    def had(self) -> set[int]:
        """The ids of every job of the wait."""
        return set(map(id, self._jobs))

    def seen(self) -> dict[int, JobStatus]:
        """The status each pending job was last told to ``on_status`` in, by its id."""
        if self._handed is not None:
            return self._handed.seen()
        jobs, seen = self._jobs, self._seen
        if not seen:
            return {}
        return {
            id(jobs[place]): status
            for place in self._pending()
            if (status := seen[place]) is not None
        }

    def steps(
        self, make_waker: Callable[[], Waker], *, blocking: bool = False
    ) -> Generator[Step[J], object, None]:
        """The loop, as requests to a driver: :meth:`~jobv1._polling.Poller.steps`'s twin.

        If a job does not fit (its future is not a
        :class:`concurrent.futures.Future` itself, it has a
        ``resync_interval``, or its backend has ``job_statuses`` or
        ``status_rate_limit``), the general loop takes the whole wait over,
        from its start, before any job was queried. It then asks for queries
        (:class:`~jobv1._requests.Ask`), all of them to be made in the
        driver's own thread, since FutureJobs are, and finds a backend's bad
        ``status_rate_limit`` here, not when the wait was called.

        Args:
            make_waker: Makes what the driver's sleeps wake on.
            blocking: Whether the driver's thread may block on a query; told
                to the general loop, if it takes over.
        """
        self.waker = waker = make_waker()
        listener = self._ended  # one bound method, to listen and to forget
        listen(listener)
        try:
            fits = yield from self._watch()
            if fits:
                # The jobv1 logger and a tracer are told what it does, as by the general loop.
                watcher = self._observer = observer(self._total, self.timeout)
                yield from observed(
                    self._listening(waker), watcher, self._limit.errors, self._pending
                )
        finally:
            forget(listener)
        if not fits:
            self._handed = general(self._wait)
            yield from self._handed.steps(lambda: waker, blocking=blocking)

    def _listening(self, waker: Waker) -> Generator[Step[J], object, None]:
        interrupt = self.interrupt
        if interrupt is None:
            yield from self._loop(waker)
            return
        interrupt._listen(waker)  # its set() wakes the driver's sleep
        try:
            yield from self._loop(waker)
        finally:
            interrupt._forget(waker)

    def _watch(self) -> Generator[Breathe, object, bool]:
        """Look at each job, index its future and hook it, a slice at a time.

        Returns:
            Whether every job fits.
        """
        import concurrent.futures

        plain = concurrent.futures.Future
        jobs: list[Any] = self._jobs
        index = self._index
        alone: set[int] = set()  # the ids of the backends that fit, alive with their jobs
        for first in range(0, len(jobs), SLICE):
            if first:
                yield Breathe()
            part = jobs[first : first + SLICE]
            for place, job in enumerate(part, first):
                future = job._future
                if type(future) is not plain or job.resync_interval is not None:
                    return False
                backend = job._backend
                if id(backend) not in alone:
                    if not asks_alone(backend):
                        return False
                    alone.add(id(backend))
                key = id(future)
                known = index.setdefault(key, place)
                if known != place:  # a job given twice, or two jobs on one future
                    self._again(key, known, place)
            hook(part)
        return self._total > 1  # one job: the general loop's messages name it

    def _again(self, key: int, known: int, place: int) -> None:
        """Job ``place`` is on a future indexed already (its id ``key``), at ``known``: note it."""
        jobs = self._jobs
        others = self._more.setdefault(key, [])
        job = jobs[place]
        if jobs[known] is job or any(jobs[other] is job for other in others):
            self._open[place] = 0  # given twice: it counts once, at its first place
            self._left -= 1
            self._total -= 1
        else:
            others.append(place)

    def _ended(self, future: concurrent.futures.Future[Any]) -> None:
        """A hooked future ended: if it is one of this wait's, wake the wait (any thread)."""
        key = id(future)
        place = self._index.get(key)
        if place is None:
            return
        self._woken.append(place)
        more = self._more.get(key)
        if more is not None:
            self._woken.extend(more)
        assert self.waker is not None  # made before any future is hooked
        self.waker.set()

    def _called_back(self) -> list[int]:
        """The pending jobs that called back since the last round, each once, in job order."""
        woken = self._woken
        taken = woken[:]
        del woken[: len(taken)]  # what another thread appended meanwhile stays
        is_open = self._open
        return sorted({place for place in taken if is_open[place]})

    def _loop(self, waker: Waker) -> Generator[Step[J], object, None]:
        clock = self._clock
        deadline = self._deadline
        fresh = self._fresh
        at_deadline = False
        first = True
        while True:  # the round that finds the last pending job final returns
            waker.clear()
            if self.interrupted():
                raise self._limit.interrupted(self._what())
            due: Sequence[int]
            if at_deadline:
                due = list(filterfalse(fresh.__contains__, self._pending()))
            elif first:  # every job, those that called back already among them
                self._called_back()
                due = self._pending()
                first = False
            else:
                due = self._called_back()
            finished, stopped = yield from self._round(due, at_deadline)
            if finished:
                yield finished
            if not self._left:
                return
            if self.interrupted() or (stopped and not self._limit.passed()):
                raise self._limit.interrupted(self._what())
            if deadline is not None and (at_deadline or clock.monotonic() >= deadline):
                if fresh.issuperset(self._pending()):
                    raise self._timeout_error()
                at_deadline = True  # a slow hook crossed the deadline: see to the others
                continue
            wake, seconds = self._nap()
            woken = yield Sleep(seconds)
            at_deadline = self._limit.reached(bool(woken), wake)

    def _nap(self) -> tuple[float, float]:
        """Until when, and for how many seconds, to sleep: to the deadline, or until woken."""
        deadline = self._deadline
        if deadline is None:  # only call backs are awaited
            wake = seconds = math.inf
        else:
            wake, seconds = deadline, step_to(self._clock.monotonic(), deadline)
        if self._observer is not None:
            self._observer.sleeping(seconds, "push" if deadline is None else "deadline")
        return wake, seconds

    def _pending(self) -> Sequence[int]:
        """The places of the pending jobs, in order."""
        if self._left == len(self._jobs):  # all of them, as in the first round
            return range(self._left)
        return list(compress(range(len(self._jobs)), self._open))

    def _round(
        self, due: Sequence[int], at_deadline: bool
    ) -> Generator[Breathe, object, tuple[list[tuple[J, JobStatus]], bool]]:
        """Read the futures of ``due`` as the general loop does; sort them.

        One at a time (``max_in_flight=1``), the round stops between two, as
        the general loop's does, when the interrupt is set or the deadline (or
        its own round's end) came. Else the general loop reads the whole
        round, then tells its hooks: with a hook this loop does the same; with
        none, it reads and sorts a slice at a time, which nothing can tell
        apart, and keeps no list of a whole round's answers.

        Returns:
            The jobs found final, with their statuses, and whether the round
            stopped before its end.
        """
        finished: list[tuple[J, JobStatus]] = []
        one = self._part == 1
        if one or self._on_status is None:
            now = reader(self._clock)
            end = self._limit.round_end(at_deadline) if one else math.inf
            size = 1 if one else SLICE
            for first in range(0, len(due), size):
                if first and one and (self.interrupted() or now() >= end):
                    if at_deadline:  # the deadline's round ran out of time: the rest are not asked
                        self._fresh.update(due[first:])
                    return finished, True
                if first and not first % SLICE:
                    yield Breathe()
                part = due[first : first + size]
                for place, status in zip(part, self._read(part, at_deadline), strict=True):
                    self._found(place, status, finished)
            return finished, False
        answers: list[JobStatus] = []
        for first in range(0, len(due), SLICE):
            if first:
                yield Breathe()
            answers += self._read(due[first : first + SLICE], at_deadline)
        for count, (place, status) in enumerate(zip(due, answers, strict=True)):
            if count and not count % SLICE:
                yield Breathe()
            self._found(place, status, finished)
        return finished, False

    def _read(self, part: Sequence[int], at_deadline: bool) -> list[JobStatus]:
        """The statuses of the futures of ``part``; those read at or after the deadline: fresh."""
        jobs: list[Any] = self._jobs
        fresh = self._fresh
        late_from = self._limit.late_from(at_deadline)
        if late_from == math.inf:
            answers = [future_status(jobs[place]._future) for place in part]
        else:
            now = reader(self._clock)
            answers = []
            for place in part:
                answers.append(future_status(jobs[place]._future))
                if now() >= late_from:  # answered at or after the deadline: its query there
                    fresh.add(place)
        if at_deadline:
            fresh.update(part)
        return answers

    def _found(self, place: int, status: JobStatus, finished: list[tuple[J, JobStatus]]) -> None:
        """Job ``place`` is in ``status``: tell ``on_status``, and note it if it is final."""
        job: Any = self._jobs[place]
        if self._observer is not None:
            self._observer.queried(job.job_id(), status, 1)
        if self._on_status is not None and status is not self._seen[place]:
            self._seen[place] = status
            self._on_status(job, status)
        if status is _DONE or status is _CANCELLED or status is _ERROR:
            self._open[place] = 0
            self._left -= 1
            finished.append((job, status))

    def _what(self) -> str:
        return f"{self._left} of {self._total} jobs"

    def _timeout_error(self) -> JobTimeoutError:
        assert self.timeout is not None  # only a wait with a deadline times out
        return self._limit.timed_out(f"{self._what()} {within(self.timeout)}")
