"""``Retry``: opt-in tolerance of failing status queries and result fetches."""

from __future__ import annotations

import itertools

from ._checks import check_callable, check_seconds
from ._policy import Backoff, _Frozen, as_policy, delays_of, next_delay
from ._typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from ._protocols import PollPolicy

__all__ = ["Retry", "Tries", "chained"]


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

    ``predicate`` reads the failure itself, to ride out some errors of a
    class and not others (an HTTP 503, not a 404); ``retry_after`` takes
    the delay from the failure (an HTTP 429's ``Retry-After``) instead of
    from ``backoff``. :func:`jobv1.result` rides out failures of the result
    fetch by the same rules.

    Args:
        *exceptions: The exception classes to ride out; subclasses of
            :class:`Exception`, at least one.
        max_failures: How many failures in a row are ridden out, ``>= 1``.
        backoff: The delays after the first, second... failure in a row:
            seconds or a :class:`~jobv1.PollPolicy`.
        predicate: Called as ``predicate(failure)`` with a failure of one of
            ``exceptions``: it is ridden out only if this returns true.
            ``None`` rides out every one.
        retry_after: Called as ``retry_after(failure)`` with a failure
            ridden out: the seconds to let pass before the next try
            (a finite number ``>= 0``), or ``None`` to follow ``backoff``.
            A delay it gives does not use up a step of ``backoff``.

    Raises:
        TypeError: An exception class is not a subclass of ``Exception``,
            ``max_failures`` is not an int, ``backoff`` not a policy, or
            ``predicate`` or ``retry_after`` not callable.
        ValueError: No exception class is given, or ``max_failures < 1``.
    """

    __slots__ = ("backoff", "exceptions", "max_failures", "predicate", "retry_after")
    _FIELDS = ("exceptions", "max_failures", "backoff", "predicate", "retry_after")
    exceptions: tuple[type[Exception], ...]
    max_failures: int
    backoff: PollPolicy
    predicate: Callable[[Exception], object] | None
    retry_after: Callable[[Exception], object] | None

    def __init__(
        self,
        *exceptions: type[Exception],
        max_failures: int = 5,
        backoff: float | PollPolicy = Backoff(initial=0.5, multiplier=2, maximum=30),  # noqa: B008 - immutable
        predicate: Callable[[Exception], object] | None = None,
        retry_after: Callable[[Exception], object] | None = None,
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
        policy = as_policy("backoff", backoff)
        self._set(
            exceptions=exceptions,
            max_failures=max_failures,
            backoff=policy,
            predicate=check_callable("predicate", predicate),
            retry_after=check_callable("retry_after", retry_after),
        )

    def rides_out(self, failure: BaseException) -> bool:
        """Whether ``failure`` is one to ride out: of ``exceptions``, and ``predicate`` agrees.

        An exception ``predicate`` raises is raised here.
        """
        if not isinstance(failure, self.exceptions):
            return False
        return self.predicate is None or bool(self.predicate(failure))

    def delay_after(self, failure: Exception) -> float | None:
        """The seconds ``retry_after`` takes from ``failure``, or ``None`` to follow ``backoff``.

        Raises:
            TypeError, ValueError: ``retry_after`` gave something that is not
                ``None`` or a finite number of seconds ``>= 0``.
        """
        if self.retry_after is None:
            return None
        seconds = self.retry_after(failure)
        if seconds is None:
            return None
        return check_seconds(f"retry_after({failure!r})", seconds)

    def __repr__(self) -> str:
        names = ", ".join(exception.__name__ for exception in self.exceptions)
        extra = "".join(
            f", {name}={getattr(self, name)!r}"
            for name in ("predicate", "retry_after")
            if getattr(self, name) is not None
        )
        return (
            f"Retry({names}, max_failures={self.max_failures!r}, backoff={self.backoff!r}{extra})"
        )


def chained(failures: list[Exception]) -> Exception:
    """The last failure, with each earlier one as the ``__context__`` of the next."""
    for earlier, later in itertools.pairwise(failures):
        if later is not earlier and later.__context__ is None:
            later.__context__ = earlier
    return failures[-1]


class Tries:
    """The failures in a row of one job's calls under a :class:`Retry`: the one retry state.

    A job's status queries keep one while they fail (the loop drops it at the
    next answer), and so does a result fetch: both count, give up and pace
    their tries by the same rules, written here once.

    Args:
        retry: The rules.
    """

    __slots__ = ("_delays", "asked", "failures", "retry")

    def __init__(self, retry: Retry) -> None:
        self.retry = retry
        #: The failures so far, the last one last.
        self.failures: list[Exception] = []
        # The backoff's delays, drawn from the first failure that needs one.
        self._delays: Iterator[float] | None = None
        #: Whether the last :meth:`delay` is one the failure asked for (``retry_after``).
        self.asked = False

    def failed(self, failure: Exception) -> int:
        """Count ``failure``, which :meth:`Retry.rides_out`; return how many there are now.

        Raises:
            Exception: The failure one past ``max_failures``, with the
                failures before it chained (:func:`chained`).
        """
        self.failures.append(failure)
        if len(self.failures) > self.retry.max_failures:
            raise chained(self.failures)
        return len(self.failures)

    def delay(self) -> float:
        """The seconds to let pass after the last failure: ``retry_after``'s, else the backoff's."""
        retry = self.retry
        delay = retry.delay_after(self.failures[-1])
        self.asked = delay is not None
        if delay is None:
            if self._delays is None:
                self._delays = delays_of(retry.backoff)
            delay = next_delay(retry.backoff, self._delays)
        return delay
