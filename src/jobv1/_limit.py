"""A rate limit on status requests, shared by every wait that is given it."""

from __future__ import annotations

import _thread
import math

from ._checks import real
from ._typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._protocols import Clock

__all__ = ["RateLimit", "check_rate_limit", "hold", "turn"]


class RateLimit:
    """At most ``requests`` status requests every ``per`` seconds, however many waits run.

    A token bucket: it holds up to ``burst`` requests, and fills again at
    ``requests / per`` a second. When a request drawn from it fails with a
    delay the service asked for (a Retry-After, as :class:`~jobv1.Retry`
    reads it), no request is drawn from it before that time is over, by
    any wait: the service's backpressure reaches them all. Result fetches
    and cancels draw from it too (:func:`jobv1.result`, :func:`jobv1.cancel`).
    Every wait given the same :class:`RateLimit`
    (through ``rate_limit=``, or by a backend's ``status_rate_limit``)
    draws from it, in any thread and on any event loop: one status query,
    or one batch query, is one request. A query the limit holds back waits
    for its turn; one whose turn would come after the wait's deadline is not
    made, and the wait ends at its deadline as it would have. So in any span
    of ``per`` seconds at most ``requests + burst - 1`` requests are made.

    The limit keeps a bucket for each clock its waits run on: the waits on
    the system's clock share one, and the waits of a test on its own
    virtual clock another, so that a limit declared once for the process
    (a backend's ``status_rate_limit``) serves test after test, each on a
    fresh :class:`~jobv1.testing.FakeClock`. (It keeps the buckets of the 16
    clocks used last; an older clock's bucket starts full again.) It is a
    shared resource, not a value: copying gives the same limit, and pickling
    (say, to a process pool) gives a fresh one with the same settings, for
    that process alone.

    Args:
        requests: How many requests per ``per`` seconds; an int ``>= 1``.
        per: The seconds they are counted over; finite and ``> 0``.
        burst: How many requests may be made at once after a quiet spell;
            an int ``>= 1``.

    Raises:
        TypeError: An argument is of the wrong type.
        ValueError: An argument is out of range.
    """

    __slots__ = ("_buckets", "_lock", "_slack", "_step", "burst", "per", "requests")

    requests: int
    per: float
    burst: int

    def __init__(self, requests: int, per: float = 1.0, *, burst: int = 1) -> None:
        for name, count in (("requests", requests), ("burst", burst)):
            if isinstance(count, bool) or not isinstance(count, int):
                raise TypeError(f"{name} must be an int, not {count!r}")
            if count < 1:
                raise ValueError(f"{name} must be at least 1, got {count!r}")
        seconds = real("per", per)
        if not 0 < seconds < math.inf:
            raise ValueError(f"per must be a finite number of seconds > 0, got {per!r}")
        self.requests, self.per, self.burst = requests, seconds, burst
        #: Seconds between two requests at the steady rate.
        self._step = seconds / requests
        #: How far ahead of the steady rate a burst may run.
        self._slack = self._step * (burst - 1)
        #: For each clock, by its id: the clock (kept, so that its id stays its
        #: own) and when the next request would be due on it at the steady rate.
        self._buckets: dict[int, tuple[object, float]] = {}
        self._lock = _thread.allocate_lock()

    def reserve(self, now: float, until: float, clock: object = None) -> float | None:
        """Reserve the next request's turn: the time it may be made, or ``None`` if after ``until``.

        Args:
            now: The time on ``clock``.
            until: The latest turn worth having (a wait's deadline).
            clock: The clock of the wait asking, whose bucket it draws from.
        """
        with self._lock:
            buckets = self._buckets
            found = buckets.get(id(clock))
            due = now if found is None else max(found[1], now)
            turn = max(now, due - self._slack)
            if turn > until:
                return None
            if found is None and len(buckets) >= _CLOCKS:
                del buckets[next(iter(buckets))]  # the bucket of the clock used longest ago
            buckets.pop(id(clock), None)  # last in the order: used last
            buckets[id(clock)] = (clock, due + self._step)
            return turn

    def hold(self, until: float, clock: object = None) -> None:
        """Let no request be made before ``until`` on ``clock``: the service asked for a pause.

        A query that failed with a delay the service gave (a Retry-After on
        a 429 or a 503) pauses every wait that draws from this limit, not
        only the query that was told.

        Args:
            until: The time on ``clock`` before which no turn is given.
            clock: The clock of the wait that was told, whose bucket it holds.
        """
        with self._lock:
            buckets = self._buckets
            found = buckets.pop(id(clock), None)
            held = until + self._slack  # the next turn comes at ``until``, no earlier
            if found is None and len(buckets) >= _CLOCKS:
                del buckets[next(iter(buckets))]  # the bucket of the clock used longest ago
            buckets[id(clock)] = (clock, held if found is None else max(found[1], held))

    def __copy__(self) -> RateLimit:
        return self

    def __deepcopy__(self, memo: object) -> RateLimit:
        return self

    def __reduce__(self) -> tuple[object, ...]:
        return _fresh, (self.requests, self.per, self.burst)

    def __repr__(self) -> str:
        return f"RateLimit({self.requests}, per={self.per!r}, burst={self.burst})"


#: How many clocks' buckets a limit keeps.
_CLOCKS = 16


def _fresh(requests: int, per: float, burst: int) -> RateLimit:
    """A limit with these settings and nothing reserved: what unpickling gives."""
    return RateLimit(requests, per, burst=burst)


def check_rate_limit(name: str, value: object) -> RateLimit | None:
    """``value`` if it is a :class:`RateLimit` or ``None``; else a ``TypeError`` naming ``name``."""
    if value is not None and not isinstance(value, RateLimit):
        raise TypeError(f"{name} must be a RateLimit or None, not {value!r}")
    return value


def turn(
    limits: tuple[RateLimit | None, RateLimit | None], clock: Clock, deadline: float | None
) -> float | None:
    """Reserve a request's turn with each of ``limits`` (each once): when, or ``None``.

    ``None`` when a turn would come after the ``deadline``: then nothing is
    reserved with the limits after the one that refused.
    """
    now = clock.monotonic()
    until = math.inf if deadline is None else max(deadline, now)
    when = now
    for limit in dict.fromkeys(limits):  # each limit once
        if limit is not None:
            reserved = limit.reserve(now, until, clock)
            if reserved is None:
                return None
            when = max(when, reserved)
    return when


def hold(limits: tuple[RateLimit | None, ...], until: float, clock: Clock) -> None:
    """Hold each of ``limits`` until ``until`` on ``clock``: the service asked for a pause."""
    for limit in limits:
        if limit is not None:
            limit.hold(until, clock)
