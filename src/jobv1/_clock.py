"""Where waits get the time from: a swappable monotonic clock.

Every wait in jobv1 reads the time and sleeps through :func:`current_clock`,
never through the :mod:`time` module directly. By default that is the system's
monotonic clock; :mod:`jobv1.testing` installs a virtual one with
:func:`use_clock`, so the waits of any job class run in virtual time without
patching anything.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = [
    "Clock",
    "SystemClock",
    "Wakeup",
    "current_clock",
    "install",
    "uninstall",
    "use_clock",
]


class Wakeup(Protocol):
    """Something a sleep can be cut short by; :class:`threading.Event` is one."""

    def is_set(self) -> bool:
        """Whether the wake-up has already happened."""

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the wake-up happens or ``timeout`` seconds pass; return :meth:`is_set`."""


@runtime_checkable
class Clock(Protocol):
    """The time source of every wait.

    Implement it to run waits on another notion of time; install it with
    :func:`jobv1.testing.use_clock`.
    """

    def monotonic(self) -> float:
        """The current time in seconds, never decreasing."""

    def sleep(self, seconds: float, wakeup: Wakeup | None = None) -> bool:
        """Let ``seconds`` pass, or less if ``wakeup`` happens first.

        Args:
            seconds: A finite duration ``>= 0``.
            wakeup: Cuts the sleep short when it is set; ``None`` for a plain sleep.

        Returns:
            Whether ``wakeup`` is set when the sleep ends.
        """


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
    if not isinstance(clock, Clock):
        raise TypeError(f"clock must have monotonic() and sleep(), not {clock!r}")
    _installed.append(clock)


def uninstall(clock: Clock) -> None:
    """Undo the innermost :func:`install` of ``clock``."""
    for index in range(len(_installed) - 1, -1, -1):
        if _installed[index] is clock:
            del _installed[index]
            return
    raise RuntimeError(f"{clock!r} is not installed")


@contextmanager
def use_clock(clock: Clock) -> Iterator[Clock]:
    """Make every wait, in every thread, use ``clock`` inside the ``with`` block.

    Installations nest; leaving a block restores the clock that was in use
    before it.

    Raises:
        TypeError: ``clock`` has no ``monotonic()`` and ``sleep()``.
    """
    install(clock)
    try:
        yield clock
    finally:
        uninstall(clock)
