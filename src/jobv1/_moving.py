"""An ``as_completed`` wait that takes jobs in while it runs, whatever layout it began in.

A wait the general loop (:class:`~jobv1._polling.Poller`) runs takes an
added job in at its next round, through its :class:`~jobv1._intake.Intake`.
The other layouts (:class:`~jobv1._plain.Plain`,
:class:`~jobv1._futurewait.FutureWait`) keep no record per job to put a
new one in: :class:`Move` keeps the jobs added to such a wait, and at the
next job the caller asks for, the wait moves to the general loop with its
pending jobs and those added. It keeps its deadline, and what each job was
last told to ``on_status`` in, so that no status is told twice.

So does a general wait that ended while the caller's loop body added a job
(the jobs it never took in are taken back).
"""

from __future__ import annotations

import collections

from ._intake import Intake
from ._interop import view
from ._typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from ._arguments import Checked
    from ._requests import Layout

__all__ = ["Move", "Taking", "check_added", "open_intake"]

J = TypeVar("J")


def check_added(job: object) -> object:
    """``job``, if it is a job :meth:`~jobv1.AsCompleted.add` takes; else a ``TypeError``."""
    view(job, "add() takes a job:")
    return job


def open_intake() -> Intake:
    """The intake of an ``as_completed`` wait with no window: for the jobs added."""
    return Intake(None, None, None, check_added)


class Move(Generic[J]):
    """An ``as_completed`` wait's layout, and the jobs added that it has not taken in.

    Args:
        layout: The layout the wait began in.
        wait: Its arguments, checked.
    """

    __slots__ = ("_added", "_before", "_wait", "layout")

    def __init__(self, layout: Layout[J], wait: Checked[J]) -> None:
        #: The layout the wait runs in now.
        self.layout = layout
        self._wait = wait
        # The jobs added that the layout cannot take in (appended from any thread).
        self._added: collections.deque[J] = collections.deque()
        # The layouts the wait ran in before: the failures of the jobs they ended.
        self._before: list[Layout[J]] = []

    def add(self, job: J) -> None:
        """Add ``job``: to the layout's intake, if it has one, or for the move."""
        intake = self._intake()
        if intake is not None:
            intake.add(job)
            return
        check_added(job)
        self._added.append(job)

    def _intake(self) -> Intake | None:
        intake: Intake | None = getattr(self.layout, "intake", None)
        return intake

    def due(self) -> bool:
        """Whether jobs were added that the layout cannot take in: it moves."""
        return bool(self._added)

    def taken_back(self) -> bool:
        """Once the wait ended: whether jobs were added that it never took in (it moves)."""
        intake = self._intake()
        if intake is not None:
            self._added.extend(intake.drain())  # type: ignore[arg-type]  # checked as jobs
        return bool(self._added)

    def drop(self) -> None:
        """Forget the jobs added: the wait ended otherwise than by its jobs' ends."""
        self._added.clear()

    def move(self) -> None:
        """Go on in the general loop with the jobs still pending and those added."""
        from ._polling import general  # the engine loads with the first wait

        old, wait = self.layout, self._wait
        added = self._added
        had = old.had()
        jobs = old.not_done()
        while added:
            job = added.popleft()
            if id(job) not in had:  # given twice: it counts once
                had.add(id(job))
                jobs.append(job)
        moved = wait.over(jobs)
        new = general(moved)
        new.eager = True
        new.intake = open_intake()
        new.resume(old.seen(), had)
        self._before.append(old)
        self.layout, self._wait = new, moved

    def failure_of(self, job: J) -> Exception | None:
        """The failure that ended ``job``, in the layout the wait ran in then; else ``None``."""
        for layout in (self.layout, *self._before):
            failure = layout.failure_of(job)
            if failure is not None:
                return failure
        return None


class Taking(Generic[J]):
    """What :class:`jobv1.AsCompleted` and its ``aio`` twin share: the jobs, and those added.

    The two differ only in how they wait for the next jobs that end (a
    thread or the caller's, a task or the caller's coroutine).

    Args:
        layout: The layout the wait begins in.
        wait: Its arguments, checked.
    """

    __slots__ = ("_closed", "_error", "_move", "_ready")

    def __init__(self, layout: Layout[J], wait: Checked[J]) -> None:
        # Moves the wait to the general loop when a job is added that it cannot take in.
        self._move = Move(layout, wait)
        # The jobs that ended, not taken yet.
        self._ready: collections.deque[J] = collections.deque()
        # What ended the wait while it moved, raised once the jobs before it are taken.
        self._error: BaseException | None = None
        self._closed = False

    def _next_ready(self) -> J | None:
        """The next job kept, if any; else ``None``, or what ended the wait, raised."""
        if self._ready:
            return self._ready.popleft()
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        return None

    def _ended(self, kept: collections.deque[J], error: BaseException | None) -> bool:
        """The reading ahead stopped, keeping ``kept``: whether the wait had ended with ``error``.

        Then nothing is left to move: the jobs added are forgotten, and
        ``error`` is raised after the jobs kept.
        """
        self._ready.extend(kept)
        if error is None:
            return False
        self._error = error
        self._move.drop()
        return True

    def add(self, job: J) -> None:
        """Wait on ``job`` too, from now on: it is yielded when it ends.

        From any thread, while the iteration runs (a job given twice counts
        once). The deadline stays the one set at the call. A wait on jobs
        that the general loop does not run (:class:`~jobv1.FutureJob` s,
        plain polled jobs) moves to it at the next job asked for: its
        pending jobs are then asked at once.

        Raises:
            TypeError: ``job`` is not a job.
            RuntimeError: The iterator was closed.
        """
        if self._closed:
            raise RuntimeError(f"add() of {job!r} to a closed as_completed")
        self._move.add(job)

    def exception(self, job: J) -> Exception | None:
        """The error that ended ``job``, if its status could not be read; else ``None``.

        ``None`` too for a job not yielded yet.
        """
        return self._move.failure_of(job)

    def __repr__(self) -> str:
        left = len(self._move.layout.not_done()) + len(self._ready)
        return f"<AsCompleted: {left} jobs not done>"
