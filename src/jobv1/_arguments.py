"""A wait's arguments, checked: the one set of checks every wait's arguments pass."""

from __future__ import annotations

from ._checks import check_callable, check_timeout
from ._interrupt import Interrupt
from ._limit import RateLimit, check_rate_limit
from ._policy import as_policy
from ._retry import Retry
from ._typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._protocols import PollPolicy

__all__ = ["check_wait"]


def check_wait(
    *,
    timeout: object,
    poll: tuple[str, object],
    callback: object,
    on_status: object,
    retry: object,
    interrupt: object,
    max_in_flight: object,
    rate_limit: object,
) -> tuple[float | None, PollPolicy, int, RateLimit | None]:
    """Check a wait's arguments, naming any that is bad: raise, or return four of them as read.

    ``poll`` is the name the caller gave the policy argument, and its value.

    Returns:
        The timeout in seconds (or ``None``), the poll policy, ``max_in_flight``,
        and the rate limit.
    """
    limit = check_timeout(timeout)
    policy = as_policy(*poll)
    if isinstance(max_in_flight, bool) or not isinstance(max_in_flight, int):
        raise TypeError(f"max_in_flight must be an int, not {max_in_flight!r}")
    if max_in_flight < 1:
        raise ValueError(f"max_in_flight must be at least 1, got {max_in_flight!r}")
    shared = check_rate_limit("rate_limit", rate_limit)
    check_callable("callback", callback)
    check_callable("on_status", on_status)
    if retry is not None and not isinstance(retry, Retry):
        raise TypeError(f"retry must be a Retry or None, not {retry!r}")
    if interrupt is not None and not isinstance(interrupt, Interrupt):
        raise TypeError(f"interrupt must be an Interrupt or None, not {interrupt!r}")
    return limit, policy, max_in_flight, shared
