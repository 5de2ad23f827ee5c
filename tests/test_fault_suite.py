"""Faults: failing status(), failing hooks, Ctrl-C, executors shut down, futures cancelled.

In every case the caller gets the original exception (or a documented jobv1 error chained to
it), no wait hangs, and no thread is left behind.
"""

from __future__ import annotations

import concurrent.futures
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from conftest import ScriptedJob
from jobv1 import (
    ExecutorBackend,
    FutureJob,
    JobError,
    JobStatus,
    Retry,
    WaitInterruptedError,
    aio,
    as_completed,
    wait,
)
from jobv1.monitor import Monitor
from jobv1.testing import FakeBackend, FakeClock, Hold

R, D, C = JobStatus.RUNNING, JobStatus.DONE, JobStatus.CANCELLED


@pytest.fixture(autouse=True)
def no_thread_left_behind() -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 10
    while (extra := set(threading.enumerate()) - before) and time.monotonic() < deadline:
        for thread in extra:
            thread.join(0.05)
    assert not extra, f"threads left behind: {extra}"


class Failing(ScriptedJob):
    """status() raises the exceptions given for each query (None: answers normally)."""

    def __init__(self, plan: list[BaseException | None], statuses: list[JobStatus]) -> None:
        super().__init__(statuses, job_id="failing")
        self.plan = plan

    def status(self) -> JobStatus:
        failure = self.plan.pop(0) if self.plan else None
        if failure is not None:
            raise failure
        return super().status()


def _run_aio(job: Any, **options: Any) -> None:
    import asyncio

    asyncio.run(aio.wait_for_final_state(job, wait=1, **options))


def _wait(job: Any, **options: Any) -> None:
    """``wait`` on ``job``, raising the job's own failure, which the wait reports, not raises."""
    failure = wait([job], poll=1, **options).exception(job)
    if failure is not None:
        raise failure


def _as_completed(job: Any, **options: Any) -> None:
    """``as_completed`` over ``job``, raising the failure it gives the job, if any."""
    ended = as_completed([job], poll=1, **options)
    for one in ended:
        failure = ended.exception(one)
        if failure is not None:
            raise failure


#: Every kind of wait, on one job; a wait on many jobs raises the failure it reports.
WAYS: dict[str, Callable[..., Any]] = {
    "wait_for_final_state": lambda job, **kw: job.wait_for_final_state(wait=1, **kw),
    "wait": _wait,
    "as_completed": _as_completed,
    "aio": _run_aio,
}


@pytest.mark.parametrize("way", WAYS)
def test_status_that_raises_once_propagates_the_original(fake_clock: FakeClock, way: str) -> None:
    error = ConnectionResetError("once")
    with pytest.raises(ConnectionResetError) as caught:
        WAYS[way](Failing([None, error], [R, D]))
    assert caught.value is error


@pytest.mark.parametrize("way", WAYS)
def test_status_that_fails_intermittently_is_ridden_out_when_asked(
    fake_clock: FakeClock, way: str
) -> None:
    plan: list[BaseException | None] = [None, OSError(), None, OSError(), OSError(), None]
    WAYS[way](Failing(plan, [R, R, R, D]), retry=Retry(OSError, max_failures=2))


@pytest.mark.parametrize("way", WAYS)
def test_status_that_fails_forever_raises_the_last_failure_chained(
    fake_clock: FakeClock, way: str
) -> None:
    failures = [TimeoutError(n) for n in range(4)]
    with pytest.raises(TimeoutError) as caught:
        WAYS[way](Failing(list(failures), [R]), retry=Retry(TimeoutError, max_failures=3))
    assert caught.value is failures[3]
    assert caught.value.__context__ is failures[2]


@pytest.mark.parametrize("way", WAYS)
def test_a_hook_that_raises_propagates(fake_clock: FakeClock, way: str) -> None:
    error = LookupError("hook")

    def hook(*args: Any) -> None:
        raise error

    with pytest.raises(LookupError) as caught:
        WAYS[way](ScriptedJob([R, D]), on_status=hook)
    assert caught.value is error


def test_a_callback_that_raises_propagates(fake_clock: FakeClock) -> None:
    def callback(*args: Any) -> None:
        raise ArithmeticError("callback")

    with pytest.raises(ArithmeticError, match="callback"):
        ScriptedJob([R, D]).wait_for_final_state(callback=callback)


def test_a_monitor_whose_output_fails_stops_and_the_wait_goes_on(
    fake_clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 14: a display error never aborts the wait it decorates (it used to propagate)."""

    class Closed:
        def write(self, text: str) -> None:
            raise ValueError("I/O operation on closed file")

    job = ScriptedJob([R, D])
    job.wait_for_final_state(on_status=Monitor(Closed()))  # type: ignore[arg-type]
    assert job.queries == 2
    assert "the monitor stopped displaying: ValueError('I/O operation on closed file')" in (
        caplog.text
    )


@pytest.mark.parametrize("way", WAYS)
def test_ctrl_c_in_the_middle_of_a_wait_is_never_ridden_out(
    fake_clock: FakeClock, way: str
) -> None:
    with pytest.raises(KeyboardInterrupt):
        WAYS[way](Failing([None, KeyboardInterrupt()], [R, D]), retry=Retry(Exception))


def test_an_executor_shut_down_under_a_waiting_job(fake_clock: FakeClock) -> None:
    gate = threading.Event()
    backend = ExecutorBackend()
    workers: int = backend.executor._max_workers  # type: ignore[attr-defined]
    blockers = [backend.run(gate.wait, 30) for _ in range(workers)]
    queued = backend.run(pow, 2, 10)
    results: list[Any] = []

    def waiter() -> None:
        try:
            queued.result()
        except JobError as error:
            results.append(error)

    thread = threading.Thread(target=waiter)
    thread.start()
    backend.close(wait=False, cancel_pending=True)
    thread.join(30)
    assert not thread.is_alive()
    assert queued.status() is C
    assert "was cancelled" in str(results[0])
    gate.set()
    _done, not_done = wait(blockers)  # event-driven: woken as each ends, whatever the clock
    assert not not_done
    backend.close()


def test_a_future_cancelled_in_the_middle_of_a_wait(fake_clock: FakeClock) -> None:
    job: FutureJob[Any] = FutureJob(None, "f", concurrent.futures.Future())
    threading.Timer(0.05, job.future.cancel).start()
    job.wait_for_final_state()  # no timeout: the cancellation wakes it
    assert job.status() is C
    with pytest.raises(JobError, match="was cancelled"):
        job.result()


def test_a_job_whose_function_raises_chains_the_original(fake_clock: FakeClock) -> None:
    error = MemoryError("too big")

    def explode() -> None:
        raise error

    with ExecutorBackend() as backend:
        job = backend.run(explode)
        with pytest.raises(JobError) as caught:
            job.result()
    assert caught.value.__cause__ is error


def test_an_interrupt_during_a_wait_on_many_jobs_leaves_nothing_running(
    fake_clock: FakeClock, fake_backend: FakeBackend
) -> None:
    from jobv1 import Interrupt

    stop = Interrupt()
    jobs = [fake_backend.run(script=[Hold(R)]) for _ in range(5)]

    def hook(job: Any, status: JobStatus) -> None:
        if job is jobs[-1]:
            stop.set()

    with pytest.raises(WaitInterruptedError, match="the wait for 5 of 5 jobs was interrupted"):
        wait(jobs, on_status=hook, interrupt=stop)
