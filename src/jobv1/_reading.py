"""Reading what a general wait's queries answered, in the jobs' order.

:class:`Reader` has the driver make a part of a round's queries and sorts
each answer: a job found final is out of the pending ones (and yielded by
the loop), one still pending is to be planned again, one whose query failed
is ridden out (:class:`~jobv1.Retry`) or raises. It keeps the queries given
up while they ran, whose answers are read at the deadline, and which jobs
count as asked at the deadline.
"""

from __future__ import annotations

import math

from . import _flight as flight
from ._observe import failed, ridden_out
from ._queries import Entry, ask_of, asked
from ._requests import EARLY, SLICE, UNBEGUN, Breathe, StopIterationError, outcome_of
from ._retry import Tries
from ._status import JobStatus, check_status, is_final
from ._typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable, Generator
    from typing import Any

    from ._deadline import Deadline
    from ._observe import Observer
    from ._protocols import Clock
    from ._queries import Request
    from ._requests import Ask, Outcome, Step
    from ._retry import Retry

__all__ = ["Reader", "Sorted"]

#: The jobs as the caller gave them.
J = TypeVar("J")


class Sorted(Generic[J]):
    """The answers of a round so far, sorted."""

    __slots__ = ("carried", "failed", "finished", "waiting")

    def __init__(self) -> None:
        #: The jobs found final, with their status.
        self.finished: list[tuple[J, JobStatus]] = []
        #: The entries found not final (their ``status`` is the one found).
        self.waiting: list[Entry[J]] = []
        #: The entries whose query failed and was ridden out.
        self.failed: list[Entry[J]] = []
        #: The entries whose query is carried over to a later round, still running.
        self.carried: list[Entry[J]] = []


class Reader(Generic[J]):
    """What a general wait's queries answered, read in the jobs' order.

    Args:
        pending: The entries of the jobs not final yet, by index: a job
            found final is taken out.
        fresh: The indices of the jobs asked at the deadline, or answered
            at or after it; added to as queries are.
        clock: The wait's clock.
        limit: The wait's deadline.
        on_status: Called as ``on_status(job, status)`` once for each
            distinct status a job is seen in, or ``None``.
        retry: Which failures of a query to ride out, or ``None`` for each
            job's backend's own (its entry's ``retry``), if it declares one.
        own_failures: Whether a job's own failure (its query raised, and no
            retry rides it out; it answered what is not a status; its batch
            answered an exception for it) ends that job alone, with
            ``ERROR`` (told to ``on_status`` and logged as a warning), the
            failure kept in :attr:`failures`, instead of ending the wait.
        until: The statuses that end a job's wait besides the final ones.
    """

    __slots__ = (
        "_clock",
        "_limit",
        "_on_status",
        "_retry",
        "blocking",
        "early",
        "failures",
        "fresh",
        "given_up",
        "held_here",
        "long_polled",
        "observer",
        "own_failures",
        "pending",
        "until",
    )

    def __init__(
        self,
        pending: dict[int, Entry[J]],
        fresh: set[int],
        *,
        clock: Clock,
        limit: Deadline,
        on_status: Callable[[Any, JobStatus], object] | None,
        retry: Retry | None,
        own_failures: bool = False,
        until: frozenset[JobStatus] = frozenset(),
    ) -> None:
        self.pending = pending
        self.fresh = fresh
        self._clock = clock
        self._limit = limit
        self._on_status = on_status
        self._retry = retry
        #: The queries given up while they ran, whose answers may still come: each
        #: request, the list its outcome comes into, and its place there.
        self.given_up: list[tuple[Request[J], list[Outcome], int]] = []
        #: Who listens to the wait, once it starts; if anyone.
        self.observer: Observer | None = None
        #: Whether the driver lets the loop make a query in its own thread.
        self.blocking = False
        #: Whether the answers worth it are read as they come (``Driven.reads_early``).
        self.early = False
        self.own_failures = own_failures
        #: The statuses that end a job's wait besides the final ones (``until=``).
        self.until = until
        #: Whether any job of the wait is asked with long-polls (``status_long_poll``),
        #: and whether one may be held in the driver's thread (no interrupt to heed).
        self.long_polled = False
        self.held_here = True
        #: The failure that ended each job, by the job's ``id()``, with ``own_failures``.
        self.failures: dict[int, Exception] = {}

    def _holds(self, part: list[Request[J]]) -> bool:
        """Whether a query of ``part`` is a long-poll."""
        return self.long_polled and any(
            entry.long_poll is not None for request in part for entry in asked(request)
        )

    def take(
        self, part: list[Request[J]], at_deadline: bool, into: Sorted[J]
    ) -> Generator[Step[J], object, bool]:
        """Have the driver make the queries of ``part``; sort their answers ``into`` the round's.

        The answers are read in the jobs' order, as if the queries had been made
        one after another: hooks are called, and errors raised, in that order.

        Returns:
            Whether the driver gave up a query, or began one not.
        """
        ask = ask_of(part, not at_deadline, self._clock)
        ask.eager = self.early
        holds = self._holds(part)
        # A long-poll is slow by design: its round waits for it, and never carries it over.
        ask.until = None if holds else self._limit.carry_from(at_deadline)
        if self.blocking and len(part) == 1 and (self.held_here or not holds):  # made here
            outcomes: object = [outcome_of(ask.queries[0])]
        else:
            outcomes = yield ask
        read: set[int] = set()  # the answers read as they came, by an eager wait
        try:
            while outcomes is EARLY:
                yield from self._news(part, ask, at_deadline, into, read)
                outcomes = yield ask
        except BaseException:  # a hook raised, or the caller closed the wait on the news
            self._abandon(part, ask)
            raise
        assert isinstance(outcomes, list)  # the driver sends back one outcome per query
        fresh = self.fresh
        if at_deadline:  # asked at the deadline: they need no other query there
            fresh.update(entry.index for request in part for entry in asked(request))
        # Else the answers that came at or after the deadline count as its queries.
        deadline = self._limit.late_from(at_deadline)
        cut = False
        count = 0
        for place, (request, outcome) in enumerate(zip(part, outcomes, strict=True)):
            if place in read:
                continue
            if outcome is UNBEGUN:  # asked at the deadline's round, if not in it
                cut = True
                continue
            if outcome is None:  # given up while it ran, or carried: not asked again meanwhile
                carried = ask.run is not None and ask.run.carried
                self.given_up.append((request, outcomes, place))
                for entry in asked(request):
                    if carried:
                        into.carried.append(entry)
                    else:
                        fresh.add(entry.index)
                    flight.give_up(entry.handle, outcomes, place, None)
                cut = cut or not carried
                continue
            count = yield from self._outcome(request, outcome, deadline, into, count)
        return cut

    def _outcome(
        self, request: Request[J], outcome: Any, deadline: float, into: Sorted[J], count: int
    ) -> Generator[Step[J], object, int]:
        """Sort what the query ``request`` ended with ``into`` the round's; ``count`` as _read's."""
        ok, value = outcome
        if not ok:
            entries = asked(request)
            if self._clock.monotonic() >= deadline:
                self.fresh.update(entry.index for entry in entries)
            self._failed(entries, value, into)
            return count
        return (yield from self._read(request, value, deadline, into, count))

    def _news(
        self, part: list[Request[J]], ask: Ask, at_deadline: bool, into: Sorted[J], read: set[int]
    ) -> Generator[Step[J], object, None]:
        """Read the answers worth it that came while the others run on; yield the jobs they end.

        An eager wait's, as :meth:`jobv1._plain.Plain._news` reads them: a
        slow query holds back none of the others' news. The rest of the
        round's answers are read in the jobs' order when it ends.
        """
        run = ask.run
        assert run is not None  # the driver began it, and handed it back
        deadline = self._limit.late_from(at_deadline)
        before = len(into.finished)
        count = 0
        for place in run.news[len(read) : run.told]:
            read.add(place)
            outcome = run.outcomes[place]
            count = yield from self._outcome(part[place], outcome, deadline, into, count)
        if len(into.finished) > before:
            ended = into.finished[before:]
            del into.finished[before:]
            yield ended

    def _abandon(self, part: list[Request[J]], ask: Ask) -> None:
        """The wait ends while ``ask`` runs: none of it begins, and what runs is given up."""
        run = ask.run
        assert run is not None  # the driver began it, and handed it back early
        unbegun = set(run.stop())
        outcomes = run.outcomes
        for place in ask.remote:
            if place not in unbegun and outcomes[place] is None:
                for entry in asked(part[place]):
                    flight.give_up(entry.handle, outcomes, place, None)

    def _read(
        self, request: Request[J], value: Any, deadline: float, into: Sorted[J], count: int
    ) -> Generator[Step[J], object, int]:
        """Sort the answers ``value`` of a query ``request`` made ``into`` the round's.

        Returns:
            ``count`` and the number of jobs it answered for: the loop breathes
            every :data:`SLICE` of them.
        """
        fresh = self.fresh
        if isinstance(request, Entry):  # one job's query
            answer, request.hint, when = value
            request.answered = when
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
            entry.answered = when
            entry.batch = batch
            count += 1
            if not count % SLICE:
                yield Breathe()
            if isinstance(answer, Exception):  # the batch says this job's status failed
                self._failed([entry], answer, into)
                continue
            self._found(entry, answer, into)
        return count

    def late(self, into: Sorted[J]) -> Generator[Step[J], object, None]:
        """Sort the answers of the queries given up (or carried) that came since ``into`` a round's.

        Those still running are kept for a later look; a query that raised is
        read as in its own round (ridden out, or the jobs' failure).
        """
        given_up, self.given_up = self.given_up, []
        count = 0
        for request, outcomes, place in given_up:
            outcome = outcomes[place]
            if outcome is None:  # still running
                self.given_up.append((request, outcomes, place))
                continue
            count = yield from self._outcome(request, outcome, math.inf, into, count)

    def carried(self) -> set[int]:
        """The indices of the jobs whose queries were given up or carried, and not read yet."""
        return {entry.index for request, _, _ in self.given_up for entry in asked(request)}

    def at_end(self) -> Generator[Step[J], object, None]:
        """As the wait ends: read the answers of the queries given up that came; yield what ends."""
        into = Sorted[J]()
        yield from self.late(into)
        if into.finished:
            yield into.finished

    def _found(self, entry: Entry[J], answer: object, into: Sorted[J]) -> None:
        """Sort the job of ``entry``, which answered ``answer``, ``into`` finished or waiting."""
        attempt = 1
        if entry.tries is not None:
            attempt += len(entry.tries.failures)
            entry.tries = None
        if type(answer) is JobStatus:
            status = answer
        else:
            try:
                status = check_status(entry.job, answer)
            except (TypeError, ValueError) as bad:  # not a status
                self._raise_or_own([entry], bad, into)
                return
        if self.observer is not None:
            self.observer.queried(entry.job.job_id(), status, attempt)
        if status is not entry.status:
            entry.status = status
            if self._on_status is not None:
                self._on_status(entry.handle, status)
        if is_final(status) or (self.until and status in self.until):  # no hash when empty
            del self.pending[entry.index]
            into.finished.append((entry.handle, status))
        else:
            into.waiting.append(entry)

    def _failed(self, entries: list[Entry[J]], failure: Exception, into: Sorted[J]) -> None:
        """The query of ``entries`` failed: raise it, unless the retry rides it out."""
        retry = self._retry or entries[0].retry  # the caller's, else the backend's
        if retry is None or not retry.rides_out(failure):
            self._raise_or_own(entries, failure, into)
            return
        ridden: list[Entry[J]] = []
        most = 0
        for entry in entries:
            if entry.tries is None:
                entry.tries = Tries(retry)
            try:
                most = max(most, entry.tries.failed(failure))
            except Exception as exhausted:  # one failure more than the retry rides out
                self._raise_or_own([entry], exhausted, into)
                continue
            ridden.append(entry)
        if ridden:  # one warning for the request, however many jobs it asked
            name = ridden[0].job.job_id()
            others = len(ridden) - 1
            if others:
                name = f"{name} and {others} other{'s' if others > 1 else ''}"
            what = "status query" if len(entries) == 1 else "batch status query"
            ridden_out(self.observer, name, failure, most, retry.max_failures, what=what)
            into.failed.extend(ridden)

    def _raise_or_own(self, entries: list[Entry[J]], failure: Exception, into: Sorted[J]) -> None:
        """Raise ``failure``; or, with :attr:`own_failures`, end the jobs of ``entries`` with it."""
        if not self.own_failures:
            if isinstance(failure, StopIteration):
                raise StopIterationError("status()", failure)
            raise failure
        for entry in entries:
            self.failures[id(entry.handle)] = failure
            del self.pending[entry.index]
            failed(self.observer, entry.job.job_id(), failure)
            if self._on_status is not None and entry.status is not JobStatus.ERROR:
                entry.status = JobStatus.ERROR
                self._on_status(entry.handle, JobStatus.ERROR)
            into.finished.append((entry.handle, JobStatus.ERROR))
