"""jobv1.result and jobv1.cancel (blocking and awaitable) honour every option of the wait.

Each option is passed on to the wait, the fetch or the cancel request: these tests
fail if one of them is dropped on the way (a mutation run found that none did).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

import jobv1
from conftest import ScriptedJob
from jobv1 import (
    Interrupt,
    JobFailedError,
    JobStatus,
    JobTimeoutError,
    RateLimit,
    Retry,
    WaitInterruptedError,
    aio,
)
from jobv1.testing import FakeClock

R, D, E = JobStatus.RUNNING, JobStatus.DONE, JobStatus.ERROR


def blocking(call: str, job: Any, **options: Any) -> Any:
    return getattr(jobv1, call)(job, **options)


def awaited(call: str, job: Any, **options: Any) -> Any:
    return asyncio.run(getattr(aio, call)(job, **options))


DRIVERS = pytest.mark.parametrize("drive", [blocking, awaited], ids=["blocking", "asyncio"])
CALLS = pytest.mark.parametrize("call", ["result", "cancel"])
Drive = Callable[..., Any]


class Timed(ScriptedJob):
    """Notes when its status, result and cancel are asked, on the clock it is given."""

    def __init__(self, clock: FakeClock, statuses: list[Any], failures: int = 0) -> None:
        super().__init__(statuses, "timed")
        self.clock, self.failures = clock, failures
        self.asked: list[tuple[str, float]] = []

    def status(self) -> JobStatus:
        self.asked.append(("status", self.clock.monotonic()))
        if self.failures:
            self.failures -= 1
            raise ConnectionError("the service did not answer")
        return super().status()

    def result(self) -> Any:
        self.asked.append(("result", self.clock.monotonic()))
        return {"counts": 1}

    def cancel(self) -> None:
        self.asked.append(("cancel", self.clock.monotonic()))
        self._statuses = [JobStatus.CANCELLED]


@CALLS
@DRIVERS
def test_on_status_sees_the_statuses(fake_clock: FakeClock, drive: Drive, call: str) -> None:
    job = Timed(fake_clock, [R, R, D])
    seen: list[tuple[object, JobStatus]] = []
    drive(call, job, poll=1, on_status=lambda handle, status: seen.append((handle, status)))
    # each distinct status once; a cancel is asked for before the first query
    assert seen == ([(job, R), (job, D)] if call == "result" else [(job, JobStatus.CANCELLED)])


@CALLS
@DRIVERS
def test_the_retry_rides_out_status_failures(
    fake_clock: FakeClock, drive: Drive, call: str
) -> None:
    with pytest.raises(ConnectionError):
        drive(call, Timed(fake_clock, [D], failures=1))
    job = Timed(fake_clock, [D], failures=1)
    drive(call, job, retry=Retry(ConnectionError, backoff=2))
    assert [what for what, _ in job.asked if what == "status"] == ["status"] * 2


@CALLS
@DRIVERS
def test_an_interrupt_stops_the_wait(fake_clock: FakeClock, drive: Drive, call: str) -> None:
    interrupt = Interrupt()
    interrupt.set()
    job = Timed(fake_clock, [R])
    with pytest.raises(WaitInterruptedError):
        drive(call, job, poll=1, interrupt=interrupt)
    assert fake_clock.monotonic() == 0


@DRIVERS
def test_the_fetch_waits_its_turn_with_the_rate_limit(fake_clock: FakeClock, drive: Drive) -> None:
    job = Timed(fake_clock, [D])
    assert drive("result", job, rate_limit=RateLimit(1, per=10)) == {"counts": 1}
    assert job.asked == [("status", 0), ("result", 10)]  # the query took the first turn
    failed = Timed(fake_clock, [E])
    with pytest.raises(JobFailedError):
        drive("result", failed, rate_limit=RateLimit(1, per=10))
    assert failed.asked == [("status", 10), ("result", 20)]  # the provider's error, in turn too


@DRIVERS
def test_the_cancel_request_waits_its_turn_with_the_rate_limit(
    fake_clock: FakeClock, drive: Drive
) -> None:
    job = Timed(fake_clock, [R])
    assert drive("cancel", job, rate_limit=RateLimit(1, per=10)) is True
    assert job.asked == [("cancel", 0), ("status", 10)]


@DRIVERS
def test_the_fetch_comes_from_fetch(fake_clock: FakeClock, drive: Drive) -> None:
    job = Timed(fake_clock, [D])
    assert drive("result", job, fetch=lambda: "fetched") == "fetched"
    assert [what for what, _ in job.asked] == ["status"]


@DRIVERS
def test_a_failed_job_whose_result_returns_says_so(fake_clock: FakeClock, drive: Drive) -> None:
    job = Timed(fake_clock, [R, E])  # its result() gives no error of its own
    with pytest.raises(JobFailedError) as caught:
        drive("result", job)
    assert caught.value.job is job
    assert caught.value.status is E
    assert str(caught.value) == f"job {job.job_id()!r} ended in ERROR: it has no result"
    assert caught.value.__cause__ is None


@DRIVERS
def test_a_fetch_whose_turn_comes_after_the_deadline_times_out(
    fake_clock: FakeClock, drive: Drive
) -> None:
    for statuses in ([D], [E]):  # the result, or the provider's own error for a failed job
        job = Timed(fake_clock, statuses)
        with pytest.raises(JobTimeoutError) as caught:
            drive("result", job, timeout=5, rate_limit=RateLimit(1, per=10))
        assert str(caught.value) == (
            "the result of job 'timed' could not be fetched before the deadline: "
            "its rate limit had no turn for it"
        )
        assert [what for what, _ in job.asked] == ["status"]  # no fetch
        fake_clock.advance(10)  # the limit's next turn, for the next round


class Limited:
    """A backend that declares its own rate limit."""

    status_rate_limit = RateLimit(1, per=10)


@DRIVERS
def test_the_fetch_waits_its_turn_with_the_backends_rate_limit(
    fake_clock: FakeClock, drive: Drive
) -> None:
    job = Timed(fake_clock, [D])
    job._backend = Limited()  # type: ignore[assignment]
    drive("result", job)
    assert job.asked == [("status", 0), ("result", 10)]
    cancelled = Timed(fake_clock, [R])
    cancelled._backend = job._backend
    drive("cancel", cancelled)
    assert cancelled.asked == [("cancel", 20), ("status", 30)]


class Failing(Timed):
    def result(self) -> Any:
        raise KeyError("no such result")


@DRIVERS
def test_a_fetch_that_fails_with_no_retry_raises_the_providers_error(
    fake_clock: FakeClock, drive: Drive
) -> None:
    with pytest.raises(KeyError, match="no such result"):
        drive("result", Failing(fake_clock, [D]))


class Synchronous(Timed):
    _async = False


@DRIVERS
def test_a_job_final_when_made_that_answers_no_status_is_named(
    fake_clock: FakeClock, drive: Drive
) -> None:
    with pytest.raises(TypeError, match=r"^status\(\) of job 'timed' returned 'odd'"):
        drive("result", Synchronous(fake_clock, ["odd"]))


@CALLS
@DRIVERS
def test_a_job_final_when_made_is_asked_once_and_told_to_on_status(
    fake_clock: FakeClock, drive: Drive, call: str
) -> None:
    job = Synchronous(fake_clock, [D])
    job.cancel = lambda: job.asked.append(("cancel", 0))  # type: ignore[method-assign]  # too late
    seen: list[JobStatus] = []
    drive(call, job, on_status=lambda _job, status: seen.append(status))
    assert seen == [D]  # as for any job: each status it is seen in
    asked = [what for what, _ in job.asked]
    assert asked == (["status", "result"] if call == "result" else ["cancel", "status"])
