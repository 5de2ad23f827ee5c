"""The asyncio driver: runs a wait's loop on an event loop, whatever its layout.

:mod:`jobv1._blocking`'s twin for :mod:`jobv1.aio`. :func:`drive` carries a
loop's requests (:mod:`jobv1._requests`) out on the running event loop and
never blocks it:

- :class:`~jobv1._requests.Ask` and :class:`~jobv1._requests.Launch`: the
  calls go to jobv1's worker threads, at most the wait's ``max_in_flight`` at
  once, awaited through one future for the whole run (no task per query);
  an ``Ask``'s local queries are made on the loop, and the queries of jobs
  whose ``status()`` is an ``async def`` are awaited on the loop, each a
  task. Given up at the deadline or the interrupt, carried over, or handed
  back early, as the blocking driver does.
- :class:`~jobv1._requests.Sleep`: an asyncio sleep that the waker cuts
  short (a clock other than the system's sleeps in a worker thread).
- :class:`~jobv1._requests.Call`: the call, on a worker thread.
- :class:`~jobv1._requests.Breathe`: ``asyncio.sleep(0)``.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import threading
from typing import TYPE_CHECKING, Any, TypeVar

from ._clock import SystemClock
from ._deadline import query_end
from ._requests import EARLY, SLICE, UNBEGUN, Ask, Breathe, Call, Launch, Sleep, outcome_of

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Callable

    from ._protocols import Clock
    from ._requests import Layout, Outcome, Step
    from ._status import JobStatus
    from ._workers import Run

__all__ = ["Finished", "LoopWaker", "drive", "launched", "off_loop", "sleep"]

J = TypeVar("J")


class LoopWaker:
    """Wakes an asyncio sleep from any thread; :attr:`threads` is its twin for other threads."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._thread = threading.get_ident()  # made on the loop's own thread
        self.event = asyncio.Event()
        #: Set along with :attr:`event`, for a clock sleeping in a worker thread.
        self.threads = threading.Event()
        # Whether a call setting the event is on its way to the loop: then the
        # wake-ups of other threads need not send one (100,000 futures ending
        # at once would otherwise queue 100,000 calls, run back to back).
        self._on_its_way = False

    def set(self) -> None:
        self.threads.set()
        if threading.get_ident() == self._thread:
            self.event.set()
            return
        if self._on_its_way:
            return
        self._on_its_way = True
        # A loop that is closed has nobody waiting on it any more.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._arrive)

    def _arrive(self) -> None:
        self._on_its_way = False  # first: a wake-up from now on sends a call of its own
        self.event.set()

    def clear(self) -> None:
        self.event.clear()
        self.threads.clear()

    def is_set(self) -> bool:
        return self.event.is_set()


async def sleep(clock: Clock, seconds: float, waker: LoopWaker | None) -> bool:
    """Sleep without blocking the loop; return whether the waker cut the sleep short."""
    if seconds == math.inf:
        assert waker is not None  # only event-driven jobs are never due, and they have one
        await waker.event.wait()
        return True
    if isinstance(clock, SystemClock):
        if waker is None:
            await asyncio.sleep(seconds)
            return False
        try:
            await asyncio.wait_for(waker.event.wait(), seconds)
        except asyncio.TimeoutError:
            return False
        return True
    # Another clock, virtual or real, sleeps in a worker thread, so that the loop
    # never blocks; it is woken through the waker's twin for threads.
    await asyncio.sleep(0)  # first deliver the wake-ups already on their way
    if waker is not None and waker.is_set():
        return True
    wakeup = None if waker is None else waker.threads
    answered, outcome = await off_loop(lambda: clock.sleep(seconds, wakeup))
    if not answered:
        raise outcome
    await asyncio.sleep(0)
    return waker is not None and waker.is_set()


async def off_loop(call: Callable[[], Any]) -> tuple[bool, Any]:
    """Run ``call`` on a worker thread and await its outcome, as ``outcome_of`` gives it.

    Not the loop's default executor: a wait that ends (at its deadline, on
    an interrupt, cancelled, Ctrl-C) leaves a call still running to finish on
    its own, and ``asyncio.run`` waits for the default executor's threads
    before it returns; jobv1's workers are daemon threads. The worker hands
    back the exception object itself: asyncio would replace a
    ``TimeoutError`` raised in it with a copy.
    """
    from ._workers import submit

    loop = asyncio.get_running_loop()
    outcome: asyncio.Future[tuple[bool, Any]] = loop.create_future()

    def deliver(result: tuple[bool, Any] | BaseException) -> None:
        if outcome.done():  # the wait has moved on
            return
        if isinstance(result, BaseException):
            outcome.set_exception(result)
        else:
            outcome.set_result(result)

    def run() -> None:
        result: tuple[bool, Any] | BaseException
        try:
            result = outcome_of(call)
        except BaseException as interrupted:  # Ctrl-C, SystemExit: raised in the wait
            result = interrupted
        with contextlib.suppress(RuntimeError):  # the loop may be closed by now
            loop.call_soon_threadsafe(deliver, result)

    submit(run, bounded=False)  # awaited as it is: it never waits for a worker
    return await outcome


async def _run_local(ask: Ask) -> tuple[list[Outcome], list[int]]:
    """Run the local queries of ``ask`` on the loop, in slices; return them and the others'."""
    outcomes: list[Outcome] = [None] * len(ask.queries)
    for count, index in enumerate(ask.local, 1):
        outcomes[index] = outcome_of(ask.queries[index])
        if not count % SLICE:
            await asyncio.sleep(0)  # many event-driven jobs: let the loop run between slices
    return outcomes, ask.remote


class Finished:
    """Set from a worker thread when a :class:`~jobv1._workers.Run` is over; awaited on the loop."""

    __slots__ = ("future", "loop", "signalled")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.future: asyncio.Future[None] = loop.create_future()
        #: Whether :meth:`set` was called since the future was made: the loop is told.
        self.signalled = False

    def set(self) -> None:
        self.signalled = True
        # A loop that is closed has nobody waiting on it any more.
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(self._arrive)

    def _arrive(self) -> None:
        if not self.future.done():
            self.future.set_result(None)

    def rearm(self) -> None:
        """Wait for the next :meth:`set`: an eager run's news was told, and it goes on."""
        self.future = self.loop.create_future()
        self.signalled = False


async def _answers(
    layout: Layout[Any], ask: Ask, waker: LoopWaker | None
) -> list[Outcome] | object:
    """Run the queries of ``ask``: on the loop if local, else on worker threads (:func:`launched`).

    Their outcomes come back in order, as ``outcome_of`` gives them, in the
    list the workers write them into: ``None`` for a query given up, still
    running, when the deadline passed or the interrupt was set (its outcome
    comes into the list when it ends), and
    :data:`~jobv1._requests.UNBEGUN` for a query not begun then. An eager
    ask gets :data:`~jobv1._requests.EARLY` instead while answers worth
    reading come and others still run, as from the blocking driver.
    """
    from ._workers import Run

    run = ask.run
    if run is None:
        outcomes, remote = await _run_local(ask)
        if ask.awaited:  # async def status(): awaited here, on the loop, not on workers
            remote = [index for index in remote if index not in ask.awaited]
            await _awaited(layout, ask, outcomes, waker)
        if not remote:
            return outcomes
        run = ask.run = Run(ask.queries, remote, outcomes)
        ask.configure(run)
    unbegun = await launched(layout, run, waker)
    if unbegun is EARLY:
        return EARLY
    assert isinstance(unbegun, list)
    for index in unbegun:
        run.outcomes[index] = UNBEGUN
    return run.outcomes


async def _awaited(
    layout: Layout[Any], ask: Ask, outcomes: list[Outcome], waker: LoopWaker | None
) -> None:
    """Await the queries of ``ask`` that are coroutines (``async def status()``) on this loop.

    At most ``layout.max_in_flight`` at once, each a task; their outcomes go
    into ``outcomes`` as the workers' do. At the deadline
    (:func:`~jobv1._deadline.query_end`) or the interrupt, those under way
    are given up (they end on their own, their outcome still coming into
    the list) and those not begun are not: :data:`~jobv1._requests.UNBEGUN`.
    """
    clock = layout.clock
    end = query_end(clock, layout.deadline)
    turns = asyncio.Semaphore(layout.max_in_flight)
    begun: set[int] = set()

    async def one(index: int) -> None:
        async with turns:
            begun.add(index)
            try:
                outcomes[index] = (True, await ask.awaited[index]())
            except Exception as failure:  # handed to the loop, as a worker hands it
                outcomes[index] = (False, failure)

    tasks: dict[asyncio.Future[Any], int] = {
        asyncio.ensure_future(one(index)): index for index in ask.awaited
    }
    pending: set[asyncio.Future[Any]] = set(tasks)
    woken: asyncio.Future[Any] | None = None
    try:
        while pending and not layout.interrupted():
            now = clock.monotonic()
            if end is not None and now >= end:
                break
            # These queries run on this loop, where a FakeClock cannot see them
            # asleep: its time moves only as they (or others) move it.
            woken = await _either(pending, waker, woken, clock=clock, end=end, now=now, ready=None)
            pending = {task for task in pending if not task.done()}
    finally:
        if woken is not None and not woken.done():
            woken.cancel()
    for task in pending:  # the deadline or the interrupt came: none of these begins
        index = tasks[task]
        if index not in begun:
            task.cancel()
            outcomes[index] = UNBEGUN


async def launched(layout: Layout[Any], run: Run, waker: LoopWaker | None) -> list[int] | object:
    """Make the calls of ``run`` on worker threads; return the indices of those never begun.

    At most ``layout.max_in_flight`` run at once, each worker making one
    call after another (no task, and no hand-over to the loop, per call).
    They are given up when the deadline passes
    (:func:`~jobv1._deadline.query_end`) or the interrupt is set: those
    still running then end on their own, as do those a round carries over
    (:meth:`~jobv1._workers.Run.carries`). An eager run is handed back
    (:data:`~jobv1._requests.EARLY`) when answers worth reading come while
    other calls run, as :func:`~jobv1._blocking.run_until` hands it back,
    and waited on again when the loop yields it again.
    """
    end = query_end(layout.clock, layout.deadline)
    if not run.begun:
        run.finished = Finished(asyncio.get_running_loop())
    unbegun: list[int] = []
    going_on = False
    try:
        if not run.begun:
            run.start(layout.max_in_flight, layout.clock)
        going_on = await _waiting(layout, run, end, waker)
    finally:
        if not going_on:
            unbegun = run.stop()
    if going_on:
        return EARLY
    if run.raised is not None:
        raise run.raised  # Ctrl-C, SystemExit: raised in the wait
    return unbegun


async def _waiting(
    layout: Layout[Any], run: Run, end: float | None, waker: LoopWaker | None
) -> bool:
    """Wait for the calls of ``run``, as :func:`launched` says; whether it is handed back early."""
    clock = layout.clock
    finished = run.finished
    assert isinstance(finished, Finished)  # this driver's, since it began the run
    woken: asyncio.Future[Any] | None = None
    try:
        while True:
            if finished.future.done():
                finished.rearm()  # before the look: what ends after it wakes this wait again
                move = run.woken(layout.interrupted())
                if move is not None:
                    return move
            now = clock.monotonic()
            if run.carries(now):
                return False  # a round's slow queries: carried over, as given up
            stop_at = run.wait_end(end, now)
            if stop_at is not None and now >= stop_at:
                return False  # the deadline: the calls still running are given up
            woken = await _either(
                {finished.future},
                waker,
                woken,
                clock=clock,
                end=stop_at,
                now=now,
                ready=lambda: finished.signalled or (waker is not None and waker.is_set()),
            )
            if layout.interrupted():
                return False
            # Else an event-driven job called back: the loop sees to it after these
            # calls; the deadline passed, or the run's until came: the next turn sees.
    finally:
        if woken is not None and not woken.done():
            woken.cancel()


async def _either(
    futures: set[asyncio.Future[Any]],
    waker: LoopWaker | None,
    woken: asyncio.Future[Any] | None,
    *,
    clock: Clock,
    end: float | None,
    now: float,
    ready: Callable[[], bool] | None,
) -> asyncio.Future[Any] | None:
    """Wait until one of ``futures`` is done, ``waker`` is set, or the time reaches ``end``.

    ``now`` is the time read before; ``end`` is ``None`` for no end. On the
    system's clock the end is a timeout. On a ``FakeClock`` the time moves
    while this waits, once the queries that take time on it are asleep,
    unless ``ready()`` says this wait is waking already
    (:func:`~jobv1._clock.wait_until`); with ``ready=None`` it never moves
    by itself for this wait, whose queries run on this loop: it wakes the
    wait when they, or others, move it to ``end``.

    Returns:
        What waits for ``waker`` (``woken``, or a new one once it ended), for
        the next wait to reuse and the last to cancel.
    """
    waiting = set(futures)
    if waker is not None and not waker.is_set():
        if woken is None or woken.done():
            woken = asyncio.ensure_future(waker.event.wait())
        waiting.add(woken)
    wait_for = getattr(clock, "_wait_for", None)
    if wait_for is None:
        timeout = None if end is None else end - now
        await asyncio.wait(waiting, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        return woken
    loop = asyncio.get_running_loop()
    rung: asyncio.Future[None] = loop.create_future()

    def ring() -> None:  # from the thread that moved the time
        with contextlib.suppress(RuntimeError):  # a loop closed has nobody waiting
            loop.call_soon_threadsafe(_resolve, rung)

    done = wait_for(end, ring, ready or _never, jumps=ready is not None)
    try:
        await asyncio.wait({*waiting, rung}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        done()
    return woken


def _never() -> bool:
    return False


def _resolve(future: asyncio.Future[None]) -> None:
    future.set_result(None)  # a wait rings once, and only its ring resolves this future


async def drive(layout: Layout[J]) -> AsyncGenerator[list[tuple[J, JobStatus]], None]:
    """Drive the loop on the running event loop; yield the jobs of each round that end."""
    loop = asyncio.get_running_loop()
    wakers: list[LoopWaker] = []

    def make_waker() -> LoopWaker:
        wakers.append(LoopWaker(loop))
        return wakers[-1]

    steps = layout.steps(make_waker)
    try:
        request: Step[J] = next(steps)
        while True:
            if isinstance(request, Ask):
                outcomes = await _answers(layout, request, wakers[0] if wakers else None)
                request = steps.send(outcomes)
            elif isinstance(request, Launch):
                unbegun = await launched(layout, request.run, wakers[0] if wakers else None)
                request = steps.send(unbegun)
            elif isinstance(request, Breathe):
                await asyncio.sleep(0)
                request = steps.send(None)
            elif isinstance(request, Call):
                request = steps.send(await off_loop(request.call))
            elif isinstance(request, Sleep):
                woken = await sleep(layout.clock, request.seconds, wakers[0] if wakers else None)
                request = steps.send(woken)
            else:
                yield request
                request = next(steps)
    except StopIteration:
        return
    finally:
        steps.close()
