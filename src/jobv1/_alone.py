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
import sys

from . import _clock
from . import _flight as flight
from ._checks import EXACT_SECONDS, check_callable, check_seconds, real
from ._clock import SYSTEM, current_clock, reader
from ._deadline import AT_DEADLINE, step_to, timed_out, timeout_message
from ._observe import Told, observer
from ._pacing import floored, hint_of, past_range, read_hint, under_hint
from ._policy import as_policy, delays_of, drawn_once, follow, next_delay
from ._requests import StopIterationError, unshielded
from ._status import JOB_FINAL_STATES, JobStatus, check_status
from ._traits import BASE
from ._typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import Any

    from ._job import JobV1
    from ._observe import Observer
    from ._policy import Drawn
    from ._protocols import Clock, PollPolicy
    from ._traits import Pollable

__all__ = ["wait_alone"]

_DONE, _CANCELLED, _ERROR = JOB_FINAL_STATES


def wait_alone(job: JobV1[Any], timeout: object, wait: object, callback: object) -> bool:
    """Wait on ``job`` as the loop would, if the job fits this path; return whether it did.

    The caller saw that the wait has no ``on_status``, ``retry``,
    ``interrupt`` or ``rate_limit``. A job that calls back (its class has a
    ``watch()`` of its own), whose earlier query a wait gave up and is still
    running, or whose backend declares a ``status_rate_limit`` does not fit:
    this is decided before any argument is checked, and the general loop
    sees to it (and checks them, once). The error raised at the deadline is
    the first of the job's class's ``_wait_errors``.

    Args:
        job: The job.
        timeout: Seconds from now to the deadline, as given; ``None`` for none.
        wait: The seconds between queries, or a poll policy, as given.
        callback: Called as ``callback(job_id, status, job)`` after each
            non-final query but one at or after the deadline; or ``None``.

    Raises:
        TypeError: An argument is of the wrong type.
        ValueError: An argument is out of range.
    """
    # A wait on a job already DONE is the most common of all: each step here is
    # counted (python -m benchmarks.instructions), and the rest waits for an answer
    # that is not final.
    kind = type(job)
    watch = getattr(kind, "watch", None)  # as _traits.watches(job) reads it, inline
    if (
        (watch is not None and not getattr(watch, BASE, False))
        or (flight.noted and flight.busy(job))  # the loop waits for that query
        or getattr(kind, "status_long_poll", None) is not None  # the loop holds its queries
    ):
        return False
    backend = getattr(job, "_backend", None)
    if backend is not None and (
        getattr(backend, "status_rate_limit", None) is not None
        or getattr(backend, "status_retry", None) is not None
        or getattr(backend, "notifier", None) is not None
    ):
        return False  # the loop sees to the backend's rate limit, retry or push channel
    # The arguments, checked as the loop checks them (the common ones inline).
    limit = None if timeout is None else real("timeout", timeout)
    pace: float | PollPolicy
    if type(wait) is int or type(wait) is float:
        pace = float(wait) if 0 <= wait <= EXACT_SECONDS else check_seconds("wait", wait)
    else:
        pace = as_policy("wait", wait)
    if callback is not None and not callable(callback):
        check_callable("callback", callback)  # raises
    hook: Callable[[str, JobStatus, Any], object] | None = callback  # type: ignore[assignment]
    if not job._async:  # it ran when submitted: nothing to wait for
        return True
    clock = current_clock() if _clock.installed else SYSTEM  # no call while none is installed
    deadline = None if limit is None else clock.monotonic() + limit
    # A policy that gives no delays is refused here, before any query, as the loop refuses it.
    delays = None if type(pace) is float else delays_of(pace)  # type: ignore[arg-type]
    modules = sys.modules  # nobody listens unless logging or OpenTelemetry is loaded
    if "logging" in modules or "opentelemetry.trace" in modules:
        watcher = observer(1, limit)
        if watcher is not None:
            with Told(watcher, job._wait_errors):  # as the loops tell it
                answer = job.status()
                _poll(job, answer, clock, limit, deadline, pace, delays, hook, watcher)
            return True
    answer = job.status()
    if answer is _DONE or answer is _CANCELLED or answer is _ERROR:
        return True
    _poll(job, answer, clock, limit, deadline, pace, delays, hook, None)
    return True


def _poll(  # noqa: PLR0917 - wait_alone's state, passed on as it is
    job: JobV1[Any],
    answer: object,
    clock: Clock,
    timeout: float | None,
    deadline: float | None,
    pace: float | PollPolicy,
    delays: Iterator[float] | None,
    callback: Callable[[str, JobStatus, Any], object] | None,
    watcher: Observer | None,
) -> None:
    """The polls of :func:`wait_alone` from the first ``answer`` on, told to ``watcher``."""
    monotonic = reader(clock)
    method = getattr(type(job), "poll_hint", None)  # as _traits.gives_hints(job) reads it
    hinted = method is not None and not getattr(method, BASE, False)
    at_deadline = False  # whether this query is the deadline's own
    hurried = False  # whether the last hint was under the floor (taken as "now")
    # A policy that paces every job alike is read by step, as the loop reads it: its
    # pace runs on under a hint (under_hint), which an iterator of delays cannot do.
    drawn = None if delays is None else drawn_once(pace)  # type: ignore[arg-type]
    step = 0
    while True:
        status = answer if type(answer) is JobStatus else check_status(job, answer)
        if status is _DONE or status is _CANCELLED or status is _ERROR:
            if watcher is not None:
                watcher.queried(job.job_id(), status, 1)
            return
        # As in the loop: a hint is asked right after the query that needs it, and
        # read (its failure raised) after the callback.
        hint = hint_of(job, status) if hinted and not at_deadline else None
        # A hint counts from here, as the loop's does: read only where there is one.
        answered = monotonic() if hint is not None else 0.0
        # The deadline's own query, or one that answered at or after the deadline
        # (a slow one that crossed it): the last query of the wait.
        last = at_deadline or (deadline is not None and monotonic() >= deadline)
        if watcher is not None:
            watcher.queried(job.job_id(), status, 1)
        if last:
            assert timeout is not None  # only a wait with a deadline has a last query
            raise timed_out(job._wait_errors, timeout_message(job.job_id(), timeout, status))
        if callback is not None:
            callback(job.job_id(), status, job)
        now = monotonic()
        seconds = None if hint is None else _read(job, hint)
        why = "hint"
        if seconds is None:
            seconds, step = _policy_delay(pace, delays, drawn, step, status)
            why, hurried = "policy", False
        else:
            seconds, hurried = floored(max(0.0, seconds - (now - answered)), hurried)
            step = step if drawn is None else under_hint(drawn, step, seconds)
        wake = now + seconds
        if wake == math.inf:
            raise past_range(job, seconds, now)
        if deadline is not None and wake >= deadline - AT_DEADLINE:
            wake = deadline
            seconds = step_to(now, deadline)
            why = "deadline"
        if watcher is not None:
            watcher.sleeping(seconds, why)
        clock.sleep(seconds, None)
        at_deadline = deadline is not None and (wake == deadline or monotonic() >= deadline)
        answer = job.status()


def _policy_delay(
    pace: float | PollPolicy,
    delays: Iterator[float] | None,
    drawn: Drawn | None,
    step: int,
    status: JobStatus,
) -> tuple[float, int]:
    """The policy's next delay after ``status``, and the step after it: by step, or iterated."""
    if drawn is not None:
        return drawn.at(step), step + 1
    if delays is None:
        return pace, step  # type: ignore[return-value]
    follow(delays, status)
    return next_delay(pace, delays), step  # type: ignore[arg-type]


def _read(job: Pollable, hint: object) -> float | None:
    """The seconds of the job's hint; what ``poll_hint()`` raised, ``StopIteration`` as itself."""
    try:
        return read_hint(job, hint)
    except StopIterationError as carried:
        raise unshielded(carried) from None
