"""What paces a job's queries: its poll hints, and its policy's delays, read and checked."""

from __future__ import annotations

import math

from ._checks import real
from ._requests import StopIterationError
from ._status import as_status, is_final
from ._typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ._protocols import PollPolicy
    from ._traits import Pollable

__all__ = ["delays_of", "hint_of", "next_delay", "past_range", "read_hint", "seconds_of"]


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


class _Failed:
    """A ``poll_hint()`` that raised, kept to be raised in the waiting thread."""

    __slots__ = ("error",)

    def __init__(self, error: Exception) -> None:
        self.error = error


def hint_of(job: Pollable, answer: object) -> object:
    """Ask ``job`` for its poll hint after a query answered ``answer``, if that is pending.

    This runs where the query ran; what it returns is read by :func:`_hint`.
    """
    status = as_status(answer)
    if status is None or is_final(status):  # not a status (the loop raises for it), or final
        return None
    try:
        return job.poll_hint(status)
    except Exception as error:  # raised by the loop, which would have called it
        return _Failed(error)


def read_hint(job: Pollable, hint: object) -> float | None:
    """The seconds of a poll hint as :func:`hint_of` gave it; raise what ``poll_hint()`` raised."""
    if hint is None:
        return None
    if isinstance(hint, _Failed):
        if isinstance(hint.error, StopIteration):
            raise StopIterationError("poll_hint()", hint.error)
        raise hint.error
    seconds = seconds_of(hint)
    if seconds is None:
        raise ValueError(
            f"poll_hint() of job {job.job_id()!r} returned {hint!r}; "
            "it must be None or a finite number of seconds >= 0"
        )
    return seconds


def past_range(job: Pollable, delay: float, now: float) -> ValueError:
    """The error for a delay that, added to the clock's time ``now``, overflows it."""
    return ValueError(
        f"a delay of {delay!r} s before the next query of job {job.job_id()!r} "
        f"goes past the end of the clock's range (it reads {now!r})"
    )


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
