"""The fast path of a wait on one polled job: the loop's behaviour, without its machinery.

:meth:`jobv1.JobV1.wait_for_final_state` comes here when the wait has only
the job itself to see to: no ``on_status``, ``retry``, ``interrupt`` or rate
limit, and a job that is polled (its class keeps :meth:`~jobv1.JobV1.watch`
as it is). It then makes the same queries at the same times as
:class:`~jobv1._polling.Poller` would, calls the same callbacks and hints,
and raises the same errors with the same messages (``tests/test_alone.py``
runs both on the same scripted jobs and compares), at a fraction of the
cost per query: the common case of a wait, made as cheap as Qiskit's.
"""

from __future__ import annotations

import math

from ._clock import reader
from ._deadline import AT_DEADLINE, timeout_message
from ._errors import WaitInterruptedError
from ._observe import Told, observer
from ._pacing import delays_of, hint_of, next_delay, past_range, read_hint
from ._requests import StopIterationError, unshielded
from ._status import JOB_FINAL_STATES, JobStatus, check_status
from ._typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from ._errors import JobTimeoutError
    from ._observe import Observer
    from ._protocols import Clock, PollPolicy
    from ._traits import Pollable

__all__ = ["wait_alone"]


def wait_alone(
    job: Pollable,
    *,
    clock: Clock,
    timeout: float | None,
    pace: float | PollPolicy,
    callback: Callable[[str, JobStatus, Any], object] | None,
    hinted: bool,
    error: type[JobTimeoutError],
) -> None:
    """Poll ``job`` until it is final, or raise ``error`` at the deadline ``timeout`` sets.

    Args:
        job: The job, polled: it never calls back.
        clock: The clock to read and sleep on.
        timeout: Seconds from now to the deadline, checked; ``None`` for none.
        pace: The seconds between queries, when the wait was given a
            number (as a float, checked), or the poll policy.
        callback: Called as ``callback(job_id, status, job)`` after each
            non-final query but one at or after the deadline.
        hinted: Whether the job's class has a ``poll_hint()`` of its own.
        error: The class of the error to raise at the deadline.
    """
    watcher = observer(1, timeout)
    if watcher is None:
        _poll(job, clock, timeout, pace, callback, hinted, error, None)
        return
    with Told(watcher, (error, WaitInterruptedError)):  # as the loops tell it
        _poll(job, clock, timeout, pace, callback, hinted, error, watcher)


def _poll(  # noqa: PLR0917 - wait_alone's arguments, passed on as they are
    job: Pollable,
    clock: Clock,
    timeout: float | None,
    pace: float | PollPolicy,
    callback: Callable[[str, JobStatus, Any], object] | None,
    hinted: bool,
    error: type[JobTimeoutError],
    watcher: Observer | None,
) -> None:
    """The polls of :func:`wait_alone`, told to ``watcher`` if anyone listens."""
    monotonic, sleep = reader(clock), clock.sleep
    done, cancelled, failed = JOB_FINAL_STATES  # told by identity, inline: the cheapest test
    deadline = None if timeout is None else monotonic() + timeout
    # A policy that gives no delays is refused here, before any query.
    delays = None if isinstance(pace, float) else delays_of(pace)
    fixed = pace if isinstance(pace, float) else 0.0
    at_deadline = False  # whether this query is the deadline's own
    while True:
        answer = job.status()
        # As in the loop: a hint is asked right after the query that needs it, and
        # read (its failure raised) after the callback.
        hint = hint_of(job, answer) if hinted and not at_deadline else None
        # The deadline's own query, or one that answered at or after the deadline
        # (a slow one that crossed it): the last query of the wait.
        last = at_deadline or (deadline is not None and monotonic() >= deadline)
        status = answer if type(answer) is JobStatus else check_status(job, answer)
        if watcher is not None:
            watcher.queried(job.job_id(), status, 1)
        if status is done or status is cancelled or status is failed:
            return
        if last:
            assert timeout is not None  # only a wait with a deadline has a last query
            raise error(timeout_message(job.job_id(), timeout, status))
        if callback is not None:
            callback(job.job_id(), status, job)
        now = monotonic()
        seconds = None if hint is None else _read(job, hint)
        why = "hint"
        if seconds is None:
            seconds = fixed if delays is None else next_delay(pace, delays)  # type: ignore[arg-type]
            why = "policy"
        wake = now + seconds
        if wake == math.inf:
            raise past_range(job, seconds, now)
        if deadline is not None and wake >= deadline - AT_DEADLINE:
            wake = deadline
            seconds = max(0.0, deadline - now)
            why = "deadline"
        if watcher is not None:
            watcher.sleeping(seconds, why)
        sleep(seconds, None)
        at_deadline = deadline is not None and (wake == deadline or monotonic() >= deadline)


def _read(job: Pollable, hint: object) -> float | None:
    """The seconds of the job's hint; what ``poll_hint()`` raised, ``StopIteration`` as itself."""
    try:
        return read_hint(job, hint)
    except StopIterationError as carried:
        raise unshielded(carried) from None
