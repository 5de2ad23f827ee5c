"""``check_jobv1``: one call that proves a ``JobV1`` subclass honours the contract."""

from __future__ import annotations

import contextlib
import math
from typing import TYPE_CHECKING, Any, Literal

from .. import _reference
from .._checks import real
from .._clock import SystemClock, current_clock
from .._errors import JobTimeoutError
from .._job import JobV1
from .._policy import seconds_of
from .._reference import restore
from .._status import JOB_FINAL_STATES, JobStatus, check_status
from .._traits import batch_of, gives_hints
from ._backend import restoring_fakes

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

__all__ = ["check_jobv1", "registering"]

#: How far past its deadline a wait on the real clock may return, in seconds.
_REAL_TIME_SLACK = 0.1


@contextlib.contextmanager
def registering(provider: str, restore: Callable[[dict[str, Any]], object]) -> Iterator[None]:
    """Let :func:`jobv1.restore` use ``restore`` for ``provider``'s references, in a ``with`` block.

    For a provider's own tests, run from a checkout where the package (and
    so its entry point) is not installed. Inside the block ``restore``
    stands for the provider, installed or not; leaving it puts back what
    was there.

    Raises:
        TypeError: ``provider`` is not a str, or ``restore`` is not callable.
    """
    if not isinstance(provider, str):
        raise TypeError(f"provider must be a str, not {provider!r}")
    if not callable(restore):
        raise TypeError(f"restore must be callable, not {restore!r}")
    found = _reference.found
    before = found.get(provider)
    found[provider] = restore
    try:
        yield
    finally:
        if before is None:
            del found[provider]
        else:
            found[provider] = before


def _fail(rule: str, job: JobV1[Any], detail: str) -> AssertionError:
    return AssertionError(f"{type(job).__name__} {job.job_id()!r}: {rule}: {detail}")


def _make(name: str, factory: Callable[[], JobV1[Any]]) -> JobV1[Any]:
    job = factory()
    if not isinstance(job, JobV1):
        raise AssertionError(f"the {name} factory must return a JobV1, not {job!r}")
    if not isinstance(job.job_id(), str):
        raise _fail("job_id() returns a str", job, repr(job.job_id()))
    return job


def _read(job: JobV1[Any], answer: object) -> JobStatus | None:
    """``answer`` of ``job`` as the waits read it; ``None`` where they refuse it."""
    try:
        return check_status(job, answer)
    except (TypeError, ValueError):
        return None


def _status(job: JobV1[Any]) -> JobStatus:
    """The job's status as jobv1's :class:`JobStatus`.

    A job may answer what every wait accepts: jobv1's or Qiskit's (as
    :mod:`jobv1.qiskit`'s jobs do), or a status's name where its class says
    so (:class:`jobv1.qiskit.PrimitiveJob`).
    """
    answer = job.status()
    status = _read(job, answer)
    if status is None:
        raise _fail(
            "status() returns a JobStatus, jobv1's or Qiskit's", job, f"it returned {answer!r}"
        )
    return status


def _check_predicates(job: JobV1[Any], status: JobStatus) -> None:
    """done(), running(), cancelled() and in_final_state() agree with a stable status."""
    answers = {
        "done()": (job.done(), status is JobStatus.DONE),
        "running()": (job.running(), status is JobStatus.RUNNING),
        "cancelled()": (job.cancelled(), status is JobStatus.CANCELLED),
        "in_final_state()": (job.in_final_state(), status in JOB_FINAL_STATES),
    }
    for name, (answer, expected) in answers.items():
        if answer is not expected:
            raise _fail(
                "the predicates agree with status()",
                job,
                f"{name} is {answer!r} while status() is {status.name}",
            )


def _check_final(job: JobV1[Any], expected: JobStatus, timeout: float) -> None:
    """The wait returns only in a final state, the expected one, and it stays there."""
    first = _status(job)
    if first not in JOB_FINAL_STATES:
        _check_hint(job, first)  # before the wait, which would raise for a bad hint itself
    try:
        job.wait_for_final_state(timeout=timeout, wait=0.01)
    except JobTimeoutError:
        raise _fail(
            f"the job ends {expected.name} within the timeout",
            job,
            f"it is still {_status(job).name} after {timeout} s",
        ) from None
    status = _status(job)
    if status not in JOB_FINAL_STATES:
        raise _fail(
            "the wait returns only in a final state, which is never left",
            job,
            f"after the wait, status() answered {status.name}",
        )
    if status is not expected:
        raise _fail(f"the job ends {expected.name}", job, f"it ended {status.name}")
    for _ in range(3):
        again = _status(job)
        if again is not status:
            raise _fail("a final status is never left", job, f"{status.name} became {again.name}")
    _check_predicates(job, status)


def _check_deadline(job: JobV1[Any], timeout: float) -> None:
    """A wait on a job that does not end raises JobTimeoutError at its deadline."""
    clock = current_clock()
    start = clock.monotonic()
    try:
        job.wait_for_final_state(timeout=timeout, wait=timeout * 10)
    except JobTimeoutError:
        elapsed = clock.monotonic() - start
    else:
        raise _fail("a job that does not end times the wait out", job, "the wait returned")
    # Virtual clocks are exact, up to the rounding of start + timeout - start.
    rounding = 2 * math.ulp(abs(start) + timeout)
    slack = _REAL_TIME_SLACK if isinstance(clock, SystemClock) else rounding
    if not timeout - rounding <= elapsed <= timeout + slack:
        raise _fail(
            "the wait keeps its deadline",
            job,
            f"timeout={timeout} s but it raised after {elapsed:.3f} s",
        )
    status = _status(job)
    if status in JOB_FINAL_STATES:
        raise _fail("a job that does not end stays not final", job, f"it is {status.name}")


def _check_cancel(job: JobV1[Any], cancel: str, timeout: float) -> None:
    if cancel == "unsupported":
        try:
            job.cancel()
        except NotImplementedError:
            return
        raise _fail("cancel() is unsupported, as declared", job, "it did not raise")
    answer = job.cancel()
    if cancel == "refuses":
        if answer is not False or _status(job) is JobStatus.CANCELLED:
            raise _fail(
                "cancel() refuses, as declared",
                job,
                f"it returned {answer!r}, status {_status(job).name}",
            )
        return
    if answer is not True:
        raise _fail("cancel() of a job that has not ended returns True", job, repr(answer))
    _check_final(job, JobStatus.CANCELLED, timeout)


def _check_batch(jobs: list[JobV1[Any]]) -> None:
    """Where a job's backend has ``job_statuses``, its answers agree with each job's ``status()``.

    ``jobs`` are the checks' jobs, some ended: those of each backend that
    batches are asked together, in calls of at most its ``max_status_batch``;
    the ended ones must answer as ``status()`` does, the others a status that
    is not final.
    """
    by_backend: dict[int, list[JobV1[Any]]] = {}
    for job in jobs:
        by_backend.setdefault(id(job._backend), []).append(job)
    for together in by_backend.values():
        found = batch_of(together[0])
        if found is None:
            continue
        method, largest = found
        size = largest or len(together)
        for start in range(0, len(together), size):
            _check_answers(method, together[start : start + size])


def _check_answers(method: Callable[[Any], Any], jobs: list[JobV1[Any]]) -> None:
    """One call of a backend's ``job_statuses`` over ``jobs``, checked against each job."""
    answers = list(method(jobs))
    if len(answers) != len(jobs):
        raise _fail(
            "job_statuses() answers one status per job",
            jobs[0],
            f"it answered {len(answers)} for {len(jobs)} jobs",
        )
    for job, answer in zip(jobs, answers, strict=True):
        status = _read(job, answer)
        alone = _status(job)
        if alone in JOB_FINAL_STATES and status is not alone:
            raise _fail(
                "job_statuses() agrees with status()",
                job,
                f"it answered {answer!r} where status() answers {alone.name}",
            )
        if status is None or (alone not in JOB_FINAL_STATES and status in JOB_FINAL_STATES):
            raise _fail(
                "job_statuses() agrees with status()",
                job,
                f"it answered {answer!r} for a job whose status() is {alone.name}",
            )


def _check_hint(job: JobV1[Any], status: JobStatus) -> None:
    """Where the job gives poll hints, a hint is ``None`` or seconds: finite, never negative."""
    if not gives_hints(job):
        return
    hint = job.poll_hint(status)
    if hint is not None and seconds_of(hint) is None:
        raise _fail(
            "poll_hint() gives None or a finite number of seconds >= 0",
            job,
            f"it gave {hint!r} for {status.name}",
        )


def _check_reference(job: JobV1[Any]) -> None:
    """Where the job's class names a provider, its reference restores the same job."""
    if getattr(type(job), "reference_provider", None) is None:
        return
    reference = job.to_reference()
    with restoring_fakes():  # the test kit's own jobs restore only where a test says so
        restored: Any = restore(reference)
    if restored.job_id() != job.job_id():
        raise _fail(
            "to_reference() restores a job with the same id",
            job,
            f"it came back as {restored.job_id()!r}",
        )
    again, status = _read(restored, restored.status()), _status(job)
    if again is not status:
        raise _fail(
            "to_reference() restores a job in the same status",
            job,
            f"it is {status.name}, and came back {again!r}",
        )


def check_jobv1(
    *,
    done: Callable[[], JobV1[Any]],
    error: Callable[[], JobV1[Any]],
    pending: Callable[[], JobV1[Any]],
    cancel: Literal["cancels", "refuses", "unsupported"] = "unsupported",
    result_error: type[BaseException] | None = None,
    timeout: float = 1.0,
) -> None:
    """Check that a ``JobV1`` subclass honours the contract of jobv1 and Qiskit.

    Call it from your own tests with factories of your jobs, driven by
    :class:`FakeBackend` or by a fake of your own service. Inside the
    ``fake_clock`` fixture it runs in virtual time; on the real clock it
    takes about ``timeout`` seconds, or twice that when ``cancel`` is
    ``"cancels"``.

    It checks that: ``job_id()`` is a ``str`` and ``status()`` a
    :class:`~jobv1.JobStatus`; ``done()``, ``running()``, ``cancelled()`` and
    ``in_final_state()`` agree with ``status()``; a wait returns only in a
    final state, and that state is never left; a wait on a job that does not
    end raises :class:`~jobv1.JobTimeoutError` at its deadline, not later;
    ``result()`` after ``DONE`` returns, and after ``ERROR`` raises
    ``result_error`` (or returns, if ``None``); ``cancel()`` does what
    ``cancel`` declares. Where the job offers them, it also checks that
    ``poll_hint()`` gives ``None`` or a finite number of seconds ``>= 0``;
    that the backend's ``job_statuses()`` answers one status per job, each
    agreeing with the job's own ``status()``; and that ``to_reference()``
    restores (:func:`jobv1.restore`) a job with the same id and status.

    Args:
        done: Makes a new job that ends ``DONE`` within ``timeout``.
        error: Makes a new job that ends in ``ERROR`` within ``timeout``.
        pending: Makes a new job that does not end within ``timeout``.
        cancel: What ``cancel()`` does to a pending job: ``"cancels"`` (it
            returns ``True`` and the job ends ``CANCELLED`` within
            ``timeout``), ``"refuses"`` (it returns ``False``), or
            ``"unsupported"`` (it raises ``NotImplementedError``).
        result_error: The exception ``result()`` raises after ``ERROR``.
        timeout: The seconds the checks wait on a job.

    Raises:
        AssertionError: A rule is broken; the message names the job and the rule.
        ValueError: ``cancel`` is not one of the three values, or ``timeout``
            is not a positive number.
    """
    if cancel not in ("cancels", "refuses", "unsupported"):
        raise ValueError(f"cancel must be 'cancels', 'refuses' or 'unsupported', not {cancel!r}")
    seconds = real("timeout", timeout)
    if not 0 < seconds < math.inf:
        raise ValueError(f"timeout must be a finite number of seconds > 0, got {timeout!r}")
    timeout = seconds

    finished = _make("done", done)
    _check_final(finished, JobStatus.DONE, timeout)
    finished.result()

    failed = _make("error", error)
    _check_final(failed, JobStatus.ERROR, timeout)
    if result_error is None:
        failed.result()
    else:
        try:
            failed.result()
        except result_error:
            pass
        else:
            raise _fail(
                f"result() after ERROR raises {result_error.__name__}", failed, "it returned"
            )

    waiting = _make("pending", pending)
    status = _status(waiting)
    if status in JOB_FINAL_STATES:
        raise _fail("a pending job is not final", waiting, f"it is {status.name}")
    _check_hint(waiting, status)
    _check_deadline(waiting, timeout)
    _check_batch([finished, failed, waiting])
    _check_reference(finished)
    _check_cancel(_make("pending", pending), cancel, timeout)
