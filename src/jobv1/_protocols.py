"""The protocols of jobv1's pluggable parts, checkable with ``isinstance``.

This module imports :mod:`typing`, so ``import jobv1`` does not load it: it
is loaded when one of its names is first used (``jobv1.PollPolicy``,
``jobv1.testing.Clock``...). The library itself checks these shapes by
looking for the methods.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["Clock", "PollPolicy", "Wakeup"]


@runtime_checkable
class PollPolicy(Protocol):
    """Anything that paces a wait: a source of delays between status queries.

    :class:`~jobv1.Backoff` is one. Write your own to pace waits another way;
    every delay it yields must be a finite number of seconds ``>= 0``.
    """

    def delays(self) -> Iterator[float]:
        """A new iterator of the delays, in seconds, before the second, third... query."""


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
