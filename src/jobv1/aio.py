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

import asyncio
import contextlib
import math
import threading
import weakref
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from . import _flight as flight
from ._ahead import AsyncAhead, cancel_task
from ._arguments import check_one
from ._clock import SystemClock
from ._deadline import LAST_QUERY_SECONDS, query_end
from ._errors import JobTimeoutError
from ._interop import as_job
from ._lifecycle import begin, fetching, limits_of, request_cancel, settled
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
from ._polling import general
from ._requests import EARLY, SLICE, UNBEGUN, Ask, Breathe, Launch, Sleep, outcome_of
from ._status import JobStatus

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Callable, Iterable

    from ._interrupt import Interrupt
    from ._job import JobV1
    from ._limit import RateLimit
    from ._polling import Poller
    from ._protocols import Clock, PollPolicy
    from ._requests import Layout, Outcome, Step
    from ._retry import Retry
    from ._workers import Run

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


class _LoopWaker:
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


async def _off_loop(call: Callable[[], Any]) -> tuple[bool, Any]:
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


class _Finished:
    """Set from a worker thread when a :class:`~jobv1._workers.Run` is over; awaited on the loop."""

    __slots__ = ("future", "loop")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.future: asyncio.Future[None] = loop.create_future()

    def set(self) -> None:
        # A loop that is closed has nobody waiting on it any more.
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(self._arrive)

    def _arrive(self) -> None:
        if not self.future.done():
            self.future.set_result(None)

    def rearm(self) -> None:
        """Wait for the next :meth:`set`: an eager run's news was told, and it goes on."""
        self.future = self.loop.create_future()


async def _answers(
    layout: Layout[Any], ask: Ask, waker: _LoopWaker | None
) -> list[Outcome] | object:
    """Run the queries of ``ask``: on the loop if local, else on worker threads (:func:`_launched`).

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
        if not remote:
            return outcomes
        run = ask.run = Run(ask.queries, remote, outcomes)
        ask.configure(run)
    unbegun = await _launched(layout, run, waker)
    if unbegun is EARLY:
        return EARLY
    assert isinstance(unbegun, list)
    for index in unbegun:
        run.outcomes[index] = UNBEGUN
    return run.outcomes


async def _launched(layout: Layout[Any], run: Run, waker: _LoopWaker | None) -> list[int] | object:
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
        run.finished = _Finished(asyncio.get_running_loop())
    unbegun: list[int] = []
    going_on = False
    try:
        if not run.begun:
            run.start(layout.max_in_flight)
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
    layout: Layout[Any], run: Run, end: float | None, waker: _LoopWaker | None
) -> bool:
    """Wait for the calls of ``run``, as :func:`_launched` says; whether it is handed back early."""
    clock = layout.clock
    finished = run.finished
    assert isinstance(finished, _Finished)  # this driver's, since it began the run
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
            timeout = None if stop_at is None else stop_at - now
            if timeout is not None and timeout <= 0:
                return False  # the deadline: the calls still running are given up
            woken = await _either(finished.future, waker, woken, timeout)
            if layout.interrupted():
                return False
            # Else an event-driven job called back: the loop sees to it after these
            # calls; the deadline passed, or the run's until came: the next turn sees.
    finally:
        if woken is not None and not woken.done():
            woken.cancel()


async def _either(
    future: asyncio.Future[None],
    waker: _LoopWaker | None,
    woken: asyncio.Future[Any] | None,
    timeout: float | None,
) -> asyncio.Future[Any] | None:
    """Wait until ``future`` is done, ``waker`` is set, or ``timeout`` passed.

    Returns:
        What waits for ``waker`` (``woken``, or a new one once it ended), for
        the next wait to reuse and the last to cancel.
    """
    waiting: set[asyncio.Future[Any]] = {future}
    if waker is not None and not waker.is_set():
        if woken is None or woken.done():
            woken = asyncio.ensure_future(waker.event.wait())
        waiting.add(woken)
    await asyncio.wait(waiting, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    return woken


async def _drive(layout: Layout[J]) -> AsyncGenerator[list[tuple[J, JobStatus]], None]:
    """Drive the loop on the running event loop; yield the jobs of each round that end."""
    loop = asyncio.get_running_loop()
    wakers: list[_LoopWaker] = []

    def make_waker() -> _LoopWaker:
        wakers.append(_LoopWaker(loop))
        return wakers[-1]

    steps = layout.steps(make_waker)
    try:
        request: Step[J] = next(steps)
        while True:
            if isinstance(request, Ask):
                outcomes = await _answers(layout, request, wakers[0] if wakers else None)
                request = steps.send(outcomes)
            elif isinstance(request, Launch):
                unbegun = await _launched(layout, request.run, wakers[0] if wakers else None)
                request = steps.send(unbegun)
            elif isinstance(request, Breathe):
                await asyncio.sleep(0)
                request = steps.send(None)
            elif isinstance(request, Sleep):
                woken = await _sleep(layout.clock, request.seconds, wakers[0] if wakers else None)
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
    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
    rate_limit: RateLimit | None = None,
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
    )
    done: set[J] = set()
    failures: dict[J, Exception] = {}
    rounds = _drive(poller)
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
) -> AsCompleted[J]:
    """Iterate, with ``async for``, over the jobs as they end; :func:`jobv1.as_completed`, async.

    The arguments are checked and the deadline set when it is called. On
    the system's clock a task of its own polls on while the ``async for``
    body runs (hooks are called in it), as the blocking iterator's thread
    does; ``aclose()``, or dropping the iterator, stops it.

    Raises:
        JobTimeoutError: While iterating, at the deadline, if some jobs are
            not final.
        WaitInterruptedError: While iterating, when ``interrupt`` is set.
        TypeError: ``jobs`` is not an iterable of jobs, or another
            argument is of the wrong type.
        ValueError: An argument is out of range.
    """
    return AsCompleted(
        begin_as_completed(
            jobs,
            timeout,
            poll=poll,
            on_status=on_status,
            retry=retry,
            interrupt=interrupt,
            max_in_flight=max_in_flight,
            rate_limit=rate_limit,
        )
    )


async def _flatten(poller: Layout[J]) -> AsyncGenerator[J, None]:
    rounds = _drive(poller)
    try:
        async for finished in rounds:
            for job, _ in finished:
                yield job
    finally:
        await rounds.aclose()


class AsCompleted(Generic[J]):
    """What :func:`as_completed` returns: an async iterator over the jobs as they end.

    :class:`jobv1.AsCompleted`'s twin: a job whose status could not be read
    is yielded, ended in ``ERROR``, and :meth:`exception` gives its error. On
    the system's clock a task of its own polls on while the ``async for``
    body runs, as :class:`jobv1.AsCompleted`'s thread does.
    """

    __slots__ = ("__weakref__", "_ahead", "_jobs", "_layout", "_left")

    def __init__(self, layout: Layout[J]) -> None:
        self._layout = layout
        # How many jobs are not yielded yet.
        self._left = len(layout.not_done())
        self._jobs: AsyncGenerator[J, None] | None = None
        self._ahead: AsyncAhead[J] | None = None

    def __aiter__(self) -> AsCompleted[J]:
        return self

    async def __anext__(self) -> J:
        if self._ahead is None and self._jobs is None:
            if self._layout.reads_early():
                ahead = self._ahead = AsyncAhead(_drive(self._layout))
                weakref.finalize(self, cancel_task, ahead.task)
            else:
                self._jobs = _flatten(self._layout)
        if self._ahead is not None:
            job = await self._ahead.take()
        else:
            assert self._jobs is not None  # made just above, if not before
            job = await self._jobs.__anext__()
        self._left -= 1
        return job

    async def aclose(self) -> None:
        """Stop waiting: the wait's watches are undone, and no other query is made."""
        if self._ahead is not None:
            await self._ahead.stop()
            return
        if self._jobs is None:  # closed before it began: it begins closed, asking nothing
            self._jobs = _flatten(self._layout)
        await self._jobs.aclose()

    def exception(self, job: J) -> Exception | None:
        """The error that ended ``job``, if its status could not be read; else ``None``.

        ``None`` too for a job not yielded yet.
        """
        return self._layout.failure_of(job)

    def __repr__(self) -> str:
        return f"<AsCompleted: {self._left} jobs not done>"


async def _call(call: Callable[[], Any]) -> Any:
    """What ``call()`` returns, called on a worker thread; what it raises, raised here."""
    ok, value = await _off_loop(call)
    if not ok:
        raise value
    return value


async def _cancel(job: JobV1[Any], given: object, poller: Poller[Any]) -> None:
    """Ask ``job`` (a view of ``given``) to cancel, on a worker thread; a JobError if it cannot.

    A status query of the job that the wait gave up, still running, ends
    first: the job never has a query and a ``cancel()`` in flight at once.
    The request waits for its turn with the rate limits of the job's queries.
    """

    def cancel() -> None:
        flight.settle(given)
        request_cancel(job, limits_of(poller, job), poller.clock)

    ok, value = await _off_loop(cancel)
    if not ok:
        raise value


async def _final(poller: Poller[Any], job: JobV1[Any]) -> JobStatus:
    """Await the wait of ``poller`` on ``job`` (its view); the job's final status."""
    if not getattr(job, "_async", True):
        return await _call(lambda: settled(job))  # type: ignore[no-any-return]
    rounds = _drive(poller)
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
        status = await _final(poller, view)
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
                await _sleep(clock, request.seconds, None)
                request = steps.send(None)
            else:
                request = steps.send(await _off_loop(request))
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
    return await _final(poller, view) is JobStatus.CANCELLED
