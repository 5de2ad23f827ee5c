"""Argument checks shared by every public entry point.

Each check raises ``TypeError`` for a value of the wrong kind and ``ValueError``
for a value of the right kind out of range; both messages name the argument and
show the value.
"""

from __future__ import annotations

import math

from ._typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

#: What a renamed argument holds.
T = TypeVar("T")

__all__ = [
    "EXACT_SECONDS",
    "check_callable",
    "check_seconds",
    "check_timeout",
    "real",
    "renamed",
]


def real(name: str, value: object) -> float:
    """``value`` as a float, by the one rule jobv1 has for numbers; else raise.

    A number is an ``int`` or a ``float``, or any other real number: a
    :class:`fractions.Fraction`, a :class:`decimal.Decimal`, a NumPy scalar.
    ``bool`` is not a number here. NaN is refused, and so is a number too
    large for a float (``10**400``), which would otherwise become infinite
    without saying so.

    Raises:
        TypeError: ``value`` is not a real number.
        ValueError: ``value`` is NaN, or too large for a float.
    """
    if isinstance(value, bool) or not (isinstance(value, (int, float)) or _is_real_like(value)):
        raise TypeError(f"{name} must be a real number, not {value!r}")
    try:
        number = float(value)  # type: ignore[arg-type]
    except OverflowError:
        raise ValueError(f"{name} is too large for a float, got {value!r}") from None
    if math.isnan(number):
        raise ValueError(f"{name} must not be NaN, got {value!r}")
    if math.isinf(number) and not (isinstance(value, float) or _is_infinite(value)):
        raise ValueError(f"{name} is too large for a float, got {value!r}")
    return number


def _is_real_like(value: object) -> bool:
    # Fraction and NumPy scalars register with numbers.Real, Decimal does not; check
    # them only once the cheap test failed, so the common path imports nothing.
    import decimal
    import numbers

    return isinstance(value, (numbers.Real, decimal.Decimal)) and not isinstance(value, bool)


def _is_infinite(value: object) -> bool:
    """Whether a number that is not a Python float is itself infinite (``Decimal("inf")``)."""
    is_infinite = getattr(value, "is_infinite", None)  # Decimal's: its float may be inf
    if callable(is_infinite):
        return bool(is_infinite())
    return math.isinf(value)  # type: ignore[arg-type]  # NumPy scalars


#: The most seconds :func:`check_seconds` takes without a closer look (exact in a float).
EXACT_SECONDS = 2.0**53


def check_seconds(name: str, value: object) -> float:
    """A finite, non-negative duration in seconds."""
    if (type(value) is int or type(value) is float) and 0 <= value <= EXACT_SECONDS:
        return float(value)  # the common case, at no cost (NaN fails the test)
    number = real(name, value)
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"{name} must be a finite number of seconds >= 0, got {value!r}")
    return number


def check_timeout(value: object) -> float | None:
    """``None`` (no deadline) or any real number but NaN; ``<= 0`` means already due."""
    if value is None:
        return None
    return real("timeout", value)


def check_callable(name: str, value: object) -> Callable[..., Any] | None:
    """``None`` or a callable."""
    if value is not None and not callable(value):
        raise TypeError(f"{name} must be callable or None, not {value!r}")
    return value


def renamed(old: str, given: T | None, new: str, value: T, default: object) -> T:
    """The value of an argument renamed from ``old`` to ``new``, under either name.

    ``given`` is what the caller passed under the old name (``None``: nothing),
    ``value`` what it passed under the new one, whose default is ``default``.
    The old name still works, with a :class:`DeprecationWarning`.

    Raises:
        TypeError: Both names were given.
    """
    if given is None:
        return value
    if value is not default:
        raise TypeError(f"{old}= is the old name of {new}=: give {new}= alone, not both")
    import warnings

    warnings.warn(
        f"{old}= is deprecated; it is called {new}= now", DeprecationWarning, stacklevel=3
    )
    return given
