"""Awaitable waits, the asyncio counterparts of the blocking ones.

:func:`wait_for_final_state`, :func:`wait` and :func:`as_completed` (an
async iterator) take the arguments of their blocking namesakes.

They run the same loop as the blocking waits, with the same exact deadline,
but never block the event loop: a polled job's ``status()`` runs in a thread
of its own, sleeps are asyncio sleeps (a clock other than the system's sleeps
in a thread too), and an event-driven job such as :class:`~jobv1.FutureJob`
is awaited through its future, with no thread and no polling.

A slow ``status()`` never holds a wait up: at the deadline, on an interrupt,
or when the awaiting task is cancelled, the wait ends at once and the query
is left to finish on its own (the deadline's own last query gets
:data:`LAST_QUERY_SECONDS`). ``asyncio.run`` does not wait for it either.
They work wherever an event loop is already running, a notebook included.
A job's ``poll_hint()`` runs in its query's thread, right after ``status()``;
``callback`` and ``on_status`` run on the event loop.
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
from ._polling import Abandoned, Ask, Poller, Sleep

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterable

    from ._interrupt import Interrupt
    from ._polling import Step
    from ._protocols import Clock, PollPolicy
    from ._retry import Retry
    from ._status import JobStatus

__all__ = ["LAST_QUERY_SECONDS", "as_completed", "wait", "wait_for_final_state"]

J = TypeVar("J")

#: Seconds the deadline's last query may take to answer, on the real clock, before
#: the wait ends without it (a query begun earlier is given up at the deadline).
LAST_QUERY_SECONDS = 1.0


class _LoopWaker:
    """Wakes an asyncio sleep from any thread; :attr:`threads` is its twin for other threads."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._thread = threading.get_ident()  # made on the loop's own thread
        self.event = asyncio.Event()
        #: Set along with :attr:`event`, for a clock sleeping in a worker thread.
        self.threads = threading.Event()

    def set(self) -> None:
        self.threads.set()
        if threading.get_ident() == self._thread:
            self.event.set()
            return
        # A loop that is closed has nobody waiting on it any more.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self.event.set)

    def clear(self) -> None:
        self.event.clear()
        self.threads.clear()

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
    # Another clock, virtual or real, sleeps in a worker thread, so that the loop
    # never blocks; it is woken through the waker's twin for threads.
    await asyncio.sleep(0)  # first deliver the wake-ups already on their way
    if waker is not None and waker.is_set():
        return True
    wakeup = None if waker is None else waker.threads
    answered, outcome = await _off_loop(lambda: clock.sleep(seconds, wakeup))
    if not answered:
        raise outcome
    await asyncio.sleep(0)
    return waker is not None and waker.is_set()


def _ask(query: Callable[[], Any]) -> tuple[bool, Any]:
    """Run one query: ``(True, answers)``, or ``(False, the exception)``."""
    try:
        return True, query()
    except Exception as failure:  # handed to the loop, which raises it or rides it out
        return False, failure


async def _off_loop(call: Callable[[], Any]) -> tuple[bool, Any]:
    """Run ``call`` in a thread of its own and await its outcome, as :func:`_ask` gives it.

    Not the loop's default executor: a wait that ends (at its deadline, on
    an interrupt, cancelled, Ctrl-C) leaves a call still running to finish on
    its own, and ``asyncio.run`` waits for the default executor's threads
    before it returns. The thread hands back the exception object itself:
    asyncio would replace a ``TimeoutError`` raised in it with a copy.
    """
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
            result = _ask(call)
        except BaseException as interrupted:  # Ctrl-C, SystemExit: raised in the wait
            result = interrupted
        with contextlib.suppress(RuntimeError):  # the loop may be closed by now
            loop.call_soon_threadsafe(deliver, result)

    threading.Thread(target=run, name="jobv1-query", daemon=True).start()
    return await outcome


async def _query(
    poller: Poller[Any], ask: Ask, waker: _LoopWaker | None
) -> tuple[bool, Any] | Abandoned:
    """Run ``ask`` off the loop, until it answers, or the wait must end without it.

    Returns:
        ``(answered, outcome)`` as :func:`_ask` gives it, or :class:`Abandoned`
        when the deadline passed, or the interrupt was set, while the query
        was still running.
    """
    clock = poller.clock
    left = poller.time_left() if isinstance(clock, SystemClock) else None
    # A query begun before the deadline is given up at the deadline; one begun at
    # it, the deadline's last query, gets LAST_QUERY_SECONDS to answer.
    end = None if left is None else clock.monotonic() + (left if left > 0 else LAST_QUERY_SECONDS)
    query = asyncio.ensure_future(_off_loop(ask.query))
    woken: asyncio.Future[Any] | None = None
    try:
        while True:
            waiting: set[asyncio.Future[Any]] = {query}
            if waker is not None and not waker.is_set():
                woken = asyncio.ensure_future(waker.event.wait())
                waiting.add(woken)
            timeout = None if end is None else end - clock.monotonic()
            if timeout is not None and timeout <= 0:
                return Abandoned(interrupted=False)
            await asyncio.wait(waiting, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            if query.done():
                return query.result()
            if poller.interrupted():
                return Abandoned(interrupted=True)
            # Else an event-driven job called back: the loop sees to it after this
            # query; or the deadline passed, which the next turn finds.
    finally:
        for task in (query, woken):
            if task is not None and not task.done():
                task.cancel()


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
                answer: tuple[bool, Any] | Abandoned
                if request.local:
                    answer = _ask(request.query)
                else:
                    answer = await _query(poller, request, wakers[0] if wakers else None)
                if isinstance(answer, Abandoned):
                    request = steps.throw(answer)
                else:
                    answered, outcome = answer
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
