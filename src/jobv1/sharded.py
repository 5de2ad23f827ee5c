"""Waits sharded over many processes or machines: :func:`gather` on any executor, Dask's included.

When one process is not enough to wait on every job (tens of thousands of
them, a fleet of workers), save the jobs as references
(:meth:`~jobv1.JobV1.to_reference`) and have an executor's workers wait on
them in shards: each shard restores its jobs (:func:`jobv1.restore`),
waits on them with jobv1's loop, and sends back what became of each. The
executor is any :class:`concurrent.futures.Executor`: a Dask cluster's
(``client.get_executor()``), a ``ProcessPoolExecutor``, a thread pool.

One deadline holds for every shard. It travels as a time on the wall clock
(seconds since the epoch), since a monotonic clock means nothing in
another process, let alone on another machine: the machines' clocks must
agree to within the precision the deadline needs.

Example::

    from dask.distributed import Client
    import jobv1.sharded

    with Client(cluster) as client:
        settled = jobv1.sharded.gather(references, client.get_executor(), shards=16, timeout=600)
    failed = [one for one in settled if one.error is not None]
"""

from __future__ import annotations

import concurrent.futures
import math
import pickle
import time
from typing import TYPE_CHECKING, Any, NamedTuple

from ._checks import check_seconds, check_timeout, renamed
from ._choose import layout
from ._clock import current_clock, waited
from ._errors import JobError, JobTimeoutError
from ._interop import as_job
from ._lifecycle import fetch_here, fetching
from ._options import DEFAULT_POLL, check_many
from ._policy import as_policy
from ._reference import check_reference, restore
from ._status import JobStatus

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ._protocols import PollPolicy

__all__ = ["GRACE_SECONDS", "Settled", "gather", "settle"]

#: Seconds :func:`gather` waits past the deadline for a shard to report, by
#: default: time for the shards' last queries and result fetches.
GRACE_SECONDS = 30.0


class Settled(NamedTuple):
    """What became of one job of a sharded wait.

    A job is either final, with its ``status`` (and, if ``DONE``, its
    ``result``), or it is not: ``status`` is ``None`` and ``error`` says why
    (a :class:`~jobv1.JobTimeoutError` at the deadline, the error of the
    restore or of the shard).
    """

    #: The job's reference, as it was given.
    reference: dict[str, Any]
    #: Its final status, or ``None`` if it did not end by the deadline.
    status: JobStatus | None
    #: Its result, if it ended ``DONE`` and results were asked for; else ``None``.
    result: Any
    #: The error, or ``None``. ``JobFailedError`` for a job that ended in
    #: ``ERROR``, ``JobCancelledError`` for one cancelled, else the error of
    #: its ``result()``, of the restore, or of the shard. The error's own
    #: cause comes along when it can be pickled.
    error: BaseException | None


def _portable(error: BaseException) -> BaseException:
    """``error``, made to cross a process boundary with its cause, or a JobError telling it."""
    cause = error.__cause__
    if cause is not None:
        error.__dict__["__cause__"] = cause  # pickle keeps __dict__, and sets it back
    try:
        pickle.dumps(error)
    except Exception:  # anything that cannot be sent is told as text
        error.__dict__.pop("__cause__", None)
        told = f"{type(error).__name__}: {error}"
        if cause is not None:
            told += f" (from {type(cause).__name__}: {cause})"
        return JobError(told)
    return error


def settle(
    references: list[dict[str, Any]],
    until: float | None,
    poll: float | PollPolicy = DEFAULT_POLL,
    results: bool = True,
) -> list[Settled]:
    """Wait on one shard of references until ``until``, in this process; what became of each.

    This is what :func:`gather` runs on the executor's workers; it can be
    called directly, on any list of references.

    Args:
        references: The references of the shard's jobs.
        until: The deadline, in seconds since the epoch (``time.time()``),
            or ``None`` to wait until every job ends. A deadline already past
            still gives each job one query.
        poll: As for :func:`jobv1.wait`.
        results: Whether to fetch the result of each job that ends ``DONE``.

    Returns:
        One :class:`Settled` per reference, in their order. Each job's
        outcome stands alone: a job whose status query fails (or answers
        what is not a status) has that failure as its error, and the wait
        goes on for the others; so does a job whose result fetch fails, or
        whose result cannot cross to another process. (Jobs asked in one
        batch request share its failure.) At the deadline, the jobs not
        final get a :class:`~jobv1.JobTimeoutError`.
    """
    settled: list[Settled | None] = [None] * len(references)
    # The indices of each job restored (a provider may restore two references as one job).
    indices: dict[int, list[int]] = {}
    jobs: list[Any] = []
    for index, reference in enumerate(references):
        try:
            job = restore(reference)
        except Exception as error:  # told in the job's Settled
            settled[index] = Settled(reference, None, None, _portable(error))
            continue
        jobs.append(job)  # the wait takes a job given twice once
        indices.setdefault(id(job), []).append(index)
    # the time left, on this process's clock
    timeout = None if until is None else max(0.0, until - time.time())
    poller = layout(
        check_many(
            jobs,
            timeout=timeout,
            poll=poll,
            on_status=None,
            retry=None,
            interrupt=None,
            max_in_flight=8,
            rate_limit=None,
        )
    )
    clock = current_clock()
    try:
        for finished in poller:
            for job, status in finished:
                failure = poller.failure_of(job)
                for index in indices[id(job)]:
                    settled[index] = (
                        _ended(references[index], job, status, results, clock)
                        if failure is None
                        else Settled(references[index], None, None, _portable(failure))
                    )
    except Exception as error:  # the deadline, or what no job owns: told to the jobs left
        late = _portable(error)
        settled = [
            Settled(reference, None, None, late) if one is None else one
            for reference, one in zip(references, settled, strict=True)
        ]
    return [one for one in settled if one is not None]


def gather(
    references: Iterable[dict[str, Any]],
    executor: concurrent.futures.Executor,
    *,
    shards: int,
    timeout: float | None = None,
    poll: float | PollPolicy = DEFAULT_POLL,
    results: bool = True,
    grace: float = GRACE_SECONDS,
    wait: float | PollPolicy | None = None,
) -> list[Settled]:
    """Wait on many saved jobs from an executor's workers, in shards, under one deadline.

    The references are split, in order, into ``shards`` shards of nearly
    equal size; each is waited on by :func:`settle` in a task of its own
    on ``executor``. Give as many shards as the executor runs tasks at once
    (a Dask cluster's threads, in all), or a multiple of it if its tasks
    run one after another: a shard that starts late still ends at the
    deadline, but has less of it. The deadline is carried to the workers as
    a wall-clock time.

    Args:
        references: What :meth:`~jobv1.JobV1.to_reference` gave for each job.
        executor: Runs the shards: ``client.get_executor()`` of a Dask
            client, a ``ProcessPoolExecutor``, any
            :class:`concurrent.futures.Executor`. Its workers must have
            the jobs' providers installed.
        shards: How many shards, at least 1 (fewer if there are fewer jobs).
        timeout: Seconds from now until the deadline, or ``None`` to wait
            until every job ends.
        poll: The poll policy of each shard's wait, as for
            :func:`jobv1.wait`; it must pickle.
        results: Whether the workers fetch the result of each job that
            ends ``DONE`` and send it back.
        grace: Seconds past the deadline to wait for a shard to report,
            for its last queries and result fetches. A shard that has not
            reported by then is given up: its jobs' ``error`` says so.
        wait: The old name of ``poll``, deprecated.

    Returns:
        One :class:`Settled` per reference, in their order. A shard whose
        task failed (its worker died, say) gives each of its jobs that
        failure as ``error``.

    Raises:
        TypeError, ValueError: An argument is bad; nothing was submitted.
    """
    saved = list(references)
    for reference in saved:
        check_reference(reference)
    if not isinstance(executor, concurrent.futures.Executor):
        raise TypeError(f"executor must be a concurrent.futures.Executor, not {executor!r}")
    if isinstance(shards, bool) or not isinstance(shards, int):
        raise TypeError(f"shards must be an int, not {shards!r}")
    if shards < 1:
        raise ValueError(f"shards must be at least 1, got {shards!r}")
    seconds = check_timeout(timeout)
    pace = renamed("wait", wait, "poll", poll, DEFAULT_POLL)
    as_policy("poll", pace)
    if not isinstance(results, bool):
        raise TypeError(f"results must be a bool, not {results!r}")
    left_over = check_seconds("grace", grace)
    until = None if seconds is None else time.time() + seconds
    size = max(1, math.ceil(len(saved) / shards))
    parts = [saved[first : first + size] for first in range(0, len(saved), size)]
    tasks = [executor.submit(settle, part, until, pace, results) for part in parts]
    limit = None if until is None else max(0.0, until + left_over - time.time())

    def reported(seconds: float | None) -> bool:
        return not concurrent.futures.wait(tasks, timeout=seconds).not_done

    waited(reported, limit)  # a timeout of centuries, or math.inf, included
    late = {task for task in tasks if not task.done()}
    settled: list[Settled] = []
    for part, task in zip(parts, tasks, strict=True):
        if task in late:
            task.cancel()
            error: BaseException | None = JobTimeoutError(
                f"a shard of {len(part)} jobs did not report within {left_over:g} s of the deadline"
            )
        else:
            error = task.exception()
        if error is None:
            settled += task.result()
        else:
            settled += [Settled(reference, None, None, error) for reference in part]
    return settled


def _ended(
    reference: dict[str, Any], job: Any, status: JobStatus, results: bool, clock: Any
) -> Settled:
    """The :class:`Settled` of a job found final: its result fetched if asked and ``DONE``."""
    if status is JobStatus.DONE and not results:
        return Settled(reference, status, None, None)
    fetch = fetching(reference, as_job(job), status, retry=None, clock=clock, deadline=None)
    try:
        result = fetch_here(fetch, clock)
    except Exception as error:  # told in the job's Settled
        return Settled(reference, status, None, _portable(error))
    try:
        pickle.dumps(result)  # it goes back to the caller's process, maybe
    except Exception as error:  # that job's error alone, not its shard's
        told = JobError(
            f"the result of job {job.job_id()!r} cannot be sent to another process: "
            f"{type(error).__name__}: {error}"
        )
        return Settled(reference, status, None, told)
    return Settled(reference, status, result, None)
