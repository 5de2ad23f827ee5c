"""The event-driven jobs of a general wait: watched once each, woken into its schedule.

A job whose ``watch(wakeup)`` arranges a call of ``wakeup()`` when it ends is
not polled after a non-final query: :class:`Events` has each such job watched
as the wait begins, notes the job in the wait's
:class:`~jobv1._schedule.Schedule` when it calls back (from any thread), and
wakes the driver's sleep. It also makes the waker an interrupt sets.
"""

from __future__ import annotations

from ._notifier import notifier_of
from ._requests import SLICE, Breathe, shielded
from ._typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterable

    from ._interrupt import Interrupt
    from ._notifier import Notifier
    from ._queries import Entry
    from ._requests import Waker
    from ._schedule import Schedule
    from ._traits import Pollable

__all__ = ["Events"]

#: The jobs as the caller gave them.
J = TypeVar("J")


class _Wakeup(Generic[J]):
    """What an event-driven job calls when it ends: one object per job, not a closure's four."""

    __slots__ = ("entry", "events")

    def __init__(self, events: Events[J], entry: Entry[J]) -> None:
        self.events = events
        self.entry = entry

    def __call__(self) -> None:
        self.events.wake(self.entry)


class _Channels:
    """The push channel of each job's backend (``notifier``), looked up once a backend."""

    __slots__ = ("_by_backend",)

    def __init__(self) -> None:
        self._by_backend: dict[int, Notifier | None] = {}

    def of(self, job: Pollable) -> Notifier | None:
        backend = getattr(job, "_backend", None)
        if backend is None:
            return None
        key = id(backend)
        try:
            return self._by_backend[key]
        except KeyError:
            found = self._by_backend[key] = notifier_of(backend)
            return found


class Events(Generic[J]):
    """The call backs of a general wait's event-driven jobs, and the waker of its driver.

    Args:
        calendar: The wait's schedule: a job that calls back is noted there.
        watches_of: Says whether a job's ``watch()`` may arrange a call back.
        resync_of: Says, for an event-driven job, every how many seconds it
            is queried all the same, or ``None`` for never.
    """

    __slots__ = ("_calendar", "_resync_of", "_watches_of", "waker")

    def __init__(
        self,
        calendar: Schedule[Entry[J]],
        watches_of: Callable[[Pollable], bool],
        resync_of: Callable[[Pollable], float | None],
    ) -> None:
        self._calendar = calendar
        self._watches_of = watches_of
        self._resync_of = resync_of
        #: What wakes the driver's sleeps early, once the wait needs one.
        self.waker: Waker | None = None

    def watch(
        self,
        entries: Iterable[Entry[J]],
        make_waker: Callable[[], Waker],
        undo: list[Callable[[], object]],
    ) -> Generator[Breathe, object, None]:
        """Have every job that can call back when it ends do so; keep the undos in ``undo``."""
        watches = self._watches_of
        channels = _Channels()
        for count, entry in enumerate(entries, 1):
            if not count % SLICE:
                yield Breathe()
            notifier = channels.of(entry.job)
            if notifier is not None:  # its backend's push channel calls back
                self._notified(entry, notifier, make_waker, undo)
                continue
            if not watches(entry.job):  # its watch() is the base's, which arranges nothing
                continue
            stop = shielded("watch()", entry.job.watch)(_Wakeup(self, entry))
            if stop is not None and not callable(stop):
                raise TypeError(
                    f"watch() of job {entry.job.job_id()!r} returned {stop!r}; it must "
                    "return None or a function that undoes what it arranged"
                )
            if stop is not None:
                undo.append(shielded("the undo watch() returned", stop))
                entry.event_driven = True
                entry.resync = self._resync_of(entry.job)
                self.ensure_waker(make_waker)

    def _notified(
        self,
        entry: Entry[J],
        notifier: Notifier,
        make_waker: Callable[[], Waker],
        undo: list[Callable[[], object]],
    ) -> None:
        """Have ``notifier`` wake ``entry``'s job, resynced at the notifier's pace."""
        undo.append(notifier.watch(entry.job.job_id(), _Wakeup(self, entry)))
        entry.event_driven = True
        entry.notifier = notifier
        entry.resync = notifier.resync
        self.ensure_waker(make_waker)

    def listen(
        self,
        interrupt: Interrupt,
        make_waker: Callable[[], Waker],
        undo: list[Callable[[], object]],
    ) -> None:
        """Have ``interrupt`` wake the driver's sleep when it is set; the undo in ``undo``."""
        waker = self.ensure_waker(make_waker)
        interrupt._listen(waker)
        undo.append(lambda: interrupt._forget(waker))

    def ensure_waker(self, make_waker: Callable[[], Waker]) -> Waker:
        """The waker, made the first time it is needed."""
        if self.waker is None:
            self.waker = make_waker()
        return self.waker

    def wake(self, entry: Entry[J]) -> None:
        """An event-driven job called back: query it at once (this runs in any thread)."""
        self._calendar.woken.append(entry)
        if self.waker is not None:
            self.waker.set()
