"""``FutureJob`` and ``ExecutorBackend``: jobs run by any ``concurrent.futures`` executor."""

from __future__ import annotations

import _thread
import itertools

from ._checks import check_timeout
from ._errors import JobCancelledError, JobError, JobFailedError
from ._job import JobV1
from ._status import JobStatus
from ._typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    import concurrent.futures
    import weakref
    from collections.abc import Callable
    from types import TracebackType
    from typing import Any

    from typing_extensions import ParamSpec, Self

    P = ParamSpec("P")

__all__ = [
    "ExecutorBackend",
    "FutureJob",
    "forget",
    "future_status",
    "hook",
    "listen",
    "watch_future",
]

T = TypeVar("T")


class FutureJob(JobV1[T], Generic[T]):
    """A job over a :class:`concurrent.futures.Future`: event-driven, never polled.

    Its status is the future's: pending is ``QUEUED``, running is
    ``RUNNING``, finished with a value is ``DONE``, finished with an
    exception is ``ERROR``, cancelled is ``CANCELLED``. Waits on it wake as
    soon as the future is done, whatever their poll interval, and the asyncio
    waits await the future without a thread.

    Args:
        backend: The backend that made the job, or ``None``.
        job_id: The job's id.
        future: The future the job follows.
        **kwargs: Metadata to keep with the job.

    Raises:
        TypeError: ``future`` is not a :class:`concurrent.futures.Future`.
    """

    #: ``None``, since the callback of a local future is never lost.
    resync_interval = None

    def __init__(
        self, backend: Any, job_id: str, future: concurrent.futures.Future[T], **kwargs: Any
    ) -> None:
        import concurrent.futures

        if not isinstance(future, concurrent.futures.Future):
            raise TypeError(f"future must be a concurrent.futures.Future, not {future!r}")
        super().__init__(backend, job_id, **kwargs)
        self._future = future
        # Whether the future has :func:`_ended` among its done-callbacks, given
        # through this job: the waits of :mod:`jobv1._futurewait` add it once.

    @property
    def future(self) -> concurrent.futures.Future[T]:
        """The future the job follows."""
        return self._future

    def submit(self) -> None:
        """Refuse: a job over a future was submitted when its future was made.

        Raises:
            JobError: Always.
        """
        raise JobError(f"job {self.job_id()!r} was submitted when its future was made")

    def to_reference(self) -> dict[str, Any]:
        """Refuse: a job over a future lives and dies with the process that holds the future.

        Raises:
            JobError: Always.
        """
        raise JobError(
            f"job {self.job_id()!r} runs on a concurrent.futures.Future of this process: "
            "it cannot be saved, nor restored in another process"
        )

    def status(self) -> JobStatus:
        """The future's state as a :class:`~jobv1.JobStatus`; never blocks."""
        return future_status(self._future)

    def result(self, timeout: float | None = None) -> T:
        """Wait for the job to end, then return its value.

        Args:
            timeout: Seconds to wait at most; ``None`` for no limit.

        Raises:
            JobFailedError: The job failed: its exception is the ``__cause__``.
            JobCancelledError: The job was cancelled. (Both are
                :class:`~jobv1.JobError`, as :func:`jobv1.result` raises them.)
            JobTimeoutError: The job did not end within ``timeout``.
            TypeError: ``timeout`` is not a real number.
            ValueError: ``timeout`` is NaN.
        """
        future = self._future
        if future.done():  # nothing to wait for: the future's own fast path
            check_timeout(timeout)
        else:
            self.wait_for_final_state(timeout)  # checks timeout
        try:
            return future.result(0)
        except BaseException as error:  # the job's failure, or its cancellation
            if future.cancelled():
                raise JobCancelledError(
                    f"job {self.job_id()!r} was cancelled", job=self, status=JobStatus.CANCELLED
                ) from None
            if error is not future.exception(0):
                raise  # not the job's: a Ctrl-C while its result was read
            raise JobFailedError(
                f"job {self.job_id()!r} failed: {error!r}", job=self, status=JobStatus.ERROR
            ) from error

    def cancel(self) -> bool:
        """Cancel the job if it has not started: ``True`` if it is now ``CANCELLED``.

        A running or finished job is not cancelled (``False``), as with
        :meth:`concurrent.futures.Future.cancel`.
        """
        return self._future.cancel()

    def watch(self, wakeup: Callable[[], object]) -> Callable[[], object]:
        """Call ``wakeup()`` when the future is done; see :meth:`jobv1.JobV1.watch`."""
        return watch_future(self._future, wakeup)


def future_status(future: concurrent.futures.Future[Any]) -> JobStatus:
    """A future's state as a job's: pending is ``QUEUED``; never blocks.

    A future that is done stays as it is, so it is asked first: a future
    cancelled between two questions is then never taken for a finished one
    (whose ``exception()`` would raise ``CancelledError``).
    """
    if future.done():
        if future.cancelled():
            return JobStatus.CANCELLED
        return JobStatus.DONE if future.exception(0) is None else JobStatus.ERROR
    return JobStatus.RUNNING if future.running() else JobStatus.QUEUED


def watch_future(
    future: concurrent.futures.Future[Any], wakeup: Callable[[], object]
) -> Callable[[], object]:
    """Call ``wakeup()`` when ``future`` is done; return what switches that off.

    A future cannot drop its done-callbacks, so each future gets one, a
    :class:`_Watchers`, however many waits watch it: a wait that ends only
    takes its wake-up out of it.
    """
    global _watching  # noqa: PLW0603 - made on first use: most programs never watch a future
    if _watching is None:
        import weakref

        _watching = weakref.WeakKeyDictionary()
    with _lock:
        watchers = _watching.get(future)
        first = watchers is None
        if watchers is None:
            watchers = _watching[future] = _Watchers()
        undo = _Forget(watchers)
        watchers.wakeups[undo] = wakeup  # the undo is the wake-up's key
    if first:
        future.add_done_callback(watchers)  # at once if the future is done already
    return undo


class _Watchers:
    """The one done-callback of a watched future: calls the wake-ups of the waits watching it."""

    __slots__ = ("wakeups",)

    def __init__(self) -> None:
        self.wakeups: dict[object, Callable[[], object]] = {}

    def __call__(self, future: concurrent.futures.Future[Any]) -> None:
        assert _watching is not None  # made before any of these
        with _lock:
            wakeups = list(self.wakeups.values())
            self.wakeups.clear()
            del _watching[future]  # a later watch adds a callback, run at once
        for wakeup in wakeups:
            wakeup()

    def forget(self, key: object) -> None:
        with _lock:
            self.wakeups.pop(key, None)


class _Forget:
    """Takes one wait's wake-up out of a future's :class:`_Watchers`: an object, not a closure."""

    __slots__ = ("watchers",)

    def __init__(self, watchers: _Watchers) -> None:
        self.watchers = watchers

    def __call__(self) -> None:
        self.watchers.forget(self)


_watching: weakref.WeakKeyDictionary[concurrent.futures.Future[Any], _Watchers] | None = None
_lock = _thread.allocate_lock()


def hook(jobs: list[FutureJob[Any]]) -> None:
    """Have the future of each job call :func:`_ended` when it is done.

    Each future is given that one done-callback at most once, however many
    waits watch it and however many jobs (or fresh wrappers) are made over
    it, and none if it is done already: a wait made again and again over
    futures that never end adds nothing to them. (A future cannot drop a
    done-callback.) Whether a future has it is read from the future itself:
    the futures these waits take are :class:`concurrent.futures.Future`
    itself, whose done-callbacks are a list (``_done_callbacks``). Nothing is
    marked on the future or the job, nor kept per future here.
    """
    with _lock:  # two waits hooking one future at once add one callback
        for job in jobs:
            future = job._future
            if not future.done() and _ended not in future._done_callbacks:  # type: ignore[attr-defined]
                future.add_done_callback(_ended)  # at once if the future ended meanwhile


def listen(listener: Callable[[concurrent.futures.Future[Any]], object]) -> None:
    """From now on, have :func:`_ended` call ``listener(future)`` for each hooked future ending."""
    global _listeners  # noqa: PLW0603 - replaced, never changed: _ended reads it without the lock
    with _lock:
        _listeners = (*_listeners, listener)


def forget(listener: Callable[[concurrent.futures.Future[Any]], object]) -> None:
    """Undo :func:`listen`, given the same object (a bound method is a new one each time)."""
    global _listeners  # noqa: PLW0603 - replaced, never changed: _ended reads it without the lock
    with _lock:
        _listeners = tuple(one for one in _listeners if one is not listener)


def _ended(future: concurrent.futures.Future[Any]) -> None:
    """The one done-callback :func:`hook` gives: tells every listening wait, which looks it up."""
    for listener in _listeners:
        listener(future)


_listeners: tuple[Callable[[concurrent.futures.Future[Any]], object], ...] = ()


class ExecutorBackend:
    """A backend that runs functions as jobs on a :class:`concurrent.futures.Executor`.

    With no executor it owns a local thread pool, which closing the backend
    shuts down; it is a context manager that closes itself. Any executor
    works: a :class:`~concurrent.futures.ProcessPoolExecutor`, or a Dask
    cluster's ``distributed.Client(...).get_executor()``, so the same job
    code runs on one machine or many. An executor given to it is not shut
    down by it.

    Args:
        executor: The executor to run jobs on; ``None`` for a thread pool of
            the backend's own.
        name: The backend's name; job ids are ``"<name>-<n>"``.

    Raises:
        TypeError: ``executor`` has no ``submit()``, or ``name`` is not a str.
    """

    def __init__(
        self, executor: concurrent.futures.Executor | None = None, *, name: str = "executor"
    ) -> None:
        if executor is not None and (
            isinstance(executor, type) or not callable(getattr(executor, "submit", None))
        ):
            raise TypeError(f"executor must be a concurrent.futures.Executor, not {executor!r}")
        if not isinstance(name, str):
            raise TypeError(f"name must be a str, not {name!r}")
        self._owned = executor is None
        if executor is None:
            import concurrent.futures

            executor = concurrent.futures.ThreadPoolExecutor(thread_name_prefix=f"jobv1-{name}")
        self._executor = executor
        self._name = name
        self._ids = itertools.count(1)
        # The futures of this backend's jobs on an executor it does not own, for
        # close() to wait on or cancel: weakly, so finished jobs are not kept.
        self._futures: weakref.WeakSet[concurrent.futures.Future[Any]] | None = None
        if not self._owned:
            import weakref

            self._futures = weakref.WeakSet()

    @property
    def name(self) -> str:
        """The backend's name."""
        return self._name

    @property
    def executor(self) -> concurrent.futures.Executor:
        """The executor the jobs run on."""
        return self._executor

    def run(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> FutureJob[T]:
        """Start ``fn(*args, **kwargs)`` on the executor and return its job at once.

        Raises:
            TypeError: ``fn`` is not callable.
            RuntimeError: The backend, or its executor, was shut down.
        """
        if not callable(fn):
            raise TypeError(f"fn must be callable, not {fn!r}")
        future = self._executor.submit(fn, *args, **kwargs)
        if self._futures is not None:
            self._futures.add(future)
        return FutureJob(self, f"{self._name}-{next(self._ids)}", future, fn=fn)

    def close(self, wait: bool = True, *, cancel_pending: bool = False) -> None:
        """Shut down the executor if the backend owns it; idempotent.

        An executor given to the backend is not shut down: then ``wait`` and
        ``cancel_pending`` apply to this backend's own jobs on it.

        Args:
            wait: Block until the running jobs have finished.
            cancel_pending: Cancel the jobs that have not started.
        """
        if self._futures is None:
            self._executor.shutdown(wait=wait, cancel_futures=cancel_pending)
            return
        futures = list(self._futures)
        if cancel_pending:
            for future in futures:
                future.cancel()  # only a job that has not started is cancelled
        if wait:
            import concurrent.futures

            concurrent.futures.wait(futures)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ExecutorBackend({self._executor!r}, name={self._name!r})"
