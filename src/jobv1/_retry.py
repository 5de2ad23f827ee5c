"""``Retry``: opt-in tolerance of failing status queries."""

from __future__ import annotations

from ._policy import Backoff, _Frozen, as_policy
from ._typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._protocols import PollPolicy

__all__ = ["Retry"]


class Retry(_Frozen):
    """Ride out status queries that fail with the given exceptions.

    By default a wait lets every exception from ``status()`` propagate at
    once. Given ``retry=Retry(ConnectionError)``, it treats a
    ``ConnectionError`` as a missed query instead: it backs off and asks
    again, up to ``max_failures`` failures in a row. The next failure is
    raised, with the failures before it chained to it as its
    ``__context__``. A query that succeeds resets the count. The deadline
    still holds: a wait that times out after a failed query raises
    :class:`~jobv1.JobTimeoutError` from that failure.

    Args:
        *exceptions: The exception classes to ride out; subclasses of
            :class:`Exception`, at least one.
        max_failures: How many failures in a row are ridden out, ``>= 1``.
        backoff: The delays after the first, second... failure in a row:
            seconds or a :class:`~jobv1.PollPolicy`.

    Raises:
        TypeError: An exception class is not a subclass of ``Exception``,
            ``max_failures`` is not an int, or ``backoff`` not a policy.
        ValueError: No exception class is given, or ``max_failures < 1``.
    """

    __slots__ = ("backoff", "exceptions", "max_failures")
    _FIELDS = ("exceptions", "max_failures", "backoff")
    exceptions: tuple[type[Exception], ...]
    max_failures: int
    backoff: PollPolicy

    def __init__(
        self,
        *exceptions: type[Exception],
        max_failures: int = 5,
        backoff: float | PollPolicy = Backoff(initial=0.5, multiplier=2, maximum=30),  # noqa: B008 - immutable
    ) -> None:
        if not exceptions:
            raise ValueError("Retry needs at least one exception class to ride out, got none")
        for exception in exceptions:
            if not (isinstance(exception, type) and issubclass(exception, Exception)):
                raise TypeError(f"exceptions must be subclasses of Exception, not {exception!r}")
        if isinstance(max_failures, bool) or not isinstance(max_failures, int):
            raise TypeError(f"max_failures must be an int, not {max_failures!r}")
        if max_failures < 1:
            raise ValueError(f"max_failures must be >= 1, got {max_failures!r}")
        self._set(
            exceptions=exceptions,
            max_failures=max_failures,
            backoff=as_policy("backoff", backoff),
        )

    def __repr__(self) -> str:
        names = ", ".join(exception.__name__ for exception in self.exceptions)
        return f"Retry({names}, max_failures={self.max_failures!r}, backoff={self.backoff!r})"
