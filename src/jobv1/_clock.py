"""Where waits get the time from: a swappable monotonic clock.

Every wait in jobv1 reads the time and sleeps through :func:`current_clock`,
never through the :mod:`time` module directly. By default that is the system's
monotonic clock; :mod:`jobv1.testing` installs a virtual one with
:func:`use_clock`, so the waits of any job class run in virtual time without
patching anything. A clock is any object with ``monotonic()`` and
``sleep(seconds, wakeup=None)``: see :class:`jobv1.testing.Clock`.
"""

from __future__ import annotations

import time

from ._typing import TYPE_CHECKING

if TYPE_CHECKING:
    from contextlib import AbstractContextManager
    from types import TracebackType

    from ._protocols import Clock, Wakeup

__all__ = ["SystemClock", "current_clock", "install", "uninstall", "use_clock"]


class SystemClock:
    """The real monotonic clock: :func:`time.monotonic` and real sleeps."""

    def monotonic(self) -> float:
        """Return :func:`time.monotonic`."""
        return time.monotonic()

    def sleep(self, seconds: float, wakeup: Wakeup | None = None) -> bool:
        """Sleep for real; Ctrl-C interrupts the sleep in the main thread."""
        if wakeup is None:
            time.sleep(seconds)
            return False
        return wakeup.wait(seconds)

    def __repr__(self) -> str:
        return "SystemClock()"


_SYSTEM = SystemClock()
_installed: list[Clock] = []


def current_clock() -> Clock:
    """The clock waits use now: the innermost one installed, else the system's."""
    return _installed[-1] if _installed else _SYSTEM


def install(clock: Clock) -> None:
    """Make ``clock`` the one every wait uses, until :func:`uninstall`."""
    if not (
        callable(getattr(clock, "monotonic", None)) and callable(getattr(clock, "sleep", None))
    ):
        raise TypeError(f"clock must have monotonic() and sleep(), not {clock!r}")
    _installed.append(clock)


def uninstall(clock: Clock) -> None:
    """Undo the innermost :func:`install` of ``clock``."""
    for index in range(len(_installed) - 1, -1, -1):
        if _installed[index] is clock:
            del _installed[index]
            return
    raise RuntimeError(f"{clock!r} is not installed")


class _Installed:
    """The context manager :func:`use_clock` returns."""

    __slots__ = ("clock",)

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def __enter__(self) -> Clock:
        install(self.clock)
        return self.clock

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        uninstall(self.clock)


def use_clock(clock: Clock) -> AbstractContextManager[Clock]:
    """Make every wait, in every thread, use ``clock`` inside a ``with`` block.

    Installations nest; leaving a block restores the clock that was in use
    before it.

    Raises:
        TypeError: ``clock`` has no ``monotonic()`` and ``sleep()`` (when the
            block is entered).
    """
    return _Installed(clock)
