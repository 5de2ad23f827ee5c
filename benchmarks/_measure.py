"""Shared measuring helpers: sides run in turn (A B A B), figures as median and range."""

from __future__ import annotations

import statistics
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable


def interleaved(sides: dict[str, Callable[[], float]], runs: int) -> dict[str, list[float]]:
    """Run each side ``runs`` times, in turn, so that a noisy moment hits every side alike."""
    results: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(runs):
        for name, side in sides.items():
            results[name].append(side())
    return results


def spread(values: list[float], unit: str = "", digits: int = 2) -> str:
    """``median (min-max)`` of ``values``, with ``unit``."""
    middle, low, high = statistics.median(values), min(values), max(values)
    return f"{middle:.{digits}f}{unit} ({low:.{digits}f}-{high:.{digits}f})"


def per_call(function: Callable[[], object], calls: int) -> float:
    """Microseconds per call of ``function``, over ``calls`` calls."""
    start = time.perf_counter()
    for _ in range(calls):
        function()
    return 1e6 * (time.perf_counter() - start) / calls
