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
- :class:`~jobv1._requests.Breathe`: nothing; there is no event loop to let run.
"""

from __future__ import annotations

import math

from ._clock import waited
from ._deadline import query_end
from ._requests import UNBEGUN, Ask, Breathe, Launch, Sleep
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

__all__ = ["Driven", "drive", "run_until"]

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


def drive(layout: Layout[J]) -> Generator[list[tuple[J, JobStatus]], None, None]:
    """Run the loop of ``layout`` in this thread: block while it sleeps, yield what ends."""
    events: list[threading.Event] = []

    def make_waker() -> threading.Event:
        import threading  # only waits that can be woken early pay for it

        event = threading.Event()
        events.append(event)
        return event

    steps = layout.steps(make_waker, blocking=True)
    try:
        request: Step[J] = next(steps)
        while True:
            if isinstance(request, Ask):
                request = steps.send(_asked(layout, request))
            elif isinstance(request, Launch):
                request = steps.send(_launched(layout, request.run))
            elif isinstance(request, Sleep):
                request = steps.send(
                    _sleep(layout.clock, request.seconds, events[0] if events else None)
                )
            elif isinstance(request, Breathe):
                request = steps.send(None)
            else:
                yield request
                request = next(steps)
    except StopIteration:
        return
    finally:
        steps.close()


def _asked(layout: Layout[Any], ask: Ask) -> list[Outcome]:
    """The outcomes of the queries of ``ask``: the local ones here, the others on workers."""
    from ._workers import Run

    outcomes, remote = ask.run_local()
    if remote:
        run = Run(ask.queries, remote, outcomes)
        for index in _launched(layout, run):
            outcomes[index] = UNBEGUN
    return outcomes


def _launched(layout: Layout[Any], run: Run) -> list[int]:
    """Make the calls of ``run`` on workers; return the indices of those never begun."""
    return run_until(run, layout.max_in_flight, layout.clock, layout.deadline, layout.interrupt)


def _sleep(clock: Clock, seconds: float, wakeup: threading.Event | None) -> bool:
    """Sleep in this thread; an endless sleep ends when ``wakeup`` is set."""
    if seconds == math.inf:
        assert wakeup is not None  # only event-driven jobs are never due, and they have one
        return wakeup.wait()
    return clock.sleep(seconds, wakeup)


def run_until(
    run: Run, bound: int, clock: Clock, deadline: float | None, interrupt: Interrupt | None
) -> list[int]:
    """Have up to ``bound`` workers make the calls of ``run``, and wait in this thread.

    The wait lasts until every call has ended, until :func:`query_end`, or
    until ``interrupt`` is set; then no other call is begun, and those still
    running are given up: their outcomes stay as they are, and come in
    later, as they end. A Ctrl-C or ``SystemExit`` a worker met is raised
    here.

    Returns:
        The indices of the calls never begun, in order.
    """
    import threading

    finished = run.finished = threading.Event()
    end = query_end(clock, deadline)
    if interrupt is not None:
        interrupt._listen(finished)
    try:
        run.start(bound)
        waited(finished.wait, None if end is None else max(0.0, end - clock.monotonic()))
    finally:
        # At the deadline or the interrupt: the queries still running are given up.
        unbegun = run.stop()
        if interrupt is not None:
            interrupt._forget(finished)
    if run.raised is not None:
        raise run.raised  # Ctrl-C, SystemExit: raised in the wait
    return unbegun
