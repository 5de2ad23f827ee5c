# mypy: disable-error-code="arg-type,list-item"
# (the table passes what the signatures forbid, on purpose)
"""One table of bad input for every public entry point: a clear error, naming the argument."""

from __future__ import annotations

import asyncio
import concurrent.futures
import io
import math
import threading
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

import jobv1
import jobv1.sharded
from conftest import ScriptedJob
from jobv1 import (
    Backoff,
    ExecutorBackend,
    FutureJob,
    JobError,
    JobStatus,
    Retry,
    aio,
)
from jobv1.monitor import Monitor, job_monitor
from jobv1.testing import FakeBackend, FakeClock, FakeJob, Hold, check_jobv1, use_clock

R, D = JobStatus.RUNNING, JobStatus.DONE

# Every call below passes what the signatures forbid, on purpose: through Any.
lib: Any = jobv1
aio_: Any = aio
sharded: Any = jobv1.sharded
# An executor that is never asked to run anything: bad input is refused first.
_INLINE = concurrent.futures.ThreadPoolExecutor(max_workers=1)


def _restoring(call: Any) -> Any:
    """``call()`` where the test kit's fake jobs may be restored."""
    from jobv1.testing import restoring_fakes

    with restoring_fakes():
        return call()


class _OnlyMonotonic:
    """A clock that cannot sleep."""

    def monotonic(self) -> float:
        return 0.0

    def __repr__(self) -> str:
        return "<only monotonic()>"


def job() -> Any:
    return FakeBackend().run(script=[Hold(R)])


def done_job() -> Any:
    return FakeBackend().run(result=1)


def ended(status: JobStatus) -> Any:
    fake = job()
    fake.set_status(status)
    return fake


class _Unhashable(ScriptedJob):
    """A job class that defines __eq__, and so has no hash."""

    def __eq__(self, other: object) -> bool:
        return other is self

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return "<unhashable job>"


UNHASHABLE = (
    "wait() returns sets of jobs, and <unhashable job> cannot be in one: its class defines "
    "__eq__ without __hash__ (give it a __hash__, or use as_completed)"
)


HUGE = 10**400


class _FiveIsNotDelays:
    """A policy whose delays() returns a number, not an iterable of them."""

    def delays(self) -> Any:
        return 5

    def __repr__(self) -> str:
        return "<five>"


def run_async(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def check(**arguments: Any) -> None:
    defaults: dict[str, Any] = {"done": done_job, "error": done_job, "pending": job}
    check_jobv1(**{**defaults, **arguments})


# (entry point, call, exception, words the message must hold: the argument and the value)
CASES: list[tuple[str, Callable[[], Any], type[Exception], str]] = [
    (
        "wait_for_final_state",
        lambda: job().wait_for_final_state(timeout=math.nan),
        ValueError,
        "timeout must not be NaN, got nan",
    ),
    (
        "wait_for_final_state",
        lambda: job().wait_for_final_state(timeout="soon"),
        TypeError,
        "timeout must be a real number, not 'soon'",
    ),
    (
        "wait_for_final_state",
        lambda: job().wait_for_final_state(timeout=[1]),
        TypeError,
        "timeout must be a real number, not [1]",
    ),
    (
        "wait_for_final_state",
        lambda: job().wait_for_final_state(wait=-0.5),
        ValueError,
        "wait must be a finite number of seconds >= 0, got -0.5",
    ),
    (
        "wait_for_final_state",
        lambda: job().wait_for_final_state(wait=math.inf),
        ValueError,
        "wait must be a finite number of seconds >= 0, got inf",
    ),
    (
        "wait_for_final_state",
        lambda: job().wait_for_final_state(wait=-math.inf),
        ValueError,
        "wait must be a finite number of seconds >= 0, got -inf",
    ),
    (
        "wait_for_final_state",
        lambda: job().wait_for_final_state(wait=math.nan),
        ValueError,
        "wait must not be NaN, got nan",
    ),
    (
        "wait_for_final_state",
        lambda: job().wait_for_final_state(wait=False),
        TypeError,
        "wait must be a number of seconds or a poll policy such as Backoff(), not False",
    ),
    (  # a hook takes the general loop, which names the argument as the fast path does
        "wait_for_final_state",
        lambda: job().wait_for_final_state(wait=-0.5, on_status=print),
        ValueError,
        "wait must be a finite number of seconds >= 0, got -0.5",
    ),
    (
        "wait_for_final_state",
        lambda: job().wait_for_final_state(callback="print"),
        TypeError,
        "callback must be callable or None, not 'print'",
    ),
    (
        "wait_for_final_state",
        lambda: job().wait_for_final_state(on_status=1),
        TypeError,
        "on_status must be callable or None, not 1",
    ),
    (
        "wait_for_final_state",
        lambda: job().wait_for_final_state(retry=ConnectionError),
        TypeError,
        "retry must be a Retry or None, not <class 'ConnectionError'>",
    ),
    (
        "wait_for_final_state",
        lambda: job().wait_for_final_state(interrupt=threading.Event()),
        TypeError,
        "interrupt must be an Interrupt or None, not <threading.Event",
    ),
    (
        "status() garbage",
        lambda: ScriptedJob(["DONE"], job_id="g").wait_for_final_state(),
        TypeError,
        "status() of job 'g' returned 'DONE', which is not a JobStatus",
    ),
    (
        "status() garbage",
        lambda: ScriptedJob([None], job_id="g").wait_for_final_state(),
        TypeError,
        "status() of job 'g' returned None",
    ),
    (
        "poll_hint() garbage",
        lambda: type("H", (ScriptedJob,), {"poll_hint": lambda self, s: -1})(
            [R], "h"
        ).wait_for_final_state(),
        ValueError,
        "poll_hint() of job 'h' returned -1",
    ),
    ("wait", lambda: lib.wait(job()), TypeError, "jobs must be an iterable of jobs, not <FakeJob"),
    ("wait", lambda: lib.wait(None), TypeError, "jobs must be an iterable of jobs, not None"),
    (
        "wait",
        lambda: lib.wait([job(), "job-2"]),
        TypeError,
        "jobs must hold only jobs (a JobV1, a Qiskit job, or any object with callable job_id() and status()), not 'job-2'",
    ),
    (
        "wait",
        lambda: lib.wait([job()], return_when="first"),
        ValueError,
        "return_when must be FIRST_COMPLETED, FIRST_EXCEPTION or ALL_COMPLETED, not 'first'",
    ),
    ("wait", lambda: lib.wait([job()], timeout=-math.nan), ValueError, "timeout must not be NaN"),
    (
        "wait",
        lambda: lib.wait([job()], poll=-1),
        ValueError,
        "poll must be a finite number of seconds >= 0, got -1",
    ),
    (
        "as_completed",
        lambda: lib.as_completed(b"jobs"),
        TypeError,
        "jobs must be an iterable of jobs, not b'jobs'",
    ),
    (
        "as_completed",
        lambda: lib.as_completed([job()], timeout=None, poll=None),
        TypeError,
        "poll must be a number of seconds or a poll policy such as Backoff(), not None",
    ),
    (
        "as_completed",
        lambda: lib.as_completed([job()], on_status="log"),
        TypeError,
        "on_status must be callable or None, not 'log'",
    ),
    (
        "aio.wait_for_final_state",
        lambda: run_async(aio_.wait_for_final_state("job-1")),
        TypeError,
        "job must be a job (a JobV1, a Qiskit job, or any object with callable job_id() and status()), not 'job-1'",
    ),
    (
        "aio.wait_for_final_state",
        lambda: run_async(aio_.wait_for_final_state(job(), wait=-2)),
        ValueError,
        "wait must be a finite number of seconds >= 0, got -2",
    ),
    ("wait", lambda: lib.wait([_Unhashable([D])]), TypeError, UNHASHABLE),
    (
        "wait",
        lambda: lib.wait([job()], max_in_flight=0),
        ValueError,
        "max_in_flight must be at least 1, got 0",
    ),
    (
        "as_completed",
        lambda: lib.as_completed([job()], max_in_flight=True),
        TypeError,
        "max_in_flight must be an int, not True",
    ),
    (
        "aio.wait",
        lambda: run_async(aio_.wait([job()], max_in_flight=2.5)),
        TypeError,
        "max_in_flight must be an int, not 2.5",
    ),
    ("RateLimit", lambda: lib.RateLimit(0), ValueError, "requests must be at least 1, got 0"),
    (
        "RateLimit",
        lambda: lib.RateLimit(5, per=-1),
        ValueError,
        "per must be a finite number of seconds > 0, got -1",
    ),
    (
        "RateLimit",
        lambda: lib.RateLimit(5, burst=None),
        TypeError,
        "burst must be an int, not None",
    ),
    (
        "wait",
        lambda: lib.wait([job()], rate_limit=60),
        TypeError,
        "rate_limit must be a RateLimit or None, not 60",
    ),
    (
        "JobV1.wait_for_final_state",
        lambda: job().wait_for_final_state(rate_limit="1/s"),
        TypeError,
        "rate_limit must be a RateLimit or None, not '1/s'",
    ),
    (
        "aio.wait_for_final_state",
        lambda: run_async(aio_.wait_for_final_state(job(), rate_limit=1.0)),
        TypeError,
        "rate_limit must be a RateLimit or None, not 1.0",
    ),
    (
        "aio.as_completed",
        lambda: aio_.as_completed([job()], max_in_flight=-1),
        ValueError,
        "max_in_flight must be at least 1, got -1",
    ),
    ("aio.wait", lambda: run_async(aio_.wait([_Unhashable([D])])), TypeError, UNHASHABLE),
    (
        "aio.wait",
        lambda: run_async(aio_.wait([job()], return_when=None)),
        ValueError,
        "return_when must be FIRST_COMPLETED, FIRST_EXCEPTION or ALL_COMPLETED, not None",
    ),
    (
        "aio.as_completed",
        lambda: aio_.as_completed([1]),
        TypeError,
        "jobs must hold only jobs (a JobV1, a Qiskit job, or any object with callable job_id() and status()), not 1",
    ),
    (
        "Backoff",
        lambda: Backoff(initial=-1),
        ValueError,
        "initial must be a finite number of seconds >= 0, got -1",
    ),
    (
        "Backoff",
        lambda: Backoff(multiplier=0.9),
        ValueError,
        "multiplier must be finite and >= 1, got 0.9",
    ),
    ("Backoff", lambda: Backoff(maximum=math.nan), ValueError, "maximum must not be NaN, got nan"),
    (
        "Backoff",
        lambda: Backoff(initial=10, maximum=5),
        ValueError,
        "maximum must be >= initial (10), got 5",
    ),
    ("Backoff", lambda: Backoff(jitter=2), ValueError, "jitter must be between 0 and 1, got 2"),
    ("Backoff", lambda: Backoff(seed="42"), TypeError, "seed must be an int or None, not '42'"),
    (
        "Retry",
        Retry,
        ValueError,
        "Retry needs at least one exception class to ride out, got none",
    ),
    (
        "Retry",
        lambda: Retry(BaseException),
        TypeError,
        "exceptions must be subclasses of Exception, not <class 'BaseException'>",
    ),
    (
        "Retry",
        lambda: Retry(OSError, max_failures=-3),
        ValueError,
        "max_failures must be >= 1, got -3",
    ),
    (
        "Retry",
        lambda: Retry(OSError, backoff="fast"),
        TypeError,
        "backoff must be a number of seconds or a poll policy such as Backoff(), not 'fast'",
    ),
    (
        "FutureJob",
        lambda: FutureJob(None, "f", object()),
        TypeError,
        "future must be a concurrent.futures.Future, not <object",
    ),
    (
        "FutureJob.result",
        lambda: FutureJob(None, "f", concurrent.futures.Future()).result(timeout="1"),
        TypeError,
        "timeout must be a real number, not '1'",
    ),
    (
        "ExecutorBackend",
        lambda: ExecutorBackend("threads"),
        TypeError,
        "executor must be a concurrent.futures.Executor, not 'threads'",
    ),
    (
        "ExecutorBackend",
        lambda: ExecutorBackend(name=None),
        TypeError,
        "name must be a str, not None",
    ),
    (
        "ExecutorBackend.run",
        lambda: ExecutorBackend(concurrent.futures.ThreadPoolExecutor(1)).run("fn"),
        TypeError,
        "fn must be callable, not 'fn'",
    ),
    ("FakeClock", lambda: FakeClock(start=math.inf), ValueError, "start must be finite, got inf"),
    ("FakeClock", lambda: FakeClock(start=-math.inf), ValueError, "start must be finite, got -inf"),
    ("FakeClock", lambda: FakeClock(start="0"), TypeError, "start must be a real number, not '0'"),
    (
        "FakeClock",
        lambda: FakeClock(process_wide=1),
        TypeError,
        "process_wide must be a bool, not 1",
    ),
    (
        "FakeClock.advance",
        lambda: FakeClock().advance(-1),
        ValueError,
        "seconds must be a finite number of seconds >= 0, got -1",
    ),
    (
        "FakeClock.sleep",
        lambda: FakeClock().sleep(math.nan),
        ValueError,
        "seconds must not be NaN, got nan",
    ),
    (
        "use_clock",
        lambda: use_clock("now").__enter__(),
        TypeError,
        "clock must have monotonic() and sleep(), not 'now'",
    ),
    (
        "use_clock",
        lambda: use_clock(_OnlyMonotonic()).__enter__(),
        TypeError,
        "clock must have monotonic() and sleep(), not <only monotonic()>",
    ),
    (
        "use_clock",
        lambda: use_clock(FakeClock(), process_wide="yes").__enter__(),
        TypeError,
        "process_wide must be a bool, not 'yes'",
    ),
    ("Hold", lambda: Hold(D), ValueError, "status must not be final, got JobStatus.DONE"),
    ("Hold", lambda: Hold(R, queries=0), ValueError, "queries must be >= 1, got 0"),
    (
        "Hold",
        lambda: Hold(R, seconds=-5),
        ValueError,
        "seconds must be a finite number of seconds >= 0, got -5",
    ),
    ("FakeBackend", lambda: FakeBackend(name=7), TypeError, "name must be a str, not 7"),
    (
        "FakeBackend.run",
        lambda: FakeBackend().run(script=["RUNNING"]),
        TypeError,
        "script must hold Hold steps, not 'RUNNING'",
    ),
    (
        "FakeBackend.run",
        lambda: FakeBackend().run(end=R),
        ValueError,
        "end must be a final JobStatus, not <JobStatus.RUNNING",
    ),
    (
        "FakeJob transition",
        lambda: ended(D).set_status(R),
        JobError,
        "job 'fake-1' is DONE, a final status; it cannot move to RUNNING",
    ),
    (
        "FakeJob transition",
        lambda: ended(JobStatus.CANCELLED).set_result(1),
        JobError,
        "job 'fake-1' is CANCELLED, a final status; it cannot move to DONE",
    ),
    (
        "FakeJob transition",
        lambda: ended(JobStatus.ERROR).fail(OSError()),
        JobError,
        "job 'fake-1' is ERROR, a final status; it cannot move to ERROR",
    ),
    (
        "FakeJob.set_status",
        lambda: job().set_status(3),
        TypeError,
        "status must be a JobStatus, not 3",
    ),
    (
        "ExecutorBackend",
        lambda: ExecutorBackend(concurrent.futures.ThreadPoolExecutor),
        TypeError,
        "executor must be a concurrent.futures.Executor, not <class 'concurrent.futures.thread.ThreadPoolExecutor'>",
    ),
    (
        "FakeJob.fail",
        lambda: job().fail("boom"),
        TypeError,
        "error must be an exception, not 'boom'",
    ),
    ("FakeJob.submit", lambda: job().submit(), JobError, "job 'fake-1' was submitted already"),
    (
        "Monitor",
        lambda: Monitor(output="stdout"),
        TypeError,
        "output must be a text stream with write(), not 'stdout'",
    ),
    (
        "Monitor",
        lambda: Monitor(io.StringIO(), quiet="yes"),
        TypeError,
        "quiet must be a bool, not 'yes'",
    ),
    (
        "job_monitor",
        lambda: job_monitor(job(), poll=math.nan),
        ValueError,
        "poll must not be NaN, got nan",
    ),
    (
        "check_jobv1",
        lambda: check(cancel="always"),
        ValueError,
        "cancel must be 'cancels', 'refuses' or 'unsupported', not 'always'",
    ),
    (
        "check_jobv1",
        lambda: check(timeout=-1),
        ValueError,
        "timeout must be a finite number of seconds > 0, got -1",
    ),
    (
        "check_jobv1",
        lambda: check(timeout=math.inf),  # it used to blame an argument named wait
        ValueError,
        "timeout must be a finite number of seconds > 0, got inf",
    ),
    (
        "check_jobv1",
        lambda: check(timeout="1"),
        TypeError,
        "timeout must be a real number, not '1'",
    ),
    (
        "check_jobv1",
        lambda: check(timeout=HUGE),
        ValueError,
        f"timeout is too large for a float, got {HUGE}",
    ),
    # One rule for numbers: 10**400 names its argument, wherever it is given.
    (
        "wait_for_final_state",
        lambda: job().wait_for_final_state(timeout=HUGE),
        ValueError,
        f"timeout is too large for a float, got {HUGE}",
    ),
    (
        "wait_for_final_state",
        lambda: job().wait_for_final_state(wait=Fraction(HUGE)),
        ValueError,
        "wait is too large for a float, got Fraction(",
    ),
    (
        "Backoff",
        lambda: Backoff(maximum=HUGE),
        ValueError,
        f"maximum is too large for a float, got {HUGE}",
    ),
    (
        "FakeClock",
        lambda: FakeClock(start=HUGE),
        ValueError,
        f"start is too large for a float, got {HUGE}",
    ),
    (
        "FakeClock",
        lambda: FakeClock(start=Decimal("1e400")),
        ValueError,
        "start is too large for a float, got Decimal('1E+400')",
    ),
    (
        "Hold",
        lambda: Hold(R, seconds=HUGE),
        ValueError,
        f"seconds is too large for a float, got {HUGE}",
    ),
    # Policies that are misconfigured fail at once, not at the first outage.
    (
        "wait_for_final_state",
        lambda: job().wait_for_final_state(wait=Backoff),
        TypeError,
        "wait must be a number of seconds or a poll policy such as Backoff(), not the class Backoff: make one, as in Backoff()",
    ),
    (
        "Retry",
        lambda: Retry(ConnectionError, backoff=Backoff),
        TypeError,
        "backoff must be a number of seconds or a poll policy such as Backoff(), not the class Backoff",
    ),
    (
        "wait",
        lambda: lib.wait([job()], poll=_FiveIsNotDelays()),
        TypeError,
        "delays() of the poll policy <five> returned 5, which is not an iterable of seconds",
    ),
    (
        "JobV1.backend",
        lambda: ScriptedJob([R], job_id="lonely").backend(),
        JobError,
        "job 'lonely' has no backend",
    ),
    (
        "JobV1.cancel",
        lambda: ScriptedJob([R]).cancel(),
        NotImplementedError,
        "ScriptedJob cannot cancel jobs",
    ),
    ("result", lambda: lib.result(job(), timeout=math.nan), ValueError, "timeout must not be NaN"),
    (
        "result",
        lambda: lib.result(job(), cancel_on_timeout="yes"),
        TypeError,
        "cancel_on_timeout must be a bool, not 'yes'",
    ),
    (
        "result",
        lambda: lib.result(job(), retry=ConnectionError),
        TypeError,
        "retry must be a Retry or None, not <class 'ConnectionError'>",
    ),
    ("result", lambda: lib.result("job-7"), TypeError, "job must be a job"),
    (
        "result",
        lambda: lib.result(job(), fetch="get_result"),
        TypeError,
        "fetch must be callable or None, not 'get_result'",
    ),
    (
        "cancel",
        lambda: lib.cancel(job(), poll=-1),
        ValueError,
        "poll must be a finite number of seconds >= 0, got -1",
    ),
    ("cancel", lambda: lib.cancel(42), TypeError, "job must be a job"),
    (
        "aio.result",
        lambda: run_async(aio_.result(job(), cancel_on_timeout=1)),
        TypeError,
        "cancel_on_timeout must be a bool, not 1",
    ),
    (
        "aio.result",
        lambda: run_async(aio_.result(job(), fetch="get_result")),
        TypeError,
        "fetch must be callable or None, not 'get_result'",
    ),
    (
        "aio.cancel",
        lambda: run_async(aio_.cancel(job(), timeout="soon")),
        TypeError,
        "timeout must be a real number, not 'soon'",
    ),
    (
        "Retry",
        lambda: Retry(OSError, predicate=503),
        TypeError,
        "predicate must be callable or None, not 503",
    ),
    (
        "Retry",
        lambda: Retry(OSError, retry_after="Retry-After"),
        TypeError,
        "retry_after must be callable or None, not 'Retry-After'",
    ),
    ("restore", lambda: lib.restore('{"provider": "x"}'), TypeError, "reference must be a dict"),
    ("restore", lambda: lib.restore({"provider": "x"}), ValueError, "reference {'provider': 'x'}"),
    (
        "restore",
        lambda: lib.restore({"provider": 7, "backend": None, "job_id": "a"}),
        TypeError,
        "the provider of reference",
    ),
    (
        "restore",
        lambda: lib.restore({"provider": "", "backend": None, "job_id": "a"}),
        ValueError,
        "the provider of reference",
    ),
    (
        "restore",
        lambda: lib.restore({"provider": "jobv1-fake", "backend": 3, "job_id": "a"}),
        TypeError,
        "the backend of reference",
    ),
    (
        "restore",
        lambda: lib.restore({"provider": "jobv1-fake", "backend": None, "job_id": None}),
        TypeError,
        "the job_id of reference",
    ),
    (
        "restore",
        lambda: lib.restore({"provider": "nobody", "backend": None, "job_id": "a"}),
        JobError,
        "no provider named 'nobody' is installed",
    ),
    (
        "restore",  # an entry point of that name in another group (pytest's) is no provider
        lambda: lib.restore({"provider": "jobv1", "backend": None, "job_id": "a"}),
        JobError,
        (
            "no provider named 'jobv1' is installed: no entry point of that name in the group "
            "'jobv1.providers'"
        ),
    ),
    (
        "FakeJob.from_reference",
        lambda: _restoring(
            lambda: FakeJob.from_reference(
                {"provider": "jobv1-fake", "backend": None, "job_id": "a"}
            )
        ),
        ValueError,
        "reference {'provider': 'jobv1-fake'",
    ),
    (
        "JobV1.to_reference",
        lambda: ScriptedJob([R]).to_reference(),
        JobError,
        "job 'scripted' cannot be saved: ScriptedJob names no provider",
    ),
    (
        "FakeJob.to_reference",
        lambda: FakeBackend().run(result=object()).to_reference(),
        TypeError,
        "job 'fake-1' cannot be saved: its result <object object",
    ),
    ("Monitor", lambda: Monitor(refresh="1s"), TypeError, "refresh must be a real number"),
    (
        "Monitor",
        lambda: Monitor(refresh=0),
        ValueError,
        "refresh must be a number of seconds > 0, got 0",
    ),
    (
        "Monitor",
        lambda: Monitor(refresh=-1),
        ValueError,
        "refresh must be a number of seconds > 0, got -1",
    ),
    (
        "sharded.gather",
        lambda: sharded.gather([{"job_id": "a"}], _INLINE, shards=1),
        ValueError,
        "reference {'job_id': 'a'} has no 'provider'",
    ),
    (
        "sharded.gather",
        lambda: sharded.gather([], "dask", shards=1),
        TypeError,
        "executor must be a concurrent.futures.Executor, not 'dask'",
    ),
    (
        "sharded.gather",
        lambda: sharded.gather([], _INLINE, shards=2.0),
        TypeError,
        "shards must be an int, not 2.0",
    ),
    (
        "sharded.gather",
        lambda: sharded.gather([], _INLINE, shards=0),
        ValueError,
        "shards must be at least 1, got 0",
    ),
    (
        "sharded.gather",
        lambda: sharded.gather([], _INLINE, shards=1, timeout="1 min"),
        TypeError,
        "timeout must be a real number, not '1 min'",
    ),
    (
        "sharded.gather",
        lambda: sharded.gather([], _INLINE, shards=1, poll=-1),
        ValueError,
        "poll must be",
    ),
    (
        "sharded.gather",
        lambda: sharded.gather([], _INLINE, shards=1, results=1),
        TypeError,
        "results must be a bool, not 1",
    ),
    (
        "sharded.gather",
        lambda: sharded.gather([], _INLINE, shards=1, grace=-1),
        ValueError,
        "grace must be a finite number of seconds >= 0, got -1",
    ),
]


@pytest.mark.parametrize(
    ("entry", "call", "error", "words"),
    CASES,
    ids=[f"{n:02d}-{entry}" for n, (entry, *_) in enumerate(CASES)],
)
def test_bad_input_gets_a_clear_error_and_nothing_hangs(
    fake_clock: FakeClock, entry: str, call: Callable[[], Any], error: type[Exception], words: str
) -> None:
    outcome: list[BaseException | None] = []

    def attempt() -> None:
        try:
            call()
        except BaseException as caught:
            outcome.append(caught)
        else:
            outcome.append(None)

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(30)
    assert not worker.is_alive(), f"{entry} hung"
    caught = outcome[0]
    assert type(caught) is error, f"{entry}: expected {error.__name__}, got {caught!r}"
    assert str(caught).startswith(words)


def test_the_table_covers_every_public_entry_point_with_many_inputs() -> None:
    entries = {entry.split(" ")[0].split(".")[0] for entry, *_ in CASES}
    public = {
        "wait_for_final_state",
        "wait",
        "as_completed",
        "aio",
        "Backoff",
        "Retry",
        "FutureJob",
        "ExecutorBackend",
        "FakeClock",
        "use_clock",
        "Hold",
        "FakeBackend",
        "FakeJob",
        "Monitor",
        "job_monitor",
        "check_jobv1",
        "JobV1",
        "status()",
        "poll_hint()",
        "result",
        "cancel",
        "restore",
        "sharded",
    }
    assert public <= entries
    assert len(CASES) >= 30


def test_documented_edge_cases_that_are_not_errors(fake_clock: FakeClock) -> None:
    """An empty job list and a job given twice are accepted, as concurrent.futures does."""
    assert lib.wait([]) == (set(), set())
    assert list(lib.as_completed([])) == []
    twice = done_job()
    assert lib.wait([twice, twice]) == ({twice}, set())
    assert list(lib.as_completed([twice, twice])) == [twice]
    assert isinstance(FakeJob, type)
