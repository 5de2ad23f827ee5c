"""Awaitable waits, the asyncio counterparts of the blocking ones.

:func:`wait_for_final_state`, :func:`wait`, :func:`as_completed` (an
async iterator), :func:`result` and :func:`cancel` take the arguments of
their blocking namesakes.

They run the same loop as the blocking waits, with the same exact deadline,
but never block the event loop: polled jobs' ``status()`` calls run on
jobv1's worker threads, up to ``max_in_flight`` at once, sleeps are asyncio
sleeps (a clock other than the system's sleeps in a worker thread too), and
an event-driven job such as :class:`~jobv1.FutureJob` is awaited through its
future, with no thread and no polling.

A slow ``status()`` never holds a wait up: at the deadline, on an interrupt,
or when the awaiting task is cancelled, the wait ends at once and the query
is left to finish on its own (the deadline's own last query gets
:data:`LAST_QUERY_SECONDS`). ``asyncio.run`` does not wait for it either.
They work wherever an event loop is already running, a notebook included.
A job's ``poll_hint()`` runs in its query's thread, right after ``status()``;
``callback`` and ``on_status`` run on the event loop.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any, TypeVar

from . import _flight as flight
from ._ahead import AsyncAhead, cancel_task
from ._aiodrive import drive, off_loop, sleep
from ._arguments import check_one
from ._deadline import LAST_QUERY_SECONDS
from ._errors import JobTimeoutError, TooManyPendingError
from ._interop import as_job
from ._lifecycle import begin, fetching, limits_of, request_cancel
from ._many import (
    ALL_COMPLETED,
    DEFAULT_MAX_IN_FLIGHT,
    DEFAULT_POLL,
    DoneAndNotDone,
    begin_as_completed,
    begin_wait,
    ended,
    enough,
)
from ._moving import Taking
from ._polling import general
from ._requests import Sleep
from ._status import JobStatus

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Callable, Iterable

    from ._arguments import Checked
    from ._interrupt import Interrupt
    from ._job import JobV1
    from ._limit import RateLimit
    from ._polling import Poller
    from ._protocols import PollPolicy
    from ._requests import Layout
    from ._retry import Retry

__all__ = [
    "AsCompleted",
    "LAST_QUERY_SECONDS",
    "as_completed",
    "cancel",
    "result",
    "wait",
    "wait_for_final_state",
]

J = TypeVar("J")

#: Seconds the deadline's last query may take to answer, on the real clock, before
#: the wait ends without it (a query begun earlier is given up at the deadline).
LAST_QUERY_SECONDS = LAST_QUERY_SECONDS  # noqa: PLW0127 - documented here, defined by the loop


async def wait_for_final_state(
    job: Any,
    timeout: float | None = None,
    wait: float | PollPolicy = 5,
    callback: Callable[[str, JobStatus, Any], object] | None = None,
    *,
    on_status: Callable[[Any, JobStatus], object] | None = None,
    retry: Retry | None = None,
    interrupt: Interrupt | None = None,
    rate_limit: RateLimit | None = None,
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
    poller = general(
        check_one(
            job,
            timeout=timeout,
            poll=("wait", wait),
            callback=callback,
            on_status=on_status,
            retry=retry,
            interrupt=interrupt,
            rate_limit=rate_limit,
            adapt=as_job,
        )
    )
    if getattr(job, "_async", True):
        rounds = drive(poller)
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
    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
    rate_limit: RateLimit | None = None,
    until: Iterable[JobStatus] = (),
) -> DoneAndNotDone[J]:
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
    poller = begin_wait(
        jobs,
        timeout,
        return_when,
        poll=poll,
        on_status=on_status,
        retry=retry,
        interrupt=interrupt,
        max_in_flight=max_in_flight,
        rate_limit=rate_limit,
        until=until,
    )
    done: set[J] = set()
    failures: dict[J, Exception] = {}
    rounds = drive(poller)
    try:
        async for finished in rounds:
            ended(poller, finished, done, failures)
            if enough(return_when, finished):
                break
    except JobTimeoutError:
        pass
    finally:
        await rounds.aclose()
    return DoneAndNotDone(done, set(poller.not_done()), failures)


def as_completed(
    jobs: Iterable[J],
    timeout: float | None = None,
    *,
    poll: float | PollPolicy = DEFAULT_POLL,
    on_status: Callable[[Any, JobStatus], object] | None = None,
    retry: Retry | None = None,
    interrupt: Interrupt | None = None,
    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
    rate_limit: RateLimit | None = None,
    until: Iterable[JobStatus] = (),
    max_pending: int | None = None,
    refused: type[Exception] | tuple[type[Exception], ...] | Callable[[Exception], object] = (
        TooManyPendingError
    ),
) -> AsCompleted[J]:
    """Iterate, with ``async for``, over the jobs as they end; :func:`jobv1.as_completed`, async.

    The arguments are checked and the deadline set when it is called. On
    the system's clock a task of its own polls on while the ``async for``
    body runs (hooks are called in it), as the blocking iterator's thread
    does; ``aclose()``, or dropping the iterator, stops it. With
    ``max_pending``, the jobs' iterator is read, and each
    :class:`~jobv1.Submit` made, on a worker thread: a blocking submission
    never blocks the event loop.

    Raises:
        JobTimeoutError: While iterating, at the deadline, if some jobs are
            not final, or some were not drawn yet.
        WaitInterruptedError: While iterating, when ``interrupt`` is set.
        TypeError: ``jobs`` is not an iterable of jobs, or another
            argument is of the wrong type.
        ValueError: An argument is out of range.
    """
    made, checked = begin_as_completed(
        jobs,
        timeout,
        poll=poll,
        on_status=on_status,
        retry=retry,
        interrupt=interrupt,
        max_in_flight=max_in_flight,
        rate_limit=rate_limit,
        until=until,
        max_pending=max_pending,
        refused=refused,
    )
    return AsCompleted(made, checked)


class AsCompleted(Taking[J]):
    """What :func:`as_completed` returns: an async iterator over the jobs as they end.

    :class:`jobv1.AsCompleted`'s twin: a job whose status could not be read
    is yielded, ended in ``ERROR``, and :meth:`exception` gives its error;
    :meth:`add` puts a job made meanwhile into the wait. On the system's
    clock a task of its own polls on while the ``async for`` body runs, as
    :class:`jobv1.AsCompleted`'s thread does.
    """

    __slots__ = ("__weakref__", "_ahead", "_rounds")

    def __init__(self, layout: Layout[J], wait: Checked[J]) -> None:
        super().__init__(layout, wait)
        self._rounds: AsyncGenerator[list[tuple[J, JobStatus]], None] | None = None
        self._ahead: AsyncAhead[J] | None = None

    def __aiter__(self) -> AsCompleted[J]:
        return self

    async def __anext__(self) -> J:
        move = self._move
        if move.due():
            await self._moved()
        while (job := self._next_ready()) is None:
            if not await self._pulled():
                if not move.taken_back():
                    raise StopAsyncIteration
                await self._moved()  # jobs added as the wait ended: waited on now
        return job

    async def _pulled(self) -> bool:
        """Await the next jobs that end, into ``_ready``; ``False`` if the wait is over."""
        if self._ahead is None and self._rounds is None:
            layout = self._move.layout
            if layout.reads_early():
                ahead = self._ahead = AsyncAhead(drive(layout))
                weakref.finalize(self, cancel_task, ahead.task)
            else:
                self._rounds = drive(layout)
        try:
            if self._ahead is not None:
                self._ready.append(await self._ahead.take())
            else:
                assert self._rounds is not None  # made just above, if not before
                self._ready.extend(job for job, _ in await anext(self._rounds))
        except StopAsyncIteration:
            return False
        return True

    async def _moved(self) -> None:
        """Stop the wait as it is, and go on in the general loop with the jobs added."""
        if self._ahead is not None:
            ended = self._ended(*await self._ahead.finish())
            self._ahead = None
            if ended:
                return
        elif self._rounds is not None:
            await self._rounds.aclose()
            self._rounds = None
        self._move.move()

    async def aclose(self) -> None:
        """Stop waiting: the wait's watches are undone, and no other query is made."""
        self._closed = True
        self._ready.clear()
        if self._ahead is not None:
            await self._ahead.stop()
            return
        if self._rounds is None:  # closed before it began: it begins closed, asking nothing
            self._rounds = drive(self._move.layout)
        await self._rounds.aclose()


async def _cancel(job: JobV1[Any], given: object, poller: Poller[Any]) -> None:
    """Ask ``job`` (a view of ``given``) to cancel, on a worker thread; a JobError if it cannot.

    A status query of the job that the wait gave up, still running, ends
    first: the job never has a query and a ``cancel()`` in flight at once.
    The request waits for its turn with the rate limits of the job's queries.
    """

    def cancel() -> None:
        flight.settle(given)
        request_cancel(job, limits_of(poller, job), poller.clock)

    ok, value = await off_loop(cancel)
    if not ok:
        raise value


async def _final(poller: Poller[Any]) -> JobStatus:
    """Await the wait of ``poller``, on one job; that job's final status."""
    rounds = drive(poller)
    try:
        [(_, status)] = await anext(rounds)
    finally:
        await rounds.aclose()
    return status


async def result(
    job: Any,
    timeout: float | None = None,
    poll: float | PollPolicy = DEFAULT_POLL,
    callback: Callable[[str, JobStatus, Any], object] | None = None,
    *,
    on_status: Callable[[Any, JobStatus], object] | None = None,
    retry: Retry | None = None,
    interrupt: Interrupt | None = None,
    rate_limit: RateLimit | None = None,
    cancel_on_timeout: bool = False,
    fetch: Callable[[], Any] | None = None,
    wait: float | PollPolicy | None = None,
) -> Any:
    """Await ``job`` being final, then its result; :func:`jobv1.result`, awaitable.

    The arguments, errors and deadline are those of :func:`jobv1.result`.
    The job's ``result()`` (or ``fetch``) and ``cancel()`` run on a worker
    thread, so that a provider's blocking call never blocks the event loop.
    """
    poller, view = begin(
        job,
        timeout,
        poll,
        callback,
        wait=wait,
        cancel_on_timeout=cancel_on_timeout,
        fetch=fetch,
        on_status=on_status,
        retry=retry,
        interrupt=interrupt,
        rate_limit=rate_limit,
    )
    try:
        status = await _final(poller)
    except JobTimeoutError:
        if cancel_on_timeout:
            await _cancel(view, job, poller)
        raise
    clock = poller.clock
    steps = fetching(
        job,
        view,
        status,
        retry=retry,
        clock=clock,
        deadline=poller.deadline,
        fetch=fetch,
        limits=limits_of(poller, view),
    )
    try:
        request = next(steps)
        while True:
            if isinstance(request, Sleep):
                await sleep(clock, request.seconds, None)
                request = steps.send(None)
            else:
                request = steps.send(await off_loop(request))
    except StopIteration as returned:
        return returned.value


async def cancel(
    job: Any,
    timeout: float | None = None,
    poll: float | PollPolicy = DEFAULT_POLL,
    *,
    on_status: Callable[[Any, JobStatus], object] | None = None,
    retry: Retry | None = None,
    interrupt: Interrupt | None = None,
    rate_limit: RateLimit | None = None,
    wait: float | PollPolicy | None = None,
) -> bool:
    """Ask ``job`` to cancel and await its final state; :func:`jobv1.cancel`, awaitable.

    The arguments, errors and deadline are those of :func:`jobv1.cancel`;
    the job's ``cancel()`` runs on a worker thread.
    """
    poller, view = begin(
        job,
        timeout,
        poll,
        None,
        wait=wait,
        on_status=on_status,
        retry=retry,
        interrupt=interrupt,
        rate_limit=rate_limit,
    )
    await _cancel(view, job, poller)
    return await _final(poller) is JobStatus.CANCELLED
