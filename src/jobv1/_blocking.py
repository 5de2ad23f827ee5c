"""The blocking driver: runs a wait's loop in the caller's thread, whatever its layout.

A wait's loop (:class:`~jobv1._polling.Poller`, :class:`~jobv1._plain.Plain`,
:class:`~jobv1._futurewait.FutureWait`) does no I/O: it yields requests
(:mod:`jobv1._requests`). :func:`drive` carries them out here, blocking this
thread; :mod:`jobv1.aio` carries out the same requests on an event loop.

- :class:`~jobv1._requests.Ask` and :class:`~jobv1._requests.Launch`: the
  calls go to jobv1's worker threads (an ``Ask``'s local ones are made
  here), at most the wait's ``max_in_flight`` at once, and this thread waits
  for them until the deadline (:func:`~jobv1._deadline.query_end`) or the
  interrupt (:func:`run_until`). A query made alone never comes here: the
  loop makes it itself, told that this driver's thread may block.
- :class:`~jobv1._requests.Sleep`: the clock's sleep, cut short by the
  waker, which is a :class:`threading.Event`.
- :class:`~jobv1._requests.Call`: the call, made here.
- :class:`~jobv1._requests.Breathe`: nothing; there is no event loop to let run.
"""

from __future__ import annotations

import math

from ._clock import SystemClock, wait_until
from ._deadline import query_end
from ._requests import EARLY, UNBEGUN, Ask, Breathe, Call, Launch, Sleep, outcome_of
from ._typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    import threading
    from collections.abc import Generator
    from typing import Any

    from ._interrupt import Interrupt
    from ._protocols import Clock
    from ._requests import Layout, Outcome, Step
    from ._status import JobStatus
    from ._workers import Run

__all__ = ["Driven", "Halt", "drive", "run_until"]

#: The jobs of a wait, as the caller gave them.
J = TypeVar("J")


class Driven(Generic[J]):
    """What every layout tells its drivers of its wait, and its blocking drive.

    A layout keeps ``_clock``, ``_deadline`` (``None`` for none) and
    ``interrupt``; it makes its own :meth:`steps` and ``max_in_flight``.
    """

    _clock: Clock
    _deadline: float | None
    #: Stops the wait when set; ``None`` if the wait has none.
    interrupt: Interrupt | None
    #: Whether the wait acts on each job's end as it comes: set by the waits that
    #: return or yield at one (``FIRST_COMPLETED``, ``FIRST_EXCEPTION``,
    #: ``as_completed``), before the loop starts. See :meth:`reads_early`.
    eager = False

    def reads_early(self) -> bool:
        """Whether the loop reads each answer worth it as it comes, not when its round ends.

        An :attr:`eager` wait does, on the system's clock: a job found final
        while a slow query of the same round runs on is acted on at once.
        On another clock, a query takes no virtual time: every answer of a
        round comes at the same time, and is read when the round ends.
        """
        return self.eager and isinstance(self._clock, SystemClock)

    @property
    def clock(self) -> Clock:
        """The clock the wait reads and sleeps on."""
        return self._clock

    @property
    def deadline(self) -> float | None:
        """When the wait ends, on :attr:`clock`; ``None`` for no deadline."""
        return self._deadline

    def interrupted(self) -> bool:
        """Whether the wait's interrupt is set."""
        return self.interrupt is not None and self.interrupt.is_set()

    def __iter__(self: Layout[J]) -> Generator[list[tuple[J, JobStatus]], None, None]:
        """Drive the loop in this thread: block while it sleeps, yield what ends."""
        return drive(self)


class Halt:
    """Stops a :func:`drive` from another thread: its sleeps wake, and it asks for nothing more.

    A driver given one wakes its sleeps on :attr:`event` (the wait's own
    waker, if it makes one, is this event too) and, once :attr:`stopped`,
    ends before the next request: the loop is closed as a caller's
    ``close()`` closes it. A round of queries under way ends first, and
    the jobs it ended are still yielded.
    """

    __slots__ = ("event", "stopped")

    def __init__(self) -> None:
        import threading

        self.event = threading.Event()
        self.stopped = False

    def stop(self) -> None:
        """Stop the drive: from any thread."""
        self.stopped = True
        self.event.set()


def drive(
    layout: Layout[J], halt: Halt | None = None
) -> Generator[list[tuple[J, JobStatus]], None, None]:
    """Run the loop of ``layout`` in this thread: block while it sleeps, yield what ends.

    With ``halt``, it ends early, from another thread, as :class:`Halt` says.
    """
    events: list[threading.Event] = []

    def make_waker() -> threading.Event:
        import threading  # only waits that can be woken early pay for it

        event = threading.Event() if halt is None else halt.event
        events.append(event)
        return event

    steps = layout.steps(make_waker, blocking=True)
    sleeps_on = None if halt is None else halt.event
    try:
        request: Step[J] = next(steps)
        while halt is None or not halt.stopped:
            if isinstance(request, Ask):
                request = steps.send(_asked(layout, request))
            elif isinstance(request, Launch):
                request = steps.send(_launched(layout, request.run))
            elif isinstance(request, Sleep):
                request = steps.send(
                    _sleep(layout.clock, request.seconds, events[0] if events else sleeps_on)
                )
            elif isinstance(request, Breathe):
                request = steps.send(None)
            elif isinstance(request, Call):
                request = steps.send(outcome_of(request.call))
            else:
                yield request
                request = next(steps)
        if isinstance(request, list):  # halted with jobs that ended: they are not lost
            yield request
    except StopIteration:
        return
    finally:
        steps.close()


def _asked(layout: Layout[Any], ask: Ask) -> list[Outcome] | object:
    """The outcomes of the queries of ``ask``: the local ones here, the others on workers.

    :data:`~jobv1._requests.EARLY` instead, for an eager ask with answers worth
    reading while others still run: the loop reads them in ``ask.run`` and
    hands the same ask back, and its queries go on.
    """
    from ._workers import Run

    run = ask.run
    if run is None:
        outcomes, remote = ask.run_local()
        if not remote:
            return outcomes
        run = ask.run = Run(ask.queries, remote, outcomes)
        ask.configure(run)
    unbegun = _launched(layout, run)
    if unbegun is EARLY:
        return EARLY
    assert isinstance(unbegun, list)
    for index in unbegun:
        run.outcomes[index] = UNBEGUN
    return run.outcomes


def _launched(layout: Layout[Any], run: Run) -> list[int] | object:
    """Make the calls of ``run`` on workers; return the indices of those never begun (or EARLY)."""
    return run_until(run, layout.max_in_flight, layout.clock, layout.deadline, layout.interrupt)


def _sleep(clock: Clock, seconds: float, wakeup: threading.Event | None) -> bool:
    """Sleep in this thread; an endless sleep ends when ``wakeup`` is set."""
    if seconds == math.inf:
        assert wakeup is not None  # only event-driven jobs are never due, and they have one
        return wakeup.wait()
    return clock.sleep(seconds, wakeup)


def run_until(
    run: Run, bound: int, clock: Clock, deadline: float | None, interrupt: Interrupt | None
) -> list[int] | object:
    """Have up to ``bound`` workers make the calls of ``run``, and wait in this thread.

    The wait lasts until every call has ended, until :func:`query_end`, or
    until ``interrupt`` is set; then no other call is begun, and those still
    running are given up: their outcomes stay as they are, and come in
    later, as they end. Those still running once every call has begun and
    the run's ``until`` came are carried over, given up alike
    (:meth:`~jobv1._workers.Run.carries`). A Ctrl-C or ``SystemExit`` a
    worker met is raised here. An eager run's wait also ends when an outcome
    worth reading comes while other calls run
    (:meth:`~jobv1._workers.Run.woken`): the calls go on, and the run,
    handed back, is waited on again.

    Returns:
        The indices of the calls never begun, in order; or
        :data:`~jobv1._requests.EARLY`.
    """
    import threading

    if not run.begun:
        run.finished = threading.Event()
    finished = run.finished
    assert isinstance(finished, threading.Event)  # this driver's, since it began the run
    end = query_end(clock, deadline)
    if interrupt is not None:
        interrupt._listen(finished)
    going_on = False
    try:
        if not run.begun:
            run.start(bound, clock)
        going_on = _waiting(run, finished, clock, end, interrupt)
    finally:
        if not going_on:  # at the deadline or the interrupt: those still running are given up
            unbegun = run.stop()
        if interrupt is not None:
            interrupt._forget(finished)
    if going_on:
        return EARLY
    if run.raised is not None:
        raise run.raised  # Ctrl-C, SystemExit: raised in the wait
    return unbegun


def _waiting(
    run: Run,
    finished: threading.Event,
    clock: Clock,
    end: float | None,
    interrupt: Interrupt | None,
) -> bool:
    """Wait for the calls of ``run``, as :func:`run_until` says; whether it is handed back early."""
    while True:
        now = clock.monotonic()
        if run.carries(now):
            return False  # a round's slow queries: carried over, as given up
        stop_at = run.wait_end(end, now)
        if not wait_until(clock, finished, stop_at, now):
            if stop_at == end:
                return False  # the deadline: the calls still running are given up
            continue  # the run's until: see whether it carries them over
        finished.clear()  # before the look: what ends after it wakes this wait again
        move = run.woken(interrupt is not None and interrupt.is_set())
        if move is not None:
            return move
