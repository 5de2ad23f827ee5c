"""Who a general wait is on: an entry per job, with what its class and backend declare.

The general loop (:class:`~jobv1._polling.Poller`) makes the entries of the
jobs it is given through a :class:`Roster`, and, in an open wait
(:mod:`jobv1._intake`), those of the jobs it takes in later, by the same
rules: each job once, its rate limit, hints, retry, ``async def status()``
and long-poll read once per class or backend.
"""

from __future__ import annotations

from ._queries import Entry
from ._traits import awaits_status, long_poll_of
from ._typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from ._limit import RateLimit
    from ._retry import Retry
    from ._traits import Pollable

__all__ = ["Roster"]

J = TypeVar("J")


class Roster(Generic[J]):
    """Makes a general wait's entries, each job once.

    Args:
        kinds: The classes of the jobs the wait is given.
        given: Those jobs, each once.
        adapt: Turns a job into what the loop queries, or ``None``.
        clock: Reads the wait's clock.
        deadline: The wait's deadline, or ``None``.
        limits: Says, for a job, which rate limit its backend declares.
        hints: Says whether a job's ``poll_hint()`` may give hints.
        retries: Says, for a job, which retry its backend declares (one the
            wait has of its own comes first: then this says none).
    """

    __slots__ = (
        "_adapt",
        "_awaited",
        "_clock",
        "_deadline",
        "_given",
        "_had",
        "_hints",
        "_limits",
        "_long_polls",
        "_retries",
        "limited",
        "long_polled",
        "total",
    )

    def __init__(
        self,
        kinds: set[type],
        given: list[J],
        *,
        adapt: Callable[[J], Pollable] | None,
        clock: Callable[[], float],
        deadline: float | None,
        limits: Callable[[Pollable], RateLimit | None],
        hints: Callable[[Pollable], bool],
        retries: Callable[[Pollable], Retry | None],
    ) -> None:
        self._given = given
        self._adapt = adapt
        self._clock = clock
        self._deadline = deadline
        self._limits, self._hints, self._retries = limits, hints, retries
        # Whether jobs of each class have an async def status(), and how long their
        # status() may be held for news (status_long_poll): read once a class.
        self._awaited = {kind: awaits_status(kind) for kind in kinds}
        self._long_polls = {kind: long_poll_of(kind) for kind in kinds}
        # The ids of the jobs the wait has had, once it takes one in later.
        self._had: set[int] | None = None
        #: Whether any job's queries draw from a rate limit its backend declares.
        self.limited = False
        #: Whether any job's status() may be held for news.
        self.long_polled = False
        #: How many jobs the wait has had.
        self.total = 0

    def entries(self, jobs: Iterable[J]) -> list[Entry[J]]:
        """The entries of ``jobs``, numbered on from those made before; each job once.

        The first call is for the jobs the wait is given, each once already.
        """
        first = self.total == 0 and self._had is None
        if not first:
            had, fresh = self.had(), []
            for job in jobs:
                if id(job) not in had:  # given twice: it counts once
                    had.add(id(job))
                    fresh.append(job)
            jobs = fresh
        adapt, clock, start = self._adapt, self._clock, self.total
        made = [
            Entry(index, job, job if adapt is None else adapt(job), clock)  # type: ignore[arg-type]
            for index, job in enumerate(jobs, start)
        ]
        self.total += len(made)
        if not first:
            for kind in {type(entry.job) for entry in made} - self._awaited.keys():
                self._awaited[kind] = awaits_status(kind)
                self._long_polls[kind] = long_poll_of(kind)
        self._equip(made)
        return made

    def _equip(self, entries: list[Entry[J]]) -> None:
        """Give each entry what its job's class and backend declare: one pass for them all."""
        limits, hints, retries = self._limits, self._hints, self._retries
        awaited = any(self._awaited.values())
        long_polled = self.long_polled = any(
            seconds is not None for seconds in self._long_polls.values()
        )
        limited = False
        for entry in entries:
            entry.limit = limit = limits(entry.job)
            limited = limited or limit is not None
            entry.hinted = hints(entry.job)
            entry.retry = retries(entry.job)
            entry.awaited = awaited and self._awaited.get(type(entry.job), False)
            if long_polled:
                entry.long_poll = self._long_polls.get(type(entry.job))
                entry.deadline = self._deadline
        self.limited = self.limited or limited

    def had(self) -> set[int]:
        """The ids of every job the wait has had: those given, and those taken in."""
        if self._had is None:
            self._had = {id(job) for job in self._given}
        return self._had

    def resume(self, had: set[int]) -> None:
        """The wait took its jobs over from another, which had (or was given) the jobs ``had``."""
        self._had = had
