"""Which layout runs a wait on many jobs: the one place that decides.

Every wait on many jobs (``wait``, ``as_completed``, their ``aio`` twins,
the sharded ``settle``) asks :func:`layout` for its loop, and runs it under
either driver (:mod:`jobv1._blocking`, :mod:`jobv1.aio`). The layouts make
the same queries at the same times, call the same hooks in the same order,
and raise the same errors; they differ in what they keep per job:

- :class:`~jobv1._plain.Plain`: jobs polled alike, in lockstep, with no
  record per job;
- :class:`~jobv1._futurewait.FutureWait`: ``FutureJob`` s over plain
  futures, one shared done-callback and an index;
- :class:`~jobv1._polling.Poller`: any jobs and any options (hints,
  batches, rate limits, retries, event-driven jobs of any kind).

The choice reads the wait's options and its jobs' classes (and backends),
never who listens: logging and tracing do not change the layout.
"""

from __future__ import annotations

from operator import attrgetter

from ._futures import FutureJob
from ._futurewait import FutureWait
from ._job import JobV1
from ._options import general
from ._plain import Plain
from ._policy import drawn_once
from ._traits import asks_alone, hints_of, watches_of
from ._typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

    from ._options import Checked
    from ._polling import Poller

__all__ = ["layout", "plain_fits"]

J = TypeVar("J")


def layout(wait: Checked[J]) -> Poller[J] | Plain[J] | FutureWait[J]:
    """The loop for ``wait``, under either driver: the cheapest that fits its jobs and options."""
    if wait.retry is None and len(wait.given) > 1:
        drawn = drawn_once(wait.policy)
        if (
            drawn is not None
            and wait.rate_limit is None
            and len(wait.jobs) > 1
            and plain_fits(wait.jobs, wait.kinds)
        ):
            return Plain(
                wait.jobs,
                clock=wait.clock,
                started=wait.started,
                timeout=wait.timeout,
                drawn=drawn,
                on_status=wait.on_status,
                interrupt=wait.interrupt,
                max_in_flight=wait.max_in_flight,
                errors=wait.errors,
            )
        if _futures_fit(wait.kinds):
            return FutureWait(wait)
    return general(wait)


def plain_fits(jobs: list[Any], kinds: set[Any]) -> bool:
    """Whether every job is a :class:`JobV1` polled alike, on a backend with no batch or limit.

    That is: a job of a class (of ``kinds``, the jobs' classes) that keeps
    the base ``watch()`` and ``poll_hint()``, on a backend with neither
    ``job_statuses`` nor ``status_rate_limit``. Each class and each backend
    is looked at once. (An instance attribute named ``watch`` or
    ``poll_hint`` is not looked for: reading an instance's ``__dict__``
    would make one for each of 100,000 jobs that had none.)
    """
    for kind in kinds:
        if JobV1 not in kind.__mro__ or watches_of(kind) or hints_of(kind):
            return False
    try:
        backends: Iterable[object] = set(map(_BACKEND, jobs))
    except AttributeError:  # a job whose __init__ did not call JobV1's: it has none
        backends = [getattr(job, "_backend", None) for job in jobs]
    except TypeError:  # a backend that cannot be hashed: each looked at once all the same
        backends = {id(backend): backend for backend in map(_BACKEND, jobs)}.values()
    return all(map(asks_alone, backends))


#: A job's backend, as :class:`JobV1` keeps it.
_BACKEND = attrgetter("_backend")


def _futures_fit(kinds: set[Any]) -> bool:
    """Whether every job is a :class:`~jobv1.FutureJob` of a class that keeps its status and watch.

    Only the classes are looked at, so that the call stays short:
    :meth:`FutureWait.steps` looks at each job (its future, its backend)
    while it watches them, a slice at a time, and hands the wait to the
    general loop if one does not fit.
    """
    return all(
        FutureJob in kind.__mro__
        and kind.status is FutureJob.status
        and kind.watch is FutureJob.watch
        for kind in kinds
    )
