"""What a wait reads of a job, and of its class and backend: the traits the engine goes by.

Below :mod:`jobv1._job`: the loops read these without knowing job classes.
The base class marks its own ``poll_hint()`` and ``watch()`` with :func:`base`,
so that a class that keeps them is known to give no hints and never call
back; every other trait is read from the job or its backend by name.
"""

from __future__ import annotations

import math

from ._checks import real
from ._limit import check_rate_limit
from ._retry import Retry
from ._typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, Final, Protocol, TypeVar

    from ._limit import RateLimit
    from ._status import JobStatus

    F = TypeVar("F", bound=Callable[..., Any])

    class Pollable(Protocol):
        """What the loop needs of a job."""

        def job_id(self) -> str:
            """The job's id, for messages and callbacks."""

        def status(self) -> JobStatus:
            """One status query."""

        def poll_hint(self, status: JobStatus) -> float | None:
            """Seconds the service asks to let pass before the next query, or ``None``."""

        def watch(self, wakeup: Callable[[], object]) -> Callable[[], object] | None:
            """Call ``wakeup()`` when the job ends and return an undo, or ``None``."""


__all__ = [
    "BASE",
    "GROUP",
    "asks_alone",
    "awaits_status",
    "base",
    "batch_of",
    "gives_hints",
    "hints_of",
    "is_async",
    "limit_of",
    "long_poll_of",
    "resync_of",
    "retry_of",
    "status_bound",
    "watches",
    "watches_of",
]

#: The entry-point group where providers register the function that restores
#: their jobs, under the name a job class declares as ``reference_provider``.
GROUP: Final = "jobv1.providers"

#: The attribute that marks the base class's own hooks (:func:`base`).
BASE: Final = "_jobv1_base"


def base(function: F) -> F:
    """Mark ``function`` as the base class's own hook, which a subclass overrides to use it."""
    setattr(function, BASE, True)
    return function


def asks_alone(backend: object) -> bool:
    """Whether a backend's jobs are queried one by one, freely: no batch, limit or retry of its own.

    That is, no ``job_statuses``, ``status_rate_limit``, ``status_retry`` or
    ``notifier`` (a push channel).
    """
    return (
        not callable(getattr(backend, "job_statuses", None))
        and getattr(backend, "status_rate_limit", None) is None
        and getattr(backend, "status_retry", None) is None
        and getattr(backend, "notifier", None) is None
    )


def retry_of(job: Any) -> Retry | None:
    """The retry the job's backend declares as ``status_retry``, if any: the waits' default.

    Raises:
        TypeError: ``status_retry`` is not a :class:`~jobv1.Retry`.
    """
    backend = getattr(job, "_backend", None)
    retry = getattr(backend, "status_retry", None)
    if retry is None or isinstance(retry, Retry):
        return retry
    raise TypeError(f"status_retry of {backend!r} must be a Retry or None, not {retry!r}")


def status_bound(backend: object) -> int | None:
    """How many status queries of its jobs a backend lets run at once (``max_status_in_flight``).

    ``None`` where it says nothing; ``1`` for a client that is not thread-safe.

    Raises:
        TypeError, ValueError: ``max_status_in_flight`` is not an int ``>= 1``.
    """
    bound = getattr(backend, "max_status_in_flight", None)
    if bound is None:
        return None
    if isinstance(bound, bool) or not isinstance(bound, int):
        raise TypeError(
            f"max_status_in_flight of {backend!r} must be an int or None, not {bound!r}"
        )
    if bound < 1:
        raise ValueError(f"max_status_in_flight of {backend!r} must be at least 1, got {bound!r}")
    return bound


def resync_of(job: Any) -> float | None:
    """Every how many seconds a wait queries an event-driven ``job`` all the same, or ``None``.

    Raises:
        TypeError, ValueError: The job's ``resync_interval`` is not ``None``
            or a finite number of seconds ``> 0``.
    """
    seconds = getattr(job, "resync_interval", None)
    return None if seconds is None else _declared(seconds, f"resync_interval of {job!r}")


def _declared(seconds: object, name: str) -> float:
    """``seconds`` as a class declares it under ``name``: a finite number of seconds ``> 0``."""
    number = real(name, seconds)
    if not (0 < number < math.inf):
        raise ValueError(f"{name} must be None or finite seconds > 0, got {seconds!r}")
    return number


def long_poll_of(kind: type) -> float | None:
    """The longest a ``status(wait=...)`` of jobs of class ``kind`` may be held, or ``None``.

    A class declares it as ``status_long_poll``: its ``status()`` then takes
    ``wait=`` seconds, the most the service may hold the query for news.

    Raises:
        TypeError, ValueError: The class's ``status_long_poll`` is not
            ``None`` or a finite number of seconds ``> 0``.
    """
    seconds = getattr(kind, "status_long_poll", None)
    name = "status_long_poll of " + kind.__qualname__  # a class: no repr to pay for
    return None if seconds is None else _declared(seconds, name)


def gives_hints(job: Any) -> bool:
    """Whether the job's ``poll_hint()`` may give hints: not if its class keeps the base one.

    Read from the job's class, on every path of every wait: a function set
    on one job's instance is not looked for (that would cost a look at each
    of 100,000 jobs, or make their ``__dict__``).
    """
    method = getattr(type(job), "poll_hint", None)  # as hints_of(type(job)), one call less
    return method is not None and not getattr(method, BASE, False)


def hints_of(kind: type) -> bool:
    """Whether the ``poll_hint()`` of jobs of class ``kind`` may give hints: :func:`gives_hints`."""
    method = getattr(kind, "poll_hint", None)  # none on a class registered as a JobV1
    return method is not None and not getattr(method, BASE, False)


#: The flag of a code object that an ``async def`` made (``inspect.CO_COROUTINE``,
#: read here without importing :mod:`inspect`).
_CO_COROUTINE = 0x80


def is_async(function: object) -> bool:
    """Whether ``function`` (a bound method too) was written with ``async def``."""
    code = getattr(function, "__code__", None)
    return code is not None and bool(code.co_flags & _CO_COROUTINE)


def awaits_status(kind: type) -> bool:
    """Whether jobs of class ``kind`` have an ``async def status()``: an ``aio`` wait awaits it.

    Read from the class, as :func:`hints_of` is. A blocking wait cannot
    await it, and refuses it as it refuses any answer that is not a status.
    """
    return is_async(getattr(kind, "status", None))


def watches(job: Any) -> bool:
    """Whether the job's ``watch()`` may call back: not if its class keeps the base one.

    Read from the job's class, as :func:`gives_hints` is.
    """
    method = getattr(type(job), "watch", None)  # as watches_of(type(job)), one call less
    return method is not None and not getattr(method, BASE, False)


def watches_of(kind: type) -> bool:
    """Whether the ``watch()`` of jobs of class ``kind`` may call back (:func:`watches`)."""
    method = getattr(kind, "watch", None)  # none on a class registered as a JobV1
    return method is not None and not getattr(method, BASE, False)


def limit_of(job: Any) -> RateLimit | None:
    """The rate limit the job's backend declares as ``status_rate_limit``, if any.

    Raises:
        TypeError: ``status_rate_limit`` is not a :class:`~jobv1.RateLimit`.
    """
    backend = getattr(job, "_backend", None)
    limit = getattr(backend, "status_rate_limit", None)
    if limit is None:  # the common case, with no message made for nothing
        return None
    return check_rate_limit(f"status_rate_limit of {backend!r}", limit)


def batch_of(job: Any) -> tuple[Callable[[Any], Any], int | None] | None:
    """The ``job_statuses`` method of the job's backend, if it has one, to query jobs in batches.

    With it, the most jobs one call takes: the backend's ``max_status_batch``,
    or ``None`` if it declares no limit.

    Raises:
        TypeError, ValueError: ``max_status_batch`` is not an int ``>= 1``.
    """
    backend = getattr(job, "_backend", None)
    method = getattr(backend, "job_statuses", None)
    if not callable(method):
        return None
    largest = getattr(backend, "max_status_batch", None)
    if largest is not None and (isinstance(largest, bool) or not isinstance(largest, int)):
        raise TypeError(f"max_status_batch of {backend!r} must be an int or None, not {largest!r}")
    if largest is not None and largest < 1:
        raise ValueError(f"max_status_batch of {backend!r} must be at least 1, got {largest!r}")
    return method, largest
