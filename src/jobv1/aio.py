"""Awaitable waits, the asyncio counterparts of the blocking ones.

:func:`wait_for_final_state`, :func:`wait` and :func:`as_completed` (an
async iterator) take the arguments of their blocking namesakes.

They run the same loop as the blocking waits, with the same exact deadline,
but never block the event loop: a polled job's ``status()`` runs in a worker
thread (:func:`asyncio.to_thread`), sleeps are asyncio sleeps, and an
event-driven job such as :class:`~jobv1.FutureJob` is awaited through its
future, with no thread and no polling. Cancelling the awaiting task stops the
wait at once. They work wherever an event loop is already running, a notebook
included.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import threading
from typing import TYPE_CHECKING, Any, TypeVar

from ._clock import SystemClock
from ._errors import JobTimeoutError
from ._interop import as_job
from ._job import start_one
from ._many import (
    ALL_COMPLETED,
    DEFAULT_POLL,
    check_hashable,
    check_return_when,
    enough,
    start_many,
)
from ._polling import Ask, Poller, Sleep

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterable, Sequence

    from ._interrupt import Interrupt
    from ._polling import Step
    from ._protocols import Clock, PollPolicy
    from ._retry import Retry
    from ._status import JobStatus

__all__ = ["as_completed", "wait", "wait_for_final_state"]

J = TypeVar("J")


class _LoopWaker:
    """Wakes an asyncio sleep from any thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._thread = threading.get_ident()  # made on the loop's own thread
        self.event = asyncio.Event()

    def set(self) -> None:
        if threading.get_ident() == self._thread:
            self.event.set()
            return
        # A loop that is closed has nobody waiting on it any more.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self.event.set)

    def clear(self) -> None:
        self.event.clear()

    def is_set(self) -> bool:
        return self.event.is_set()


async def _sleep(clock: Clock, seconds: float, waker: _LoopWaker | None) -> bool:
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
    # Another clock (a virtual one) sleeps at once: first deliver the wake-ups
    # already on their way from other threads, then sleep unless woken.
    await asyncio.sleep(0)
    if waker is not None and waker.is_set():
        return True
    clock.sleep(seconds)
    await asyncio.sleep(0)
    return waker is not None and waker.is_set()


def _ask(query: Callable[[], Sequence[object]]) -> tuple[bool, Any]:
    """Run one query: ``(True, answers)``, or ``(False, the exception)``."""
    try:
        return True, query()
    except Exception as failure:  # handed to the loop, which raises it or rides it out
        return False, failure


async def _drive(poller: Poller[J]) -> AsyncGenerator[list[tuple[J, JobStatus]], None]:
    """Drive the loop on the running event loop; yield the jobs of each round that end."""
    loop = asyncio.get_running_loop()
    wakers: list[_LoopWaker] = []

    def make_waker() -> _LoopWaker:
        wakers.append(_LoopWaker(loop))
        return wakers[-1]

    steps = poller.steps(make_waker)
    try:
        request: Step[J] = next(steps)
        while True:
            if isinstance(request, Ask):
                if request.local:
                    answered, outcome = _ask(request.query)
                else:
                    # The worker thread hands back the exception object itself: asyncio
                    # would replace a TimeoutError raised in it with a copy.
                    answered, outcome = await asyncio.to_thread(_ask, request.query)
                request = steps.send(outcome) if answered else steps.throw(outcome)
            elif isinstance(request, Sleep):
                woken = await _sleep(poller.clock, request.seconds, wakers[0] if wakers else None)
                request = steps.send(woken)
            else:
                yield request
                request = next(steps)
    except StopIteration:
        return
    finally:
        steps.close()


async def wait_for_final_state(
    job: Any,
    timeout: float | None = None,
    wait: float | PollPolicy = 5,
    callback: Callable[[str, JobStatus, Any], object] | None = None,
    *,
    on_status: Callable[[Any, JobStatus], object] | None = None,
    retry: Retry | None = None,
    interrupt: Interrupt | None = None,
) -> None:
    """Await ``job`` reaching a final state; :meth:`jobv1.JobV1.wait_for_final_state`, awaitable.

    The arguments, the callback sequence and the deadline are those of the
    blocking wait. ``callback`` and ``on_status`` run on the event loop, and
    are given ``job`` itself. ``job`` may be of any kind :func:`jobv1.wait`
    takes: a Qiskit job is waited on through :func:`jobv1.as_job`.

    Raises:
        JobTimeoutError: The deadline came and the job was not final.
        WaitInterruptedError: ``interrupt`` was set.
        TypeError: An argument is of the wrong type, or ``job.status()``
            returned something that is not a :class:`~jobv1.JobStatus`.
        ValueError: An argument is out of range, or ``job.status()``
            returned a string that names no status.
    """
    poller = start_one(
        job,
        timeout=timeout,
        wait=wait,
        callback=callback,
        on_status=on_status,
        retry=retry,
        interrupt=interrupt,
        adapt=as_job,
    )
    if getattr(job, "_async", True):
        rounds = _drive(poller)
        try:
            await anext(rounds)
        finally:
            await rounds.aclose()


async def wait(
    jobs: Iterable[J],
    timeout: float | None = None,
    return_when: str = ALL_COMPLETED,
    *,
    poll: float | PollPolicy = DEFAULT_POLL,
    on_status: Callable[[Any, JobStatus], object] | None = None,
    retry: Retry | None = None,
    interrupt: Interrupt | None = None,
) -> tuple[set[J], set[J]]:
    """Await the jobs being final, or some of them; :func:`jobv1.wait`, awaitable.

    It returns ``(done, not_done)`` at the deadline and never raises on
    timeout.

    Raises:
        TypeError: ``jobs`` is not an iterable of jobs, or another
            argument is of the wrong type.
        ValueError: ``return_when`` is not one of the three constants, or
            another argument is out of range.
        WaitInterruptedError: ``interrupt`` was set.
    """
    poller = start_many(
        jobs, timeout=timeout, poll=poll, on_status=on_status, retry=retry, interrupt=interrupt
    )
    check_return_when(return_when)
    check_hashable(poller.jobs)
    done: set[J] = set()
    rounds = _drive(poller)
    try:
        async for finished in rounds:
            done.update(job for job, _ in finished)
            if enough(return_when, finished):
                break
    except JobTimeoutError:
        pass
    finally:
        await rounds.aclose()
    return done, set(poller.jobs) - done


def as_completed(
    jobs: Iterable[J],
    timeout: float | None = None,
    *,
    poll: float | PollPolicy = DEFAULT_POLL,
    on_status: Callable[[Any, JobStatus], object] | None = None,
    retry: Retry | None = None,
    interrupt: Interrupt | None = None,
) -> AsyncIterator[J]:
    """Iterate, with ``async for``, over the jobs as they end; :func:`jobv1.as_completed`, async.

    The arguments are checked and the deadline set when it is called.

    Raises:
        JobTimeoutError: While iterating, at the deadline, if some jobs are
            not final.
        WaitInterruptedError: While iterating, when ``interrupt`` is set.
        TypeError: ``jobs`` is not an iterable of jobs, or another
            argument is of the wrong type.
        ValueError: An argument is out of range.
    """
    return _flatten(
        start_many(
            jobs, timeout=timeout, poll=poll, on_status=on_status, retry=retry, interrupt=interrupt
        )
    )


async def _flatten(poller: Poller[J]) -> AsyncIterator[J]:
    rounds = _drive(poller)
    try:
        async for finished in rounds:
            for job, _ in finished:
                yield job
    finally:
        await rounds.aclose()
