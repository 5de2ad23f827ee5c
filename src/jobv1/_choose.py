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

from ._futures import FutureJob
from ._interop import read_status
from ._job import JobV1
from ._plain import Plain
from ._policy import drawn_once
from ._polling import general
from ._status import check_status
from ._traits import asks_alone, awaits_status, hints_of, watches_of
from ._typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

    from ._arguments import Checked
    from ._futurewait import FutureWait
    from ._polling import Poller
    from ._status import JobStatus

__all__ = ["layout", "plain_fits", "read_answer"]

J = TypeVar("J")


def layout(wait: Checked[J]) -> Poller[J] | Plain[J] | FutureWait[J]:
    """The loop for ``wait``, under either driver: the cheapest that fits its jobs and options."""
    options = wait.options
    if options.retry is None and not options.until and len(wait.given) > 1:
        drawn = drawn_once(options.policy)
        if (
            drawn is not None
            and options.rate_limit is None
            and plain_fits(wait.given, wait.kinds)  # the classes first: FutureJobs stop there
            and len(wait.jobs) > 1
        ):
            foreign = not all(JobV1 in kind.__mro__ for kind in wait.kinds)
            return Plain(wait, drawn=drawn, read=read_answer if foreign else check_status)
        if _futures_fit(wait.kinds):
            from ._futurewait import FutureWait  # only waits on FutureJobs load it

            return FutureWait(wait)
    return general(wait)


def plain_fits(jobs: list[Any], kinds: set[Any]) -> bool:
    """Whether every job is polled alike, on a backend with no batch or limit.

    That is, each job is either a :class:`JobV1` of a class (of ``kinds``,
    the jobs' classes) that keeps the base ``watch()`` and ``poll_hint()``
    and whose ``status()`` is no ``async def`` (an ``aio`` wait awaits it)
    and no long-poll (``status_long_poll``),
    on a backend with neither ``job_statuses`` nor ``status_rate_limit``; or
    a job of another library (a class with ``job_id()`` and ``status()``,
    as :func:`~jobv1.as_job` takes) that does not run on a local future,
    which the plain loop asks directly, as its view would. Each class and
    each backend is looked at once. (An instance attribute named ``watch``
    or ``poll_hint`` is not looked for: reading an instance's ``__dict__``
    would make one for each of 100,000 jobs that had none.)
    """
    foreign = False
    for kind in kinds:
        if JobV1 in kind.__mro__:
            if (
                watches_of(kind)
                or hints_of(kind)
                or awaits_status(kind)
                or getattr(kind, "status_long_poll", None) is not None
            ):
                return False
        elif _polled_view(kind):
            foreign = True
        else:
            return False
    if foreign:
        if not _off_futures(jobs):
            return False
        # Another library's job is asked alone, as its view is: its backend is not looked at.
        jobs = [job for job in jobs if JobV1 in type(job).__mro__]
    from operator import attrgetter  # only waits on many jobs load it

    backend_of = attrgetter("_backend")  # a job's backend, as JobV1 keeps it
    try:
        backends: Iterable[object] = set(map(backend_of, jobs))
    except AttributeError:  # a job whose __init__ did not call JobV1's
        backends = [getattr(job, "_backend", None) for job in jobs]
    except TypeError:  # a backend that cannot be hashed: each looked at once all the same
        backends = {id(backend): backend for backend in map(backend_of, jobs)}.values()
    return all(map(asks_alone, backends))


def _polled_view(kind: type) -> bool:
    """Whether jobs of ``kind``, of another library, are polled through a view (:func:`view`).

    A class registered as a virtual subclass of :class:`JobV1` is waited on
    as itself, by the general loop.
    """
    return (
        not issubclass(kind, (JobV1, type))
        and callable(getattr(kind, "job_id", None))
        and callable(getattr(kind, "status", None))
    )


def _off_futures(jobs: list[Any]) -> bool:
    """Whether no job of another library runs on a local future: its view would watch it."""
    for job in jobs:
        future = getattr(job, "_future", None)
        if future is not None and JobV1 not in type(job).__mro__:
            import concurrent.futures

            if isinstance(future, concurrent.futures.Future):
                return False
    return True


def read_answer(job: Any, answer: object) -> JobStatus:
    """A job's answer as a jobv1 :class:`JobStatus`: as its view reads it, if it is foreign.

    A :class:`JobV1`'s answer is checked as every loop checks it
    (:func:`~jobv1._status.check_status`); another library's job's is read
    as :func:`~jobv1.as_job`'s view reads it (a member's name too).
    """
    if JobV1 in type(job).__mro__:
        return check_status(job, answer)
    return read_status(job, answer)


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
