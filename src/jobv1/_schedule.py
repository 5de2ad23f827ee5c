"""The layout of a general wait's pending jobs in time: when each is next due.

A heap of due times, each with the jobs due then. Jobs asked together, on
one policy, are mostly due together: one time for all of them, not one heap
entry per job. A job is queried only when its time is taken out (or it
called back, or at the deadline), so a pending polled job is due once and
an ended or event-driven one not at all.
"""

from __future__ import annotations

import heapq
import math

from ._typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from collections.abc import Container
    from typing import Protocol

    class Timed(Protocol):
        """What the schedule keeps of a job: its place, and the time it was last planned."""

        index: int
        when: float


__all__ = ["Schedule"]

#: The loop's record of a job, as the schedule sees it.
E = TypeVar("E", bound="Timed")


def _index(entry: Timed) -> int:
    return entry.index


class Schedule(Generic[E]):
    """When the pending jobs of a wait are next due, and which called back meanwhile.

    Args:
        now: When the wait begins: every job is due then.
        entries: The jobs' records, in their order.
    """

    __slots__ = ("_due_at", "_times", "resyncing", "woken")

    def __init__(self, now: float, entries: list[E]) -> None:
        self._due_at: dict[float, list[E]] = {}
        self._times: list[float] = []
        if entries:
            self._due_at[now] = entries
            self._times.append(now)
        #: The event-driven jobs that called back, appended to from any thread.
        #: (list.append and list.pop are atomic: no lock is needed.)
        self.woken: list[E] = []
        #: Whether a job may have a plan out of date: an event-driven job planned a
        #: query, once it calls back and is planned again; a job whose slow query was
        #: carried over, once its answer is read (it ends, or is planned again).
        self.resyncing = False

    def make_due(self, entry: E, due: float) -> None:
        """Plan the next query of ``entry`` at ``due``."""
        entry.when = due
        jobs = self._due_at.get(due)
        if jobs is None:
            self._due_at[due] = [entry]
            heapq.heappush(self._times, due)
        else:
            jobs.append(entry)

    def due(self, now: float, pending: Container[int]) -> list[E]:
        """The ``pending`` entries due by ``now`` or woken since their last query, in job order."""
        times, due_at = self._times, self._due_at
        due: list[E] = []
        while times and times[0] <= now:
            time = heapq.heappop(times)
            if self.resyncing:  # a job called back, or was read, since it was planned
                for entry in due_at.pop(time):
                    if entry.when == time and entry.index in pending:
                        entry.when = math.nan  # taken: any other copy is out of date
                        due.append(entry)
            else:
                due += due_at.pop(time)
        woken = self.woken
        if woken:
            while woken:
                entry = woken.pop()
                if entry.index in pending:
                    due.append(entry)
            due = list({entry.index: entry for entry in due}.values())  # each once
        # In job order: one time's jobs are in it already, but mixed ones are not.
        due.sort(key=_index)
        return due

    def next_due(self) -> float:
        """When the next polled job is due; infinite if none is."""
        return self._times[0] if self._times else math.inf
