"""Reading ahead: an ``as_completed`` wait goes on polling while the caller's loop body runs.

A blocking :func:`jobv1.as_completed` on the system's clock drives its loop
in a jobv1 thread (:class:`Ahead`) from the first ``next()`` on: the jobs
that end are kept, in order, for the caller to take, so that a loop body
that takes its time (fetching a result, say) holds back no job's news.
It never runs further ahead than :data:`READ_AHEAD` jobs not taken: a
round that ends more is kept whole, and the next one waits until the
caller has taken them.

Hooks (``on_status``, the ``jobv1`` logger) are then called in that thread.
What ends the wait (the deadline's :class:`~jobv1.JobTimeoutError`, an
interrupt, a hook's exception) is raised to the caller after the jobs that
ended before it. Closing the iterator, or dropping it, stops the thread:
its sleep wakes, and it asks nothing more once a round under way is over.

:class:`AsyncAhead` is its twin for :func:`jobv1.aio.as_completed`: a task
of its own drives the loop on the caller's event loop, and hooks run there.

On a clock other than the system's nothing is read ahead: virtual time
passes only when something sleeps on it, and a thread sleeping ahead
would move it under the caller's feet. The iterator then polls as the
caller asks, as it always did.
"""

from __future__ import annotations

import collections
import contextlib
import threading

from ._blocking import Halt, drive
from ._typing import TYPE_CHECKING, Generic, TypeVar
from ._workers import submit

if TYPE_CHECKING:
    import asyncio
    from collections.abc import AsyncGenerator

    from ._requests import Layout
    from ._status import JobStatus

__all__ = ["READ_AHEAD", "Ahead", "AsyncAhead", "cancel_task"]

J = TypeVar("J")

#: How many ended jobs an ``as_completed`` iterator keeps, at most, that the caller
#: has not taken: then it polls no more until the caller takes some.
READ_AHEAD = 16


class Ahead(Generic[J]):
    """Drives ``layout`` in a jobv1 thread; :meth:`take` gives the jobs that ended, in order.

    Args:
        layout: The wait's loop, not begun.
    """

    __slots__ = ("_halt", "_ready", "_turn", "error", "over")

    def __init__(self, layout: Layout[J]) -> None:
        self._turn = threading.Condition()
        self._ready: collections.deque[J] = collections.deque()
        self._halt = Halt()
        #: What ended the wait, raised once the jobs before it are taken.
        self.error: BaseException | None = None
        #: Whether the thread is done with the wait.
        self.over = False
        submit(lambda: self._run(layout), bounded=False)

    def _run(self, layout: Layout[J]) -> None:
        """The thread's work: drive the loop, keep what ends, wait while enough is kept."""
        turn, ready, halt = self._turn, self._ready, self._halt
        rounds = drive(layout, halt)
        try:
            for finished in rounds:
                with turn:
                    ready.extend(job for job, _ in finished)
                    turn.notify_all()
                    while len(ready) >= READ_AHEAD and not halt.stopped:
                        turn.wait()
        except BaseException as error:  # handed to the caller, who raises it
            self.error = error
        finally:
            with turn:
                self.over = True
                turn.notify_all()

    def take(self) -> J:
        """The next job that ended: waits for one; raises what ended the wait, or StopIteration."""
        with self._turn:
            while not self._ready and not self.over:
                self._turn.wait()
            if self._ready:
                job = self._ready.popleft()
                self._turn.notify_all()
                return job
        if self.error is not None:
            error, self.error = self.error, None
            raise error
        raise StopIteration

    def finish(self) -> tuple[collections.deque[J], BaseException | None]:
        """Stop the thread and wait for it: the jobs it kept, and what ended the wait, if anything.

        For a wait taken over by another (:meth:`jobv1.AsCompleted.add`):
        every job that ended is in what it kept, or still pending.
        """
        with self._turn:
            self._halt.stop()
            self._turn.notify_all()
            while not self.over:
                self._turn.wait()
        return self._ready, self.error

    def stop(self) -> None:
        """Stop the thread: from the caller, on ``close()`` or when the iterator is dropped."""
        with self._turn:
            self._halt.stop()
            self._ready.clear()
            self._turn.notify_all()


class AsyncAhead(Generic[J]):
    """An ``aio.as_completed`` wait driven by a task of its own: :class:`Ahead`'s twin.

    The task polls while the caller's ``async for`` body runs, keeping the
    jobs that end, in order, and no more than
    :data:`READ_AHEAD` not taken; what ends the wait is raised to the caller
    after the jobs before it.

    Args:
        rounds: The wait's rounds, as its asyncio driver yields them.
    """

    __slots__ = ("_ready", "_turn", "error", "over", "task")

    def __init__(self, rounds: AsyncGenerator[list[tuple[J, JobStatus]], None]) -> None:
        import asyncio

        self._ready: collections.deque[J] = collections.deque()
        self._turn = asyncio.Condition()
        self.error: Exception | None = None
        self.over = False
        self.task = asyncio.ensure_future(self._run(rounds))

    async def _run(self, rounds: AsyncGenerator[list[tuple[J, JobStatus]], None]) -> None:
        turn, ready = self._turn, self._ready
        try:
            async for finished in rounds:
                async with turn:
                    ready.extend(job for job, _ in finished)
                    turn.notify_all()
                    await turn.wait_for(lambda: len(ready) < READ_AHEAD)
        except Exception as error:  # handed to the caller, who raises it
            self.error = error
        finally:
            await rounds.aclose()
            self.over = True
            async with turn:
                turn.notify_all()

    async def take(self) -> J:
        """The next job that ended; what ended the wait; or StopAsyncIteration."""
        turn, ready = self._turn, self._ready
        async with turn:
            await turn.wait_for(lambda: bool(ready) or self.over)
            if ready:
                job = ready.popleft()
                turn.notify_all()
                return job
        if self.error is not None:
            error, self.error = self.error, None
            raise error
        raise StopAsyncIteration

    async def finish(self) -> tuple[collections.deque[J], Exception | None]:
        """Stop the task and wait for it: the jobs it kept, and what ended the wait, if anything."""
        await self.stop()
        return self._ready, self.error

    async def stop(self) -> None:
        """Stop the task, and wait until it has undone the wait's watches."""
        import asyncio

        self.task.cancel()
        await asyncio.wait({self.task})  # a cancel of the caller's own still reaches it


def cancel_task(task: asyncio.Future[None]) -> None:
    """Cancel ``task`` as its iterator is dropped (its loop, closed by then, needs none)."""
    with contextlib.suppress(RuntimeError):
        task.cancel()
