"""``FakeClock``: virtual time for waits."""

from __future__ import annotations

import math
import threading
import weakref
from typing import TYPE_CHECKING

from .._checks import check_seconds, real
from .._clock import install, uninstall

if TYPE_CHECKING:
    from types import TracebackType

    from .._protocols import Wakeup

__all__ = ["FakeClock"]

#: How many sleeps in a row may leave virtual time where it is before one raises:
#: a wait that polls with no delay would otherwise never reach its deadline.
STALLED_SLEEPS = 10_000


class FakeClock:
    """A virtual monotonic clock: sleeping advances it at once, nothing really sleeps.

    Use it as a context manager to make waits run on it, or take the
    ``fake_clock`` pytest fixture, which does that for one test. An
    hour-long wait then takes milliseconds, and a test can assert at what
    virtual time each status query happened.

    Inside the ``with`` block it serves the thread that entered the block
    and every thread that thread starts inside it (their pools' workers
    included, and the threads those start), but not the threads that were
    already running nor those other threads start: a real wait elsewhere in
    the process keeps the real clock, and a test in another thread its own
    clock. ``process_wide=True`` makes it serve every thread.

    Time never goes backwards: :meth:`advance` refuses a negative step. It is
    safe to use from many threads; each sleep advances the one shared time,
    so waits in several threads on one clock move it for each other.

    Virtual time moves only when something sleeps, so a wait that polls with
    no delay (``wait=0``, or a delay too small to change the time) would
    never reach its deadline: after 10,000 sleeps in a row that leave the
    time where it was, :meth:`sleep` raises ``RuntimeError`` saying so.

    Args:
        start: The time :meth:`monotonic` reads at first.
        process_wide: Serve every thread of the process inside the block.

    Raises:
        TypeError: ``start`` is not a real number, or ``process_wide`` not a
            bool.
        ValueError: ``start`` is not finite.
    """

    def __init__(self, start: float = 0.0, *, process_wide: bool = False) -> None:
        now = real("start", start)
        if math.isinf(now):
            raise ValueError(f"start must be finite, got {start!r}")
        if not isinstance(process_wide, bool):
            raise TypeError(f"process_wide must be a bool, not {process_wide!r}")
        self._now = now
        self._lock = threading.Lock()
        self._process_wide = process_wide
        self._stalled = 0  # sleeps in a row that left the time where it was
        # Whether it was ever read, slept on or moved: then it is in use, entered or not.
        self._used = False
        _UNENTERED[self] = threading.get_ident()

    def monotonic(self) -> float:
        """The current virtual time in seconds."""
        self._used = True
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        """Move the time forward by ``seconds``.

        Raises:
            TypeError: ``seconds`` is not a real number.
            ValueError: ``seconds`` is negative, infinite or NaN.
        """
        step = check_seconds("seconds", seconds)
        self._used = True
        with self._lock:
            before = self._now
            self._now += step
            if self._now != before:
                self._stalled = 0

    def sleep(self, seconds: float, wakeup: Wakeup | None = None) -> bool:
        """Advance by ``seconds`` at once, unless ``wakeup`` is already set.

        Nothing else moves in virtual time while a sleep lasts, so a wake-up
        that is not already set when the sleep starts cannot cut it short.

        Returns:
            Whether ``wakeup`` is set.

        Raises:
            TypeError: ``seconds`` is not a real number.
            ValueError: ``seconds`` is negative, infinite or NaN.
            RuntimeError: This is the 10,001st sleep in a row that leaves
                the time where it was: a wait polling with no delay, which
                would never reach its deadline in virtual time.
        """
        step = check_seconds("seconds", seconds)
        self._used = True
        if wakeup is not None and wakeup.is_set():
            return True
        with self._lock:
            before = self._now
            self._now += step
            self._stalled = self._stalled + 1 if self._now == before else 0
            if self._stalled > STALLED_SLEEPS:
                self._stalled = 0
                raise RuntimeError(
                    f"virtual time stood still at {before!r} through {STALLED_SLEEPS} sleeps "
                    f"in a row (the last of {seconds!r} s): a wait that polls with no delay "
                    "never reaches its deadline on a FakeClock; poll with a delay that moves "
                    "the time"
                )
        return wakeup is not None and wakeup.is_set()

    def __enter__(self) -> FakeClock:
        install(self, process_wide=self._process_wide)
        _UNENTERED.pop(self, None)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        uninstall(self)

    def __repr__(self) -> str:
        with self._lock:  # not monotonic(): a repr does not put the clock to use
            return f"FakeClock(now={self._now!r})"


#: The FakeClocks made and never entered, with the thread that made each: a
#: fake job submitted in that thread on the system's clock, while one of them
#: was never used either (read, slept on, moved), was meant to run on it.
_UNENTERED: weakref.WeakKeyDictionary[FakeClock, int] = weakref.WeakKeyDictionary()


def unentered() -> FakeClock | None:
    """A FakeClock that this thread made and never entered nor used, if one is still alive."""
    me = threading.get_ident()
    made = list(_UNENTERED.items())
    return next((clock for clock, maker in made if maker == me and not clock._used), None)
