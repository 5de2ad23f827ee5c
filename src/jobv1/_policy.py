"""Polling policies: how long a wait sleeps between two status queries.

A policy is an immutable value; each wait asks it for a fresh iterator of
delays, so one policy object can pace any number of waits at once.
"""

from __future__ import annotations

import itertools
import math

from ._checks import check_seconds, real
from ._status import JobStatus, as_status, is_final
from ._typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from ._protocols import PollPolicy

__all__ = [
    "GRID_TOLERANCE",
    "Backoff",
    "Drawn",
    "Fixed",
    "PerStatus",
    "as_policy",
    "delays_of",
    "drawn_once",
    "follow",
    "next_delay",
    "seconds_of",
]


#: How near to a multiple of a :class:`Backoff`'s cap, as a share of the cap, a query
#: counts as on it: a float sum of delays that misses it by a rounding error lands on it,
#: not an instant before it with a query of no use right after.
GRID_TOLERANCE = 1e-9


class _Frozen:
    """Immutable value behaviour for the policy classes: no assignment after ``__init__``."""

    __slots__ = ()
    #: The constructor's arguments, in their order: what ``==``, ``hash`` and ``repr`` use.
    _FIELDS: tuple[str, ...] = ()

    def _set(self, **fields: object) -> None:
        for name, value in fields.items():
            object.__setattr__(self, name, value)

    def _fields(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self._FIELDS)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._FIELDS)
        return f"{type(self).__name__}({fields})"

    def __reduce__(self) -> tuple[object, ...]:
        # pickle, copy and deepcopy rebuild the value from its checked fields,
        # without the assignments that immutability refuses.
        return _restore, (type(self), dict(zip(self._FIELDS, self._fields(), strict=True)))


def _restore(kind: type[_Frozen], fields: dict[str, object]) -> _Frozen:
    """Rebuild a pickled or copied immutable value."""
    value = object.__new__(kind)
    value._set(**fields)
    return value


class Fixed(_Frozen):
    """The same delay before every query: what a plain number given as ``wait`` means.

    Args:
        interval: Seconds between queries, finite and ``>= 0``.

    Raises:
        TypeError: ``interval`` is not a real number.
        ValueError: ``interval`` is negative, infinite or NaN.
    """

    __slots__ = _FIELDS = ("interval",)
    interval: float

    def __init__(self, interval: float) -> None:
        self._set(interval=check_seconds("interval", interval))

    def delays(self) -> Iterator[float]:
        """``interval`` forever."""
        return itertools.repeat(self.interval)


class Backoff(_Frozen):
    """Exponential backoff with a cap and optional jitter.

    The first delay is ``initial``; each next one is ``multiplier`` times the
    one before, up to ``maximum``, which is never exceeded. With ``jitter``
    ``j``, each delay is multiplied by a random factor in ``(1 - j, 1]``:
    jitter only ever shortens a delay, so the cap holds with jitter too.

    The queries never skip over a multiple of ``maximum``, counted from the
    first query: a delay that would pass one is cut short to land on it. A
    backoff thus asks at least whenever fixed polling every ``maximum``
    seconds would, and never notices a job's end later than that polling
    does, whatever the job's length; it only asks more often while it grows.
    Jitter shortens the delays so cut, and the queries then fall a little
    before the multiples.

    ``Backoff()`` is the recommended default: it notices a job that ends
    after 0.1 s within 0.05 s, never later than polling every 5 s (Qiskit's
    default), and over an hour-long job it costs under 2% more status
    queries than that (``python -m benchmarks.run`` measures both).

    A backoff must be able to grow: ``initial`` is ``> 0`` and, with a
    ``multiplier`` above 1, large enough that multiplying it changes it. (For
    back-to-back queries, pass ``wait=0``.)

    Args:
        initial: The first delay in seconds, ``> 0``.
        multiplier: The growth factor from one delay to the next, ``>= 1``.
        maximum: The cap in seconds, ``>= initial``.
        jitter: The largest fraction a delay is shortened by, in ``[0, 1]``.
        seed: Seeds the :class:`random.Random` drawing the jitter, so that
            every wait using this policy draws the same delays; ``None``
            draws fresh ones for every wait.

    Raises:
        TypeError: An argument is not a real number (``seed``: not an int or None).
        ValueError: An argument is not finite or outside its range.
    """

    __slots__ = ("initial", "jitter", "maximum", "multiplier", "seed")
    _FIELDS = ("initial", "multiplier", "maximum", "jitter", "seed")
    initial: float
    multiplier: float
    maximum: float
    jitter: float
    seed: int | None

    def __init__(
        self,
        initial: float = 0.05,
        multiplier: float = 1.5,
        maximum: float = 5.0,
        jitter: float = 0.0,
        seed: int | None = None,
    ) -> None:
        initial_ = check_seconds("initial", initial)
        multiplier_ = real("multiplier", multiplier)
        if not (math.isfinite(multiplier_) and multiplier_ >= 1):
            raise ValueError(f"multiplier must be finite and >= 1, got {multiplier!r}")
        if initial_ == 0 or (multiplier_ > 1 and initial_ * multiplier_ == initial_):
            raise ValueError(
                f"initial must be > 0 and large enough to grow by multiplier={multiplier!r}, "
                f"got {initial!r}: this backoff would never grow (for back-to-back "
                "queries, pass wait=0)"
            )
        maximum_ = check_seconds("maximum", maximum)
        if maximum_ < initial_:
            raise ValueError(f"maximum must be >= initial ({initial!r}), got {maximum!r}")
        jitter_ = real("jitter", jitter)
        if not 0 <= jitter_ <= 1:
            raise ValueError(f"jitter must be between 0 and 1, got {jitter!r}")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise TypeError(f"seed must be an int or None, not {seed!r}")
        self._set(
            initial=initial_, multiplier=multiplier_, maximum=maximum_, jitter=jitter_, seed=seed
        )

    def delays(self) -> Iterator[float]:
        """The delays: growing from ``initial`` by ``multiplier`` to ``maximum``, jittered.

        Each is cut short where it would pass a multiple of ``maximum``, then jittered.
        """
        delay, cap, jitter = self.initial, self.maximum, self.jitter
        if jitter:
            import random  # only jittered policies pay for it

            draw = random.Random(self.seed).random
        # The time left to the next multiple of the cap. A delay that reaches it, or all
        # but a rounding error of it, lands on it; from one multiple, a delay of the cap
        # lands on the next, so that the sequence settles at the cap for ever.
        left, near = cap, cap * GRID_TOLERANCE
        while True:
            step = delay
            if step >= left - near:
                step, left = left, cap
            else:
                left -= step
            # Jitter shortens the delay after the cut: a jittered delay cut again at
            # the multiple would make two queries a period once the delays reach the cap.
            yield step * (1 - jitter * draw()) if jitter else step
            delay = min(delay * self.multiplier, cap)


class PerStatus(_Frozen):
    """Delays that follow the job's last status: a policy for each status.

    After a query that finds a job in one of the statuses named, the wait
    sleeps that status's policy's next delay; in any other status, the
    ``default``'s. A status's policy starts over each time the job comes
    into the status, so that a backoff for ``RUNNING`` starts short when the
    job starts running, however long it queued. Each job of a wait follows
    its own status.

    Example: at most every 20 minutes while queued, every 3 minutes while
    running::

        PerStatus({JobStatus.QUEUED: 1200, JobStatus.RUNNING: Backoff(maximum=180)})

    A poll hint (``poll_hint()``) still comes first, as with any policy.

    Args:
        policies: The policy for each status: a number of seconds (fixed
            polling) or a policy. The statuses are jobv1's or Qiskit's
            :class:`JobStatus` members, none of them final (nothing follows a
            final status).
        default: The policy for the statuses not named: seconds or a policy.

    Raises:
        TypeError: ``policies`` is not a mapping, one of its keys is not a
            status, or a policy is neither seconds nor a policy.
        ValueError: A status is final, or a number of seconds is out of range.
    """

    __slots__ = ("default", "policies")
    _FIELDS = ("policies", "default")
    #: The policy for each status named, in the order of :class:`JobStatus`.
    policies: tuple[tuple[JobStatus, PollPolicy], ...]
    default: PollPolicy

    def __init__(
        self,
        policies: Mapping[JobStatus, float | PollPolicy],
        default: float | PollPolicy = Backoff(),  # noqa: B008 - immutable
    ) -> None:
        items = getattr(policies, "items", None)
        if not callable(items) or isinstance(policies, type):
            raise TypeError(f"policies must be a mapping of statuses to policies, not {policies!r}")
        chosen: dict[JobStatus, PollPolicy] = {}
        for key, value in items():
            status = as_status(key)
            if status is None:
                raise TypeError(f"policies: {key!r} is not a JobStatus")
            if is_final(status):
                raise ValueError(
                    f"policies: {status.name} is final: no query follows it, so it takes no policy"
                )
            chosen[status] = as_policy(f"policies[{status.name}]", value)
        order = list(JobStatus)
        self._set(
            policies=tuple(sorted(chosen.items(), key=lambda pair: order.index(pair[0]))),
            default=as_policy("default", default),
        )

    def policy_for(self, status: JobStatus | None) -> PollPolicy:
        """The policy that paces a job in ``status`` (``None``: not known yet)."""
        for named, policy in self.policies:
            if named is status:
                return policy
        return self.default

    def delays(self) -> Iterator[float]:
        """One job's delays; a wait tells them each status it reads."""
        return _Following(self)

    def __repr__(self) -> str:
        named = ", ".join(f"JobStatus.{name.name}: {policy!r}" for name, policy in self.policies)
        return f"PerStatus({{{named}}}, default={self.default!r})"


class _Following:
    """The delays of a :class:`PerStatus`: those of the policy for the last status told."""

    __slots__ = ("_delays", "_per", "_policy", "_status")

    def __init__(self, per: PerStatus) -> None:
        self._per = per
        self._status: JobStatus | None = None
        self._policy = per.default
        self._delays: Iterator[float] | None = None

    def __iter__(self) -> Iterator[float]:
        return self

    def seen(self, status: JobStatus | None) -> None:
        """The job's status is ``status`` now: a new one starts its policy over."""
        if status is not self._status or self._delays is None:
            self._status = status
            self._policy = self._per.policy_for(status)
            self._delays = delays_of(self._policy)

    def __next__(self) -> float:
        if self._delays is None:  # asked before any status was told: the default's
            self.seen(None)
        assert self._delays is not None
        return next_delay(self._policy, self._delays)


def follow(delays: Iterator[float], status: JobStatus | None) -> None:
    """Tell a job's ``delays`` its last status, if they follow it (:class:`PerStatus`)."""
    if type(delays) is _Following:
        delays.seen(status)


class Drawn:
    """A policy's delays, drawn once for all the jobs of a wait, each at its own step.

    Only for a policy whose every ``delays()`` gives the same sequence, which
    settles at its ``last`` delay: once that delay comes twice in a row, it
    repeats for ever (:func:`drawn_once` says which policies do). A wait then
    keeps a step count per job rather than an iterator, and the sequence only
    as far as it changes.
    """

    __slots__ = ("draw", "drawn", "last", "settled")

    def __init__(self, policy: PollPolicy, last: float) -> None:
        self.draw = iter(policy.delays()).__next__
        self.drawn = [self.draw()]
        #: The delay the sequence settles at.
        self.last = last
        #: Whether the delays have stopped changing: the last drawn repeats.
        self.settled = False

    def at(self, step: int) -> float:
        """The delay before query ``step + 1`` of a job (step 0: the first delay)."""
        drawn = self.drawn
        while step >= len(drawn) and not self.settled:
            delay = self.draw()
            if delay == drawn[-1] == self.last:
                self.settled = True
            else:
                drawn.append(delay)
        return drawn[step] if step < len(drawn) else drawn[-1]


def drawn_once(policy: PollPolicy) -> Drawn | None:
    """A :class:`Drawn` for ``policy`` if it paces every job alike; else ``None``.

    Those are :class:`Fixed`, and :class:`Backoff` without jitter that grows
    to its cap (one that does not can come short of a multiple of its cap
    again and again, and never settle); not a subclass of either, which may
    draw its delays otherwise.
    """
    if type(policy) is Fixed:
        return Drawn(policy, policy.interval)
    if (
        type(policy) is Backoff
        and not policy.jitter
        and (policy.multiplier > 1 or policy.initial == policy.maximum)
    ):
        return Drawn(policy, policy.maximum)
    return None


def as_policy(name: str, value: object) -> PollPolicy:
    """A policy from what a caller passed as ``name``: a number of seconds or a policy."""
    if isinstance(value, type) and callable(getattr(value, "delays", None)):
        raise TypeError(
            f"{name} must be a number of seconds or a poll policy such as Backoff(), not the "
            f"class {value.__name__}: make one, as in {value.__name__}()"
        )
    if callable(getattr(value, "delays", None)):
        return value  # type: ignore[return-value]
    try:
        return Fixed(check_seconds(name, value))
    except TypeError:
        raise TypeError(
            f"{name} must be a number of seconds or a poll policy such as Backoff(), not {value!r}"
        ) from None


def seconds_of(value: object) -> float | None:
    """``value`` as seconds, by jobv1's one rule for numbers, if finite and ``>= 0``."""
    if type(value) is float or type(value) is int:  # the common case, at no cost
        number = float(value)
    else:
        try:
            number = real("", value)
        except (TypeError, ValueError):
            return None
    return number if 0 <= number < math.inf else None


def delays_of(policy: PollPolicy) -> Iterator[float]:
    """A fresh iterator over the policy's delays; a ``TypeError`` if it gives none."""
    delays = policy.delays()
    try:
        return iter(delays)
    except TypeError:
        raise TypeError(
            f"delays() of the poll policy {policy!r} returned {delays!r}, "
            "which is not an iterable of seconds"
        ) from None


def next_delay(policy: PollPolicy, delays: Iterator[float]) -> float:
    try:
        delay = next(delays)
    except StopIteration:
        raise ValueError(f"poll policy {policy!r} ran out of delays") from None
    seconds = seconds_of(delay)
    if seconds is None:
        raise ValueError(
            f"poll policy {policy!r} gave the delay {delay!r}; "
            "delays must be finite numbers of seconds >= 0"
        )
    return seconds
