"""Where waits get the time from: a swappable monotonic clock.

Every wait in jobv1 reads the time and sleeps through :func:`current_clock`,
never through the :mod:`time` module directly. By default that is the system's
monotonic clock; :mod:`jobv1.testing` installs a virtual one with
:func:`use_clock`, so the waits of any job class run in virtual time without
patching anything. A clock is any object with ``monotonic()`` and
``sleep(seconds, wakeup=None)``: see :class:`jobv1.testing.Clock`.

An installed clock serves the thread that installed it and the threads it
serves start while it is installed (theirs too), not the threads that were
already running, nor those another thread starts: a test's virtual clock
never reaches into another thread's real wait, or another test's virtual
one. An installation may be process-wide instead, on request. A worker
thread that runs a task for a wait runs it under the wait's clock
(:func:`lent`).
"""

from __future__ import annotations

import _thread
import math
import time

from ._typing import TYPE_CHECKING

if TYPE_CHECKING:
    import threading
    import weakref
    from collections.abc import Callable
    from contextlib import AbstractContextManager
    from types import ModuleType, TracebackType

    from ._protocols import Clock, Wakeup

__all__ = [
    "SYSTEM",
    "SystemClock",
    "current_clock",
    "install",
    "installed",
    "lent",
    "reader",
    "uninstall",
    "times_queries",
    "use_clock",
    "wait_until",
    "waited",
]


class SystemClock:
    """The real monotonic clock: :func:`time.monotonic` and real sleeps."""

    def monotonic(self) -> float:
        """Return :func:`time.monotonic`."""
        return time.monotonic()

    def sleep(self, seconds: float, wakeup: Wakeup | None = None) -> bool:
        """Sleep for real; Ctrl-C interrupts the sleep in the main thread.

        A sleep longer than the system's sleeps can be (``time.sleep`` and
        :meth:`threading.Event.wait` overflow past some centuries) is made of
        several, up to the same end.
        """
        if seconds > _LONGEST:
            end = time.monotonic() + seconds
            while (left := end - time.monotonic()) > _LONGEST:
                if self._sleep(_LONGEST, wakeup):
                    return True
            seconds = max(0.0, left)
        return self._sleep(seconds, wakeup)

    @staticmethod
    def _sleep(seconds: float, wakeup: Wakeup | None) -> bool:
        if wakeup is None:
            time.sleep(seconds)
            return False
        return wakeup.wait(seconds)

    def __repr__(self) -> str:
        return "SystemClock()"


def reader(clock: Clock) -> Callable[[], float]:
    """``clock.monotonic``, as cheap to call as it can be.

    That is :func:`time.monotonic` itself for a clock that reads it as
    :class:`SystemClock` does (a subclass that only sleeps otherwise
    included): a loop that reads the clock at each query saves a call.
    """
    if type(clock).monotonic is SystemClock.monotonic:
        return time.monotonic
    return clock.monotonic


#: The system's clock: the one every wait uses while no other is installed.
SYSTEM = SystemClock()
#: The longest single sleep, in seconds (about 31 years): well within what
#: time.sleep and threading.Event.wait take everywhere.
_LONGEST = 1e9


def waited(wait: Callable[[float | None], bool], seconds: float | None) -> bool:
    """``wait(seconds)`` for any seconds up to infinite (``None`` too), on the system's clock.

    ``wait`` is a blocking wait that takes a timeout, as
    :meth:`threading.Event.wait` does, and returns whether it was ended by
    what it waits for. The system's waits overflow past some centuries
    (``OverflowError``), so a longer one is made of several up to the same
    end; an infinite one is ``wait(None)``.
    """
    if seconds is None or seconds == math.inf:
        return wait(None)
    if seconds <= _LONGEST:
        return wait(seconds)
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > _LONGEST:
        if wait(_LONGEST):
            return True
    return wait(max(0.0, left))


def times_queries(clock: Clock) -> bool:
    """Whether a query that runs on another thread takes time on ``clock``.

    So it does on the system's clock, and on the test kit's ``FakeClock``,
    where a query takes the time it sleeps on it: a wait gives up such a
    query at its deadline, and carries a round's slow ones over. On any
    other clock a query takes no time: the wait waits for it.
    """
    return isinstance(clock, SystemClock) or hasattr(clock, "_wait_for")


def wait_until(clock: Clock, event: threading.Event, end: float | None, now: float) -> bool:
    """Block until ``event`` is set or the time on ``clock`` reaches ``end`` (``None``: no end).

    ``now`` is the time read before. On the system's clock the end is a
    timeout. On a ``FakeClock`` the time moves while this waits, once the
    queries that take time on it are asleep (``FakeClock._wait_for``).

    Returns:
        Whether ``event`` was set before the end. (A ``FakeClock`` that
        reached the end sets it: the caller, which waits on it again,
        looks before it does.)
    """
    if not hasattr(clock, "_wait_for"):
        return waited(event.wait, None if end is None else max(0.0, end - now))
    done = clock._wait_for(end, event.set, event.is_set)
    try:
        event.wait()
    finally:
        rang = done()
    return not rang


class _Installation:
    """One :func:`install`: the clock, and the threads it serves."""

    __slots__ = ("clock", "served")

    def __init__(self, clock: Clock, process_wide: bool) -> None:
        self.clock = clock
        #: The threads it serves (the installing one, and those they started
        #: while it was installed), or ``None`` for every thread. Threads, not
        #: their idents, which a thread started later may reuse; held weakly.
        self.served: weakref.WeakSet[threading.Thread] | None = None
        if not process_wide:
            import threading
            import weakref

            _watch_starts(threading)
            self.served = weakref.WeakSet([threading.current_thread()])

    def serves(self, thread: threading.Thread) -> bool:
        """Whether this installation serves ``thread``."""
        return self.served is None or thread in self.served


def _watch_starts(module: ModuleType) -> None:
    """Have every thread started from now on served as the thread that starts it is.

    ``threading.Thread.start`` is wrapped once, for good: while no clock is
    installed the wrapper only calls it. (Nothing in the standard library
    tells, on every Python jobv1 runs on, which thread started which.)
    """
    global _real_start  # noqa: PLW0603 - wrapped once per process
    if _real_start is not None:
        return
    _real_start = start = module.Thread.start

    def started(thread: threading.Thread) -> None:
        if installed:
            parent = module.current_thread()
            with _lock:
                for installation in installed:
                    if installation.served is not None and parent in installation.served:
                        installation.served.add(thread)
        start(thread)

    started.__doc__ = start.__doc__
    module.Thread.start = started


# threading.Thread.start as the standard library defines it, once it is wrapped.
_real_start: Callable[[threading.Thread], None] | None = None


#: The clocks installed, innermost last: empty while every thread uses :data:`SYSTEM`.
#: Copied on write under the lock, so that :func:`current_clock` reads it without one
#: (read it as ``_clock.installed``: it is replaced, not changed).
installed: tuple[_Installation, ...] = ()
_lock = _thread.allocate_lock()


# The clocks lent to worker threads for the task they run, by thread (see lent()).
_lent: dict[object, Clock] = {}


def current_clock() -> Clock:
    """The clock waits use now, in this thread.

    That is the clock lent to this thread for the task it runs, if any; else
    the innermost clock installed that serves this thread (it was installed
    in this thread, or in a thread that started this one while it was
    installed, or process-wide); else the system's.
    """
    clocks = installed
    if clocks:
        import threading  # imported already: install() did

        me = threading.current_thread()
        clock = _lent.get(me)
        if clock is not None:
            return clock
        for installation in reversed(clocks):
            if installation.serves(me):
                return installation.clock
    return SYSTEM


def lent(task: Callable[[], None]) -> Callable[[], None]:
    """``task``, to run in another thread under the clock this thread uses now.

    A worker thread runs tasks for waits of many threads, each under its own
    clock: the task it runs reads the clock of the wait it runs for.
    """
    if not installed:
        return task  # every thread reads the system's clock
    clock = current_clock()

    def run() -> None:
        import threading

        me = threading.current_thread()
        with _lock:
            _lent[me] = clock
        try:
            task()
        finally:
            with _lock:
                del _lent[me]

    return run


def install(clock: Clock, *, process_wide: bool = False) -> None:
    """Make ``clock`` the one waits use, until :func:`uninstall`.

    Args:
        clock: The clock.
        process_wide: Serve every thread; by default, only this thread and
            the threads started from now on.
    """
    global installed  # noqa: PLW0603 - the one registry of installed clocks
    if not (
        callable(getattr(clock, "monotonic", None)) and callable(getattr(clock, "sleep", None))
    ):
        raise TypeError(f"clock must have monotonic() and sleep(), not {clock!r}")
    if not isinstance(process_wide, bool):
        raise TypeError(f"process_wide must be a bool, not {process_wide!r}")
    installation = _Installation(clock, process_wide)
    with _lock:
        installed = (*installed, installation)


def uninstall(clock: Clock) -> None:
    """Undo the innermost :func:`install` of ``clock``."""
    global installed  # noqa: PLW0603 - the one registry of installed clocks
    with _lock:
        for index in range(len(installed) - 1, -1, -1):
            if installed[index].clock is clock:
                installed = installed[:index] + installed[index + 1 :]
                return
    raise RuntimeError(f"{clock!r} is not installed")


class _Installed:
    """The context manager :func:`use_clock` returns."""

    __slots__ = ("clock", "process_wide")

    def __init__(self, clock: Clock, process_wide: bool) -> None:
        self.clock = clock
        self.process_wide = process_wide

    def __enter__(self) -> Clock:
        install(self.clock, process_wide=self.process_wide)
        return self.clock

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        uninstall(self.clock)


def use_clock(clock: Clock, *, process_wide: bool = False) -> AbstractContextManager[Clock]:
    """Make waits use ``clock`` inside a ``with`` block.

    The clock serves the thread that enters the block and the threads it
    starts inside it (their pools' workers included, and the threads those
    start), not threads that were already running nor those other threads
    start: those keep their own clock. ``process_wide=True`` makes it serve
    every thread. Installations nest; leaving a block restores the
    clock that was in use before it.

    Raises:
        TypeError: ``clock`` has no ``monotonic()`` and ``sleep()``, or
            ``process_wide`` is not a bool (when the block is entered).
    """
    return _Installed(clock, process_wide)
