"""Opt-in fault tolerance (Retry) and interruptible waits (Interrupt), in virtual time."""

from __future__ import annotations

import asyncio
import math
import re
import threading
from typing import Any

import pytest

import jobv1
from conftest import ScriptedJob
from jobv1 import (
    Backoff,
    Interrupt,
    JobStatus,
    JobTimeoutError,
    Retry,
    WaitInterruptedError,
    aio,
    as_completed,
    wait,
)
from jobv1.testing import FakeBackend, FakeClock, Hold

R, D = JobStatus.RUNNING, JobStatus.DONE


class Flaky(ScriptedJob):
    """Raises the exceptions of ``failures`` (None: answer normally) in turn, then answers."""

    def __init__(self, failures: list[BaseException | None], statuses: list[JobStatus]) -> None:
        super().__init__(statuses, job_id="flaky")
        self.failures = list(failures)
        self.times: list[float] = []

    def status(self) -> JobStatus:
        from jobv1._clock import current_clock

        self.times.append(current_clock().monotonic())
        failure = self.failures.pop(0) if self.failures else None
        if failure is not None:
            raise failure
        return super().status()


def test_without_retry_the_first_failure_propagates(fake_clock: FakeClock) -> None:
    error = ConnectionError("reset")
    job = Flaky([None, error], [R, R, D])
    with pytest.raises(ConnectionError) as caught:
        job.wait_for_final_state(wait=1)
    assert caught.value is error


def test_retry_rides_out_failures_with_backoff(fake_clock: FakeClock) -> None:
    job = Flaky([None, ConnectionError(), ConnectionError(), None, ConnectionError()], [R, R, D])
    job.wait_for_final_state(
        wait=10, retry=Retry(ConnectionError, max_failures=2, backoff=Backoff(1, 2, 8))
    )
    # query, wait 10, two failures backing off 1 then 2, success; wait 10, a failure, 1, success
    assert job.times == [0, 10, 11, 13, 23, 24]


def test_past_the_bound_the_last_failure_is_raised_with_the_earlier_ones_chained(
    fake_clock: FakeClock,
) -> None:
    errors = [TimeoutError(f"try {n}") for n in range(4)]
    job = Flaky([None, *errors], [R])
    with pytest.raises(TimeoutError, match="try 3") as caught:
        job.wait_for_final_state(wait=1, retry=Retry(ConnectionError, TimeoutError, max_failures=3))
    assert caught.value is errors[3]
    assert caught.value.__context__ is errors[2]
    assert errors[2].__context__ is errors[1]
    assert errors[1].__context__ is errors[0]


def test_one_exception_raised_again_and_again_is_not_chained_to_itself(
    fake_clock: FakeClock,
) -> None:
    error = ConnectionError("the same")
    job = Flaky([error] * 3, [R])
    with pytest.raises(ConnectionError) as caught:
        job.wait_for_final_state(retry=Retry(ConnectionError, max_failures=2))
    assert caught.value is error
    assert error.__context__ is None


def test_an_exception_not_named_is_not_ridden_out(fake_clock: FakeClock) -> None:
    job = Flaky([None, ConnectionError(), ValueError("bug")], [R, D])
    with pytest.raises(ValueError, match="bug"):
        job.wait_for_final_state(wait=1, retry=Retry(ConnectionError))


def test_the_deadline_holds_through_failures_and_names_the_last_one(
    fake_clock: FakeClock,
) -> None:
    failures = [ConnectionError(f"down {n}") for n in range(100)]
    job = Flaky(list(failures), [R])
    with pytest.raises(JobTimeoutError) as caught:
        job.wait_for_final_state(timeout=20, retry=Retry(ConnectionError, max_failures=99))
    assert fake_clock.monotonic() == 20
    assert caught.value.__cause__ is failures[6]  # the last one, at the deadline
    assert job.times == [0, 0.5, 1.5, 3.5, 7.5, 15.5, 20]


def test_retry_works_for_many_jobs_and_batches(fake_clock: FakeClock) -> None:
    jobs = [Flaky([ConnectionError()], [R, D]), Flaky([], [R, D])]
    done, _ = wait(jobs, poll=1, retry=Retry(ConnectionError))
    assert done == set(jobs)


def test_retry_is_a_validated_immutable_value() -> None:
    retry = Retry(ConnectionError, OSError, max_failures=2, backoff=3)
    assert retry.exceptions == (ConnectionError, OSError)
    assert retry.max_failures == 2
    assert retry == Retry(ConnectionError, OSError, max_failures=2, backoff=3)
    assert (
        repr(retry)
        == "Retry(ConnectionError, OSError, max_failures=2, backoff=Fixed(interval=3.0))"
    )
    assert repr(Retry(OSError)) == (
        "Retry(OSError, max_failures=5, backoff=Backoff(initial=0.5, multiplier=2.0, "
        "maximum=30.0, jitter=0.0, seed=None))"
    )
    both = Retry(OSError, backoff=1, predicate=bool, retry_after=str)
    assert repr(both) == (
        "Retry(OSError, max_failures=5, backoff=Fixed(interval=1.0), "
        "predicate=<class 'bool'>, retry_after=<class 'str'>)"
    )
    with pytest.raises(AttributeError):
        retry.max_failures = 3


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "words"),
    [
        ((), {}, ValueError, "at least one exception class"),
        ((KeyboardInterrupt,), {}, TypeError, "subclasses of Exception, not <class 'Keyboard"),
        (("ConnectionError",), {}, TypeError, "not 'ConnectionError'"),
        ((OSError,), {"max_failures": 0}, ValueError, "max_failures must be >= 1, got 0"),
        ((OSError,), {"max_failures": 2.0}, TypeError, "max_failures must be an int, not 2.0"),
        ((OSError,), {"max_failures": True}, TypeError, "max_failures must be an int, not True"),
        ((OSError,), {"backoff": math.inf}, ValueError, "backoff must be a finite number"),
    ],
)
def test_retry_refuses_bad_arguments(
    args: tuple[Any, ...], kwargs: dict[str, Any], error: type[Exception], words: str
) -> None:
    with pytest.raises(error, match=words):
        Retry(*args, **kwargs)


def test_an_interrupt_already_set_stops_the_wait_before_any_query(fake_clock: FakeClock) -> None:
    stop = Interrupt()
    stop.set()
    job = ScriptedJob([R], job_id="x")
    with pytest.raises(WaitInterruptedError, match="the wait for job 'x' was interrupted"):
        job.wait_for_final_state(interrupt=stop)
    assert job.queries == 0
    assert repr(stop) == "<Interrupt set>"


def test_an_interrupt_set_during_the_wait_stops_it(fake_clock: FakeClock) -> None:
    stop = Interrupt()
    assert repr(stop) == "<Interrupt not set>"

    def callback(job_id: str, status: JobStatus, job: Any) -> None:
        if fake_clock.monotonic() >= 20:
            stop.set()

    job = ScriptedJob([R])
    with pytest.raises(WaitInterruptedError):
        job.wait_for_final_state(wait=5, callback=callback, interrupt=stop)
    assert fake_clock.monotonic() == 20
    assert job.queries == 5


def test_one_interrupt_stops_many_waits(fake_clock: FakeClock, fake_backend: FakeBackend) -> None:
    stop = Interrupt()
    jobs = [fake_backend.run(script=[Hold(R)]) for _ in range(3)]
    stop.set()
    with pytest.raises(WaitInterruptedError, match="the wait for 3 of 3 jobs was interrupted"):
        wait(jobs, interrupt=stop)
    with pytest.raises(WaitInterruptedError):
        next(as_completed(jobs, interrupt=stop))
    assert stop.is_set()


def test_an_interrupt_wakes_a_sleeping_wait_in_another_thread() -> None:
    """Real time, but bounded: the wait sleeps for an hour unless the interrupt wakes it."""
    stop = Interrupt()
    job = FakeBackend().run(script=[Hold(R)])
    errors: list[BaseException] = []

    def waiter() -> None:
        try:
            job.wait_for_final_state(wait=3600, interrupt=stop)
        except WaitInterruptedError as error:
            errors.append(error)

    thread = threading.Thread(target=waiter)
    thread.start()
    while not job.queries:  # the first query is made at once; then the wait sleeps
        thread.join(0.001)
    stop.set()
    thread.join(30)
    assert not thread.is_alive()
    assert len(errors) == 1
    assert len(job.queries) == 1


def test_a_finished_wait_stops_listening_to_its_interrupt(fake_clock: FakeClock) -> None:
    stop = Interrupt()
    assert stop.is_set() is False
    ScriptedJob([R, D]).wait_for_final_state(interrupt=stop)
    wait([ScriptedJob([D])], interrupt=stop)
    assert stop._listeners == set()  # no event of a finished wait is kept alive


def test_one_failure_may_be_ridden_out(fake_clock: FakeClock) -> None:
    job = Flaky([OSError()], [R, D])
    job.wait_for_final_state(wait=1, retry=Retry(OSError, max_failures=1))
    assert job.done()


def test_a_retry_backoff_that_runs_out_is_named(fake_clock: FakeClock) -> None:
    class Once:
        def delays(self) -> Any:
            return iter([1.0])

        def __repr__(self) -> str:
            return "Once()"

    job = Flaky([ConnectionError(), ConnectionError()], [R, D])
    with pytest.raises(ValueError, match=r"^poll policy Once\(\) ran out of delays$"):
        job.wait_for_final_state(retry=Retry(ConnectionError, backoff=Once()))


@pytest.mark.parametrize(
    "where",
    [
        "status()",
        "the callback",
        "on_status",
        "poll_hint()",
        "watch()",
        "the undo watch() returned",
    ],
)
def test_stop_iteration_reaches_the_caller_as_itself(fake_clock: FakeClock, where: str) -> None:
    """Issue 11, 14: it arrived as 'RuntimeError: generator raised StopIteration'."""
    raised = StopIteration("from user code")

    def stop(*args: object) -> None:
        raise raised

    def arranged() -> tuple[Any, dict[str, Any]]:
        job: Any = ScriptedJob([JobStatus.RUNNING, JobStatus.DONE])
        options: dict[str, Any] = {}
        if where == "status()":
            job.status = stop
        elif where == "the callback":
            options["callback"] = stop
        elif where == "on_status":
            options["on_status"] = stop
        elif where == "poll_hint()":
            job = type("Hinting", (ScriptedJob,), {"poll_hint": lambda self, status: stop()})(
                [JobStatus.RUNNING, JobStatus.DONE]
            )
        elif where == "watch()":
            job = type("Watching", (ScriptedJob,), {"watch": lambda self, wakeup: stop()})(
                [JobStatus.RUNNING, JobStatus.DONE]
            )
        else:  # the undo runs when the wait ends
            job = type("Undoing", (ScriptedJob,), {"watch": lambda self, wakeup: stop})(
                [JobStatus.DONE]
            )
        return job, options

    job, options = arranged()
    with pytest.raises(StopIteration) as caught:
        job.wait_for_final_state(wait=1, **options)
    assert caught.value is raised
    # A coroutine cannot raise it as itself: it says where it came from.
    job, options = arranged()
    with pytest.raises(RuntimeError, match=rf"^{re.escape(where)} raised StopIteration$") as said:
        asyncio.run(aio.wait_for_final_state(job, wait=1, **options))
    assert said.value.__cause__ is raised
    with pytest.raises(StopIteration) as many:
        jobv1.wait([ScriptedJob([JobStatus.RUNNING])], poll=1, on_status=stop)
    assert many.value is raised
    iterator = jobv1.as_completed([ScriptedJob([JobStatus.RUNNING])], poll=1, on_status=stop)
    with pytest.raises(RuntimeError, match=r"^on_status raised StopIteration$") as carried:
        next(iterator)
    assert carried.value.__cause__ is raised


def test_watch_must_return_an_undo_or_none(fake_clock: FakeClock) -> None:
    """Issue 11, 13: watch() returning 17 made the wait 'succeed' and print an ignored error."""
    kind = type("Seventeen", (ScriptedJob,), {"watch": lambda self, wakeup: 17})
    job: Any = kind([JobStatus.RUNNING, JobStatus.DONE], job_id="w")
    with pytest.raises(TypeError) as caught:
        job.wait_for_final_state()
    assert str(caught.value) == (
        "watch() of job 'w' returned 17; it must return None or a function that undoes what "
        "it arranged"
    )
    assert job.queries == 0


def test_an_undo_that_fails_does_not_skip_the_others(fake_clock: FakeClock) -> None:
    """Issue 11, 13: an interrupt kept its listener, another job's future a live watcher."""
    import concurrent.futures

    from jobv1 import FutureJob

    kind = type("Failing", (ScriptedJob,), {"watch": lambda self, wakeup: failing_undo})
    failing: Any = kind([JobStatus.DONE], job_id="failing")
    undone: list[str] = []

    def failing_undo() -> None:
        undone.append("failing")
        raise ValueError("the service's unsubscribe failed")

    future: concurrent.futures.Future[int] = concurrent.futures.Future()
    future.set_result(1)
    pushed = FutureJob(None, "pushed", future)
    interrupt = Interrupt()
    with pytest.raises(ValueError, match="unsubscribe failed"):
        wait([failing, pushed], interrupt=interrupt)
    assert undone == ["failing"]
    assert interrupt._listeners == set()
    late: concurrent.futures.Future[int] = concurrent.futures.Future()
    second = FutureJob(None, "second", late)
    with pytest.raises(ValueError, match="unsubscribe failed"):
        wait([failing, second], timeout=0, interrupt=interrupt)
    watchers = late._done_callbacks  # type: ignore[attr-defined]
    assert [watcher.wakeups for watcher in watchers] == [{}]  # the wait's wake-up is gone
    assert interrupt._listeners == set()
