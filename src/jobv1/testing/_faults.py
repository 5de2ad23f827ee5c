"""Faults for a fake HTTP service, on the clock a test runs on: 429, 503, outages, slow answers.

A test fakes its provider's HTTP API with a handler (an ``httpx.MockTransport``,
a ``requests`` adapter, ``responses``) and asks a :class:`Faults` plan, once
per request, what that request meets. The plan knows nothing of any HTTP
library: it says which status and headers to answer with, whether the
connection is refused, and makes a slow answer take its time on the clock
(a :class:`~jobv1.testing.FakeClock` moves at once).
"""

from __future__ import annotations

import threading

from .._checks import check_seconds
from .._clock import current_clock
from .._typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["Fault", "Faults"]


class Fault:
    """What one request of a fake service meets: see :meth:`Faults.next`.

    Args:
        status: The HTTP status to answer with instead of the service's
            answer (``429``, ``503``); ``None`` to answer as the service does.
        headers: Headers to answer with (``Retry-After``).
        refused: Whether the connection is refused: the handler raises its
            library's connection error, and nothing is answered.
        delay: Seconds the answer took, on the clock (already slept).
    """

    __slots__ = ("delay", "headers", "refused", "status")

    def __init__(
        self,
        status: int | None = None,
        headers: dict[str, str] | None = None,
        *,
        refused: bool = False,
        delay: float = 0.0,
    ) -> None:
        self.status = status
        self.headers = {} if headers is None else headers
        self.refused = refused
        self.delay = delay

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Fault):
            return NotImplemented
        return (self.status, self.headers, self.refused, self.delay) == (
            other.status,
            other.headers,
            other.refused,
            other.delay,
        )

    __hash__ = None  # type: ignore[assignment]  # equal by value, and mutable

    def __repr__(self) -> str:
        parts = [f"status={self.status!r}"] if self.status is not None else []
        parts += [f"headers={self.headers!r}"] if self.headers else []
        parts += ["refused=True"] if self.refused else []
        parts += [f"delay={self.delay!r}"] if self.delay else []
        return f"Fault({', '.join(parts)})"


def _count(times: object) -> int:
    if isinstance(times, bool) or not isinstance(times, int):
        raise TypeError(f"times must be an int, not {times!r}")
    if times < 1:
        raise ValueError(f"times must be at least 1, got {times!r}")
    return times


class Faults:
    """A plan of faults for the next requests of a fake service, read on the current clock.

    Each method adds to the plan and returns it, so that calls chain. The
    faults that answer (429, 503) and the slow answers are met by the next
    requests, in the order they were planned; an outage refuses every
    request from now until it is over, on the clock, whatever else is
    planned. The handler calls :meth:`next` once per request. Safe to use
    from the worker threads of a wait.

    Example::

        faults = Faults().too_many(retry_after=2).unavailable(times=3).outage(5)
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._planned: list[Callable[[], Fault]] = []
        self._down_until = -float("inf")
        #: Every fault met so far, with the clock's time it was met at.
        self.met: list[tuple[float, Fault]] = []

    def too_many(
        self, *, retry_after: float = 1.0, http_date: bool = False, times: int = 1
    ) -> Faults:
        """The next ``times`` requests are answered 429, asking for ``retry_after`` seconds.

        Args:
            retry_after: The seconds ``Retry-After`` asks for.
            http_date: Send ``Retry-After`` as an HTTP date (that many seconds
                from now by the system's wall clock, as a client parses it)
                rather than a number of seconds.
            times: How many requests meet it.
        """
        return self._plan(429, retry_after, http_date, times)

    def unavailable(
        self, *, retry_after: float | None = None, http_date: bool = False, times: int = 1
    ) -> Faults:
        """The next ``times`` requests are answered 503, with ``Retry-After`` if given."""
        return self._plan(503, retry_after, http_date, times)

    def slow(self, seconds: float, *, times: int = 1) -> Faults:
        """The next ``times`` requests take ``seconds`` on the clock before they are answered."""
        delay = check_seconds("seconds", seconds)
        self._add(lambda: Fault(delay=delay), _count(times))
        return self

    def outage(self, seconds: float) -> Faults:
        """Refuse every request from now until ``seconds`` later, on the clock."""
        length = check_seconds("seconds", seconds)
        with self._lock:
            self._down_until = current_clock().monotonic() + length
        return self

    def next(self) -> Fault | None:
        """What the request being handled meets: a :class:`Fault`, or ``None`` for nothing.

        A slow answer's delay is slept here, on the current clock, before it
        returns. Call it once per request, from the handler.
        """
        clock = current_clock()
        with self._lock:
            now = clock.monotonic()
            if now < self._down_until:
                fault: Fault | None = Fault(refused=True)
            elif self._planned:
                fault = self._planned.pop(0)()
            else:
                fault = None
            if fault is not None:
                self.met.append((now, fault))
        if fault is not None and fault.delay:
            clock.sleep(fault.delay)
        return fault

    def _plan(self, status: int, seconds: float | None, http_date: bool, times: int) -> Faults:
        if not isinstance(http_date, bool):
            raise TypeError(f"http_date must be a bool, not {http_date!r}")
        count = _count(times)
        if seconds is None:
            self._add(lambda: Fault(status), count)
            return self
        delay = check_seconds("retry_after", seconds)

        def fault() -> Fault:
            if http_date:
                import email.utils
                import time

                value = email.utils.formatdate(time.time() + delay, usegmt=True)
            else:
                value = f"{delay:g}"
            return Fault(status, {"Retry-After": value})

        self._add(fault, count)
        return self

    def _add(self, make: Callable[[], Fault], times: int) -> None:
        with self._lock:
            self._planned.extend([make] * times)

    def __repr__(self) -> str:
        return f"<Faults: {len(self._planned)} planned, {len(self.met)} met>"
