"""An open wait: the general loop taking jobs in while it runs.

:class:`Open` is the part of :class:`~jobv1._polling.Poller` that an
``as_completed`` wait uses to take in the jobs added to it and those its
submission window draws (:mod:`jobv1._intake`), and to take a wait over
from another layout (:mod:`jobv1._moving`). Each job taken in gets its
entry by the rules of the jobs given (:class:`~jobv1._roster.Roster`), is
due at once, and is watched if it can call back.
"""

from __future__ import annotations

from ._requests import Sleep
from ._typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable, Generator

    from ._arguments import Checked
    from ._deadline import Deadline
    from ._errors import JobTimeoutError
    from ._events import Events
    from ._intake import Intake
    from ._protocols import Clock
    from ._queries import Entry
    from ._reading import Reader
    from ._requests import Step, Waker
    from ._roster import Roster
    from ._schedule import Schedule
    from ._status import JobStatus

__all__ = ["Open"]

J = TypeVar("J")


class Open(Generic[J]):
    """What the general loop does to take jobs in while it runs; see the module's docstring."""

    #: The entries of the jobs not final yet, by index.
    pending: dict[int, Entry[J]]
    #: What the wait has yet to take in; ``None`` for a wait on the jobs given alone.
    intake: Intake | None
    #: How many queries a driver may run at once.
    max_in_flight: int
    #: The seconds from the start to the deadline, or ``None``.
    timeout: float | None
    _clock: Clock
    _deadline: float | None
    _limit: Deadline
    _wait: Checked[J]
    _roster: Roster[J]
    _calendar: Schedule[Entry[J]]
    _events: Events[J]
    _reader: Reader[J]
    _limited: bool
    _ended: int
    _total: int
    _make_waker: Callable[[], Waker] | None
    _undo: list[Callable[[], object]]

    def seen(self) -> dict[int, JobStatus]:
        """The status each pending job was last seen in, by its id."""
        return {
            id(entry.handle): entry.status
            for entry in self.pending.values()
            if entry.status is not None
        }

    def resume(self, seen: dict[int, JobStatus], had: set[int]) -> None:
        """Take the jobs over from another wait.

        Args:
            seen: The status each job was last seen in there, by its id.
            had: The ids of every job of that wait and this one: a job
                taken in later that is one of them counts once.
        """
        for entry in self.pending.values():
            entry.status = seen.get(id(entry.handle))
        self._roster.resume(had)

    def had(self) -> set[int]:
        """The ids of every job the wait has had: those given, and those taken in."""
        return self._roster.had()

    def _goes_on(self, at_deadline: bool) -> Generator[Step[J], object, bool]:
        """Whether any job is pending, once an open wait took in what it has for it.

        That is, the jobs added, and those the window has room for (none
        once the deadline has come). The round clears the waker first: a job
        added after that wakes the sleep that follows.

        Raises:
            JobTimeoutError: The deadline came with no job pending and jobs
                of the window not drawn.
        """
        if self._events.waker is not None:
            self._events.waker.clear()
        intake = self.intake
        if intake is not None and intake.more():
            deadline = self._deadline
            passed = at_deadline or (deadline is not None and self._clock.monotonic() >= deadline)
            taken = yield from intake.take(len(self.pending), self._ended, draw=not passed)
            if taken:
                yield from self._admit(taken)  # type: ignore[arg-type]  # checked as jobs
            if not self.pending and passed and intake.more():
                raise self._unsubmitted()
        return bool(self.pending)

    def _sleep(self, seconds: float) -> Generator[Step[J], object, object]:
        """Sleep ``seconds``, or not at all if there are jobs to take in; whether it was woken.

        Jobs added while the caller had the jobs that ended, and the jobs of
        the window that their ends made room for, are taken in at once.
        """
        intake = self.intake
        if intake is not None and intake.ready(len(self.pending), self._ended):
            return True
        return (yield Sleep(seconds))

    def _admit(self, jobs: list[J]) -> Generator[Step[J], object, None]:
        """Wait on ``jobs`` too, from now on, each once: due at once, watched if they can be."""
        roster = self._roster
        entries = roster.entries(jobs)
        self._total = roster.total
        now = self._clock.monotonic()
        for entry in entries:
            self.pending[entry.index] = entry
            self._calendar.make_due(entry, now)
        self._limited = self._limited or roster.limited
        self._reader.long_polled = roster.long_polled
        self.max_in_flight = min(self.max_in_flight, self._wait.over(jobs).bound())
        assert self._make_waker is not None  # taken in only while the loop runs
        yield from self._events.watch(entries, self._make_waker, self._undo)

    def _unsubmitted(self) -> JobTimeoutError:
        """The error of an open wait whose deadline came before it drew every job given."""
        assert self.timeout is not None  # a window is left undrawn only at a deadline
        return self._limit.timed_out(
            f"{self._total} jobs ended, and the jobs given after them were not submitted: "
            f"the timeout of {self.timeout:g} s came first"
        )
