"""Polling policies: how long a wait sleeps between two status queries.

A policy is an immutable value; each wait asks it for a fresh iterator of
delays, so one policy object can pace any number of waits at once.
"""

from __future__ import annotations

import itertools
import math

from ._checks import check_seconds, real
from ._typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ._protocols import PollPolicy

__all__ = [
    "Backoff",
    "Drawn",
    "Fixed",
    "as_policy",
    "delays_of",
    "drawn_once",
    "next_delay",
    "seconds_of",
]


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

    ``Backoff()`` is the recommended default: it notices a job that ends
    after 0.1 s within 0.05 s, and over an hour-long job it costs under 3%
    more status queries than polling every 5 s (``python benchmarks/run.py``
    measures both).

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
        """The delays: growing from ``initial`` by ``multiplier`` to ``maximum``, jittered."""
        delay = self.initial
        if self.jitter:
            import random  # only jittered policies pay for it

            draw = random.Random(self.seed).random
        while True:
            yield delay * (1 - self.jitter * draw()) if self.jitter else delay
            delay = min(delay * self.multiplier, self.maximum)


class Drawn:
    """A policy's delays, drawn once for all the jobs of a wait, each at its own step.

    Only for a policy whose every ``delays()`` gives the same sequence, in
    which a delay equal to the one before repeats for ever (:func:`drawn_once`
    says which): a wait then keeps a step count per job rather than an
    iterator, and the sequence only as far as it changes.
    """

    __slots__ = ("draw", "drawn", "settled")

    def __init__(self, policy: PollPolicy) -> None:
        self.draw = iter(policy.delays()).__next__
        self.drawn = [self.draw()]
        #: Whether the delays have stopped changing: the last drawn repeats.
        self.settled = False

    def at(self, step: int) -> float:
        """The delay before query ``step + 1`` of a job (step 0: the first delay)."""
        drawn = self.drawn
        while step >= len(drawn) and not self.settled:
            delay = self.draw()
            if delay == drawn[-1]:
                self.settled = True
            else:
                drawn.append(delay)
        return drawn[step] if step < len(drawn) else drawn[-1]


def drawn_once(policy: PollPolicy) -> Drawn | None:
    """A :class:`Drawn` for ``policy`` if it paces every job alike; else ``None``.

    Those are :class:`Fixed`, and :class:`Backoff` without jitter; not a
    subclass of either, which may draw its delays otherwise.
    """
    if type(policy) is Fixed or (type(policy) is Backoff and not policy.jitter):
        return Drawn(policy)
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
