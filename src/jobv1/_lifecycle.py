"""A job's life after its wait: its result under a deadline, and a cancel that is confirmed.

:func:`result` waits for a final state, then fetches the result, and turns a
job that ended in ``ERROR`` or ``CANCELLED`` into an error that says so;
:func:`cancel` asks the job to cancel, then waits to see whether it did.
Both take any job the waits take. The fetch, which may ride out failures
(:class:`~jobv1.Retry`) and sleep between tries under the wait's deadline,
is written once as requests to a driver (:func:`fetching`), as the poll
loop is: :mod:`jobv1.aio` drives the same steps for its twins.
"""

from __future__ import annotations

from ._arguments import check_one
from ._checks import check_callable, renamed
from ._errors import JobCancelledError, JobError, JobFailedError, JobTimeoutError
from ._interop import as_job
from ._job import final_status
from ._limit import hold, turn
from ._options import DEFAULT_POLL
from ._requests import Sleep, outcome_of
from ._retry import Tries, chained
from ._status import JobStatus
from ._traits import limit_of
from ._typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Generator
    from typing import Any

    from ._interrupt import Interrupt
    from ._job import JobV1
    from ._limit import RateLimit
    from ._polling import Poller
    from ._protocols import Clock, PollPolicy
    from ._retry import Retry

    #: What :func:`fetching` asks of its driver: call this (and send back its
    #: outcome, as ``outcome_of`` gives it), or sleep.
    Request = Callable[[], Any] | Sleep
    #: The rate limits a request draws from: the wait's own, and the backend's.
    Limits = tuple[RateLimit | None, RateLimit | None]

#: No rate limit at all.
_NONE: Limits = (None, None)

__all__ = [
    "begin",
    "cancel",
    "cannot_cancel",
    "check_flag",
    "fetch_here",
    "fetching",
    "limits_of",
    "request_cancel",
    "result",
]


def check_flag(name: str, value: object) -> bool:
    """A ``TypeError`` naming ``name`` unless ``value`` is a bool."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool, not {value!r}")
    return value


def cannot_cancel(job: JobV1[Any], error: NotImplementedError) -> JobError:
    """The error for a job whose ``cancel()`` raised ``error``: it cannot cancel."""
    return JobError(f"job {job.job_id()!r} cannot be cancelled: {error}")


def request_cancel(job: JobV1[Any], limits: Limits, clock: Clock) -> None:
    """Ask ``job`` (a view) to cancel; a :class:`~jobv1.JobError` if it cannot.

    The request waits (on ``clock``) for its turn with ``limits``, as a query does.
    """
    if limits != _NONE:
        when = turn(limits, clock, None)  # with no deadline: a cancel is always made
        assert when is not None
        clock.sleep(max(0.0, when - clock.monotonic()))
    try:
        job.cancel()
    except NotImplementedError as error:
        raise cannot_cancel(job, error) from error


def fetching(
    handle: object,
    job: JobV1[Any],
    status: JobStatus,
    *,
    retry: Retry | None,
    clock: Clock,
    deadline: float | None,
    fetch: Callable[[], Any] | None = None,
    limits: Limits = _NONE,
) -> Generator[Request, object, Any]:
    """The fetch of the result of ``job`` (a view) found in ``status``, as requests to a driver.

    ``handle`` is the job as the caller gave it, for the errors; ``fetch``
    gives the result, by default the job's ``result()``. Each try waits for
    its turn with ``limits``, as a status query does; a failure with a delay
    the service asked for holds them (:meth:`~jobv1.RateLimit.hold`).

    Returns:
        What the job's ``result()`` returned.

    Raises:
        JobCancelledError: ``status`` is ``CANCELLED``.
        JobFailedError: ``status`` is ``ERROR``; from what ``result()``
            raised, if it raised.
        JobTimeoutError: ``result()`` failed and was ridden out, and the
            deadline came before it could be tried again; from that failure.
            Or the limits gave no turn before the deadline.
    """
    name = job.job_id()
    call = job.result if fetch is None else fetch
    limited = limits != _NONE
    if status is JobStatus.CANCELLED:
        raise JobCancelledError(
            f"job {name!r} was cancelled: it has no result", job=handle, status=status
        )
    if status is JobStatus.ERROR:
        message = f"job {name!r} ended in ERROR: it has no result"
        if limited:
            yield from _turn(limits, clock, deadline, name)
        outcome: Any = yield call  # the provider's own error, if it gives one
        ok, value = outcome
        if ok:
            raise JobFailedError(message, job=handle, status=status)
        raise JobFailedError(message, job=handle, status=status) from value
    tries = None if retry is None else Tries(retry)
    while True:
        if limited:
            yield from _turn(limits, clock, deadline, name)
        outcome = yield call
        ok, value = outcome
        if ok:
            return value
        if tries is None or not tries.retry.rides_out(value):
            raise value
        count = tries.failed(value)
        from ._observe import ridden_out

        ridden_out(None, name, value, count, tries.retry.max_failures, what="result fetch")
        delay = tries.delay()
        if tries.asked:  # the service asked for the pause: every wait on the limits keeps it
            hold(limits, clock.monotonic() + delay, clock)
        if deadline is not None:
            left = deadline - clock.monotonic()
            if left <= 0:
                raise JobTimeoutError(
                    f"the result of job {name!r} could not be fetched before the deadline"
                ) from chained(tries.failures)
            delay = min(delay, left)  # the last try is at the deadline
        yield Sleep(delay)


def _turn(
    limits: Limits, clock: Clock, deadline: float | None, name: str
) -> Generator[Request, object, None]:
    """Wait for a fetch's turn with ``limits``; a timeout if none comes before the deadline."""
    when = turn(limits, clock, deadline)
    if when is None:
        raise JobTimeoutError(
            f"the result of job {name!r} could not be fetched before the deadline: "
            "its rate limit had no turn for it"
        )
    now = clock.monotonic()
    if when > now:
        yield Sleep(when - now)


def limits_of(poller: Poller[Any], view: JobV1[Any]) -> Limits:
    """The rate limits a result fetch or a cancel of ``view`` draws from, as its queries do."""
    return (poller.rate_limit, limit_of(view))


def fetch_here(fetch: Generator[Request, object, Any], clock: Clock) -> Any:
    """Run ``fetch`` in this thread."""
    try:
        request = next(fetch)
        while True:
            if isinstance(request, Sleep):
                clock.sleep(request.seconds)
                request = fetch.send(None)
            else:
                request = fetch.send(outcome_of(request))
    except StopIteration as returned:
        return returned.value


def begin(
    job: object,
    timeout: object,
    poll: object,
    callback: object,
    *,
    wait: object = None,
    cancel_on_timeout: object = False,
    fetch: object = None,
    on_status: object,
    retry: object,
    interrupt: object,
    rate_limit: object,
) -> tuple[Poller[Any], JobV1[Any]]:
    """Check the arguments of a result or cancel call on ``job``; its poller, and its view.

    ``wait`` is ``poll``'s old name; ``cancel_on_timeout`` and ``fetch`` are
    :func:`result`'s (and its twin's) own.
    """
    pace = renamed("wait", wait, "poll", poll, DEFAULT_POLL)
    check_flag("cancel_on_timeout", cancel_on_timeout)
    check_callable("fetch", fetch)
    checked = check_one(
        job,
        timeout=timeout,
        poll=("poll", pace),
        callback=callback,
        on_status=on_status,
        retry=retry,
        interrupt=interrupt,
        rate_limit=rate_limit,
        adapt=as_job,
    )
    from ._polling import general  # the engine loads with the first wait

    return general(checked), as_job(job)


def result(
    job: Any,
    timeout: float | None = None,
    poll: float | PollPolicy = DEFAULT_POLL,
    callback: Callable[[str, JobStatus, Any], object] | None = None,
    *,
    on_status: Callable[[Any, JobStatus], object] | None = None,
    retry: Retry | None = None,
    interrupt: Interrupt | None = None,
    rate_limit: RateLimit | None = None,
    cancel_on_timeout: bool = False,
    fetch: Callable[[], Any] | None = None,
    wait: float | PollPolicy | None = None,
) -> Any:
    """Wait until ``job`` is final, then return its result; raise if it has none.

    The wait is :meth:`~jobv1.JobV1.wait_for_final_state`'s, with the same
    arguments, on any job the waits take (jobv1's, Qiskit's, primitive
    jobs). Then a job that ended ``DONE`` gives what its ``result()``
    returns; one that ended in ``ERROR`` raises :class:`~jobv1.JobFailedError`,
    with the error its ``result()`` raises (if any) as the cause; one that
    was cancelled raises :class:`~jobv1.JobCancelledError`.

    With ``retry``, failures of the result fetch are ridden out as those of
    the status queries are, under the same deadline: the last try is made at
    the deadline, and a failure there raises
    :class:`~jobv1.JobTimeoutError` from it.

    Args:
        job: The job.
        timeout: Seconds the wait and the fetch may take, from now; ``None``
            for no limit. (A ``result()`` under way is not cut short.)
        poll: Seconds between status queries, or a policy; by default
            :class:`~jobv1.Backoff`.
        callback: As for :meth:`~jobv1.JobV1.wait_for_final_state`.
        on_status: As for :meth:`~jobv1.JobV1.wait_for_final_state`.
        retry: Which failures of the status queries and of the result
            fetch to ride out.
        interrupt: Stops the wait when set.
        rate_limit: A :class:`~jobv1.RateLimit` the status queries draw from.
        cancel_on_timeout: Ask the job to cancel when the deadline comes
            before it is final, so that it is not left running (and
            billing); the :class:`~jobv1.JobTimeoutError` is raised all the
            same. If ``cancel()`` raises, that error is raised instead, with
            the timeout as its context.
        fetch: What gives the result once the job is final, called with no
            argument; by default the job's own ``result()``. A provider
            whose ``result(timeout=None)`` is built on this function passes
            its raw fetch here.
        wait: The old name of ``poll``, deprecated.

    Returns:
        What the job's ``result()`` returns.

    Raises:
        JobFailedError: The job ended in ``ERROR``.
        JobCancelledError: The job was cancelled.
        JobTimeoutError: The deadline came first.
        WaitInterruptedError: ``interrupt`` was set.
        TypeError, ValueError: An argument is bad (named in the message).
    """
    poller, view = begin(
        job,
        timeout,
        poll,
        callback,
        wait=wait,
        cancel_on_timeout=cancel_on_timeout,
        fetch=fetch,
        on_status=on_status,
        retry=retry,
        interrupt=interrupt,
        rate_limit=rate_limit,
    )
    limits = limits_of(poller, view)
    try:
        status = final_status(poller)
    except JobTimeoutError:
        if cancel_on_timeout:
            request_cancel(view, limits, poller.clock)
        raise
    steps = fetching(
        job,
        view,
        status,
        retry=retry,
        clock=poller.clock,
        deadline=poller.deadline,
        fetch=fetch,
        limits=limits,
    )
    return fetch_here(steps, poller.clock)


def cancel(
    job: Any,
    timeout: float | None = None,
    poll: float | PollPolicy = DEFAULT_POLL,
    *,
    on_status: Callable[[Any, JobStatus], object] | None = None,
    retry: Retry | None = None,
    interrupt: Interrupt | None = None,
    rate_limit: RateLimit | None = None,
    wait: float | PollPolicy | None = None,
) -> bool:
    """Ask ``job`` to cancel, wait until it is final, and say whether it ended ``CANCELLED``.

    ``False`` means it ended otherwise: it finished (or failed) before the
    cancel took effect, or its service refused to cancel it and it ran to
    its end. What the job's own ``cancel()`` returns is not relied on:
    services differ in what it means; the final status is the answer.

    Args:
        job: The job, of any kind the waits take.
        timeout: Seconds the request and the wait may take, from now;
            ``None`` for no limit.
        poll: Seconds between status queries, or a policy; by default
            :class:`~jobv1.Backoff`.
        on_status: As for :meth:`~jobv1.JobV1.wait_for_final_state`.
        retry: Which failures of the status queries to ride out.
        interrupt: Stops the wait when set.
        rate_limit: A :class:`~jobv1.RateLimit` the status queries draw from.
        wait: The old name of ``poll``, deprecated.

    Returns:
        Whether the job ended ``CANCELLED``.

    Raises:
        JobError: The job cannot be cancelled (its ``cancel()`` raised
            ``NotImplementedError``, which is the cause).
        JobTimeoutError: The job was not final by the deadline.
        WaitInterruptedError: ``interrupt`` was set.
        TypeError, ValueError: An argument is bad (named in the message).
    """
    poller, view = begin(
        job,
        timeout,
        poll,
        None,
        wait=wait,
        on_status=on_status,
        retry=retry,
        interrupt=interrupt,
        rate_limit=rate_limit,
    )
    request_cancel(view, limits_of(poller, view), poller.clock)
    status = final_status(poller)
    return status is JobStatus.CANCELLED
