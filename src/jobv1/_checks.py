"""Argument checks shared by every public entry point.

Each check raises ``TypeError`` for a value of the wrong kind and ``ValueError``
for a value of the right kind out of range; both messages name the argument and
show the value.
"""

from __future__ import annotations

import math

from ._typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

__all__ = ["check_callable", "check_seconds", "check_timeout", "real"]


def real(name: str, value: object) -> float:
    """Return ``value`` as a float if it is a real number (``bool`` is not), else raise."""
    if isinstance(value, bool) or not (isinstance(value, (int, float)) or _is_real_like(value)):
        raise TypeError(f"{name} must be a real number, not {value!r}")
    number = float(value)  # type: ignore[arg-type]
    if math.isnan(number):
        raise ValueError(f"{name} must not be NaN, got {value!r}")
    return number


def _is_real_like(value: object) -> bool:
    # Fraction, Decimal and NumPy scalars register with numbers.Real; check the
    # ABC only once the cheap test failed, so the common path imports nothing.
    import numbers

    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_seconds(name: str, value: object) -> float:
    """A finite, non-negative duration in seconds."""
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
