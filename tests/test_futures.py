"""FutureJob and ExecutorBackend: jobs over concurrent.futures, event-driven waits."""

from __future__ import annotations

import concurrent.futures
import threading
import time
from typing import Any

import pytest

from jobv1 import (
    Backend,
    ExecutorBackend,
    FutureJob,
    JobCancelledError,
    JobError,
    JobFailedError,
    JobStatus,
    JobTimeoutError,
    as_completed,
    wait,
)
from jobv1.testing import FakeBackend, FakeClock, Hold

Q, R, D, E, C = (
    JobStatus.QUEUED,
    JobStatus.RUNNING,
    JobStatus.DONE,
    JobStatus.ERROR,
    JobStatus.CANCELLED,
)


class CountingFutureJob(FutureJob[Any]):
    """Counts its status queries."""

    queries = 0

    def status(self) -> JobStatus:
        self.queries += 1
        return super().status()


def job_of(future: concurrent.futures.Future[Any] | None = None) -> CountingFutureJob:
    return CountingFutureJob(None, "f", concurrent.futures.Future() if future is None else future)


def test_status_follows_the_future() -> None:
    job = job_of()
    future = job.future
    assert job.status() is Q
    assert future.set_running_or_notify_cancel()
    assert job.status() is R
    future.set_result(42)
    assert job.status() is D
    assert job.result() == 42
    failed = job_of()
    failed.future.set_exception(ValueError("bad input"))
    assert failed.status() is E
    cancelled = job_of()
    assert cancelled.cancel() is True
    assert cancelled.status() is C


def test_a_failed_job_raises_job_error_caused_by_its_exception() -> None:
    job = job_of()
    cause = ZeroDivisionError("division by zero")
    job.future.set_exception(cause)
    # Issue 23: the errors jobv1.result raises, both JobErrors.
    with pytest.raises(JobFailedError, match="job 'f' failed: ZeroDivisionError") as caught:
        job.result()
    assert caught.value.__cause__ is cause
    assert caught.value.job is job
    assert caught.value.status is E


def test_a_cancelled_job_raises_a_clear_job_error() -> None:
    job = job_of()
    job.cancel()
    with pytest.raises(JobCancelledError, match="job 'f' was cancelled") as caught:
        job.result()
    assert caught.value.job is job
    assert caught.value.status is C
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


def test_a_finished_jobs_result_still_checks_its_timeout() -> None:
    job = job_of()
    job.future.set_result(7)
    assert job.result(timeout=0) == 7
    with pytest.raises(ValueError, match="timeout must not be NaN"):
        job.result(timeout=float("nan"))
    with pytest.raises(TypeError, match="timeout must be a real number"):
        job.result(timeout="1")  # type: ignore[arg-type]


def test_a_ctrl_c_while_the_result_is_read_is_not_taken_for_the_jobs_failure() -> None:
    class Interrupted(concurrent.futures.Future[int]):
        def result(self, timeout: float | None = None) -> int:
            raise KeyboardInterrupt

    future = Interrupted()
    future.set_result(1)
    with pytest.raises(KeyboardInterrupt):
        FutureJob(None, "f", future).result()
    # A job whose own function was interrupted failed with it: that is its failure.
    failed = job_of()
    failed.future.set_exception(KeyboardInterrupt())
    with pytest.raises(JobError, match="failed: KeyboardInterrupt"):
        failed.result()


def test_a_running_job_cannot_be_cancelled() -> None:
    job = job_of()
    job.future.set_running_or_notify_cancel()
    assert job.cancel() is False
    assert job.status() is R


def test_result_times_out(fake_clock: FakeClock) -> None:
    job = job_of()
    with pytest.raises(JobTimeoutError, match="within the timeout of 5 s"):
        job.result(timeout=5)
    assert fake_clock.monotonic() == 5
    with pytest.raises(ValueError, match="timeout must not be NaN"):
        job.result(timeout=float("nan"))


def test_a_future_job_is_never_polled(fake_clock: FakeClock) -> None:
    job = job_of()
    with pytest.raises(JobTimeoutError):
        job.wait_for_final_state(timeout=3600, wait=0.01)
    assert job.queries == 2  # one at the start, one at the deadline


def test_the_wait_wakes_when_the_future_ends(fake_clock: FakeClock) -> None:
    job = job_of()
    calls: list[JobStatus] = []

    def callback(job_id: str, status: JobStatus, _job: Any) -> None:
        calls.append(status)
        job.future.set_result("ready")  # as a worker thread would, while the wait sleeps

    job.wait_for_final_state(wait=3600, callback=callback)
    assert fake_clock.monotonic() == 0  # woken at once, not after an hour of virtual time
    assert calls == [Q]
    assert job.queries == 2


def test_a_future_already_done_needs_one_query(fake_clock: FakeClock) -> None:
    job = job_of()
    job.future.set_result(1)
    job.wait_for_final_state()
    assert job.queries == 1


def test_waiting_again_after_a_timeout_leaves_no_callback_behind(
    fake_clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    job = job_of()
    for _ in range(3):
        with pytest.raises(JobTimeoutError):
            job.wait_for_final_state(timeout=1)
    job.future.set_result(1)  # the stale watchers are switched off: nothing to wake
    job.wait_for_final_state(timeout=1)
    assert job.result() == 1
    assert caplog.records == []  # no callback of the future failed


def test_many_job_waits_mix_event_driven_and_polled_jobs(
    fake_clock: FakeClock, fake_backend: FakeBackend
) -> None:
    polled = fake_backend.run(script=[Hold(R, seconds=30)])
    futures = [job_of() for _ in range(2)]

    def chain(job: Any, status: JobStatus) -> None:
        if job is polled and status is R:
            futures[1].future.set_result(1)  # ends while the wait sleeps
        if job is futures[1] and status is D:
            futures[0].future.set_exception(OSError())

    # one query at a time, so that each hook runs before the next job's query
    order = list(
        as_completed([polled, *futures], timeout=100, poll=5, on_status=chain, max_in_flight=1)
    )
    assert order == [futures[1], futures[0], polled]
    assert fake_clock.monotonic() == 30
    assert [job.queries for job in futures] == [2, 1]  # futures[1] ended before its first query


def test_as_completed_reports_event_driven_jobs_in_completion_order(
    fake_clock: FakeClock,
) -> None:
    jobs = [job_of() for _ in range(4)]
    jobs[2].future.set_result(2)
    seen: list[Any] = []

    def next_one(job: Any, status: JobStatus) -> None:
        if status in (D, E):
            seen.append(job)
            pending = [j for j in (jobs[0], jobs[3], jobs[1]) if not j.future.done()]
            if pending:
                pending[0].future.set_result(0)

    assert list(as_completed(jobs, timeout=10, on_status=next_one)) == [
        jobs[2],
        jobs[0],
        jobs[3],
        jobs[1],
    ]
    assert fake_clock.monotonic() == 0


def test_wait_first_completed_on_futures(fake_clock: FakeClock) -> None:
    jobs = [job_of() for _ in range(3)]
    jobs[1].future.set_result(1)
    done, not_done = wait(jobs, timeout=10, return_when="FIRST_COMPLETED")
    assert (done, not_done) == ({jobs[1]}, {jobs[0], jobs[2]})


def test_future_job_checks_its_arguments() -> None:
    with pytest.raises(TypeError, match=r"future must be a concurrent\.futures\.Future, not 3"):
        FutureJob(None, "x", 3)  # type: ignore[arg-type]
    with pytest.raises(JobError, match="submitted when its future was made"):
        job_of().submit()


class TestExecutorBackend:
    def test_runs_functions_as_jobs_on_its_own_thread_pool(self) -> None:
        with ExecutorBackend() as backend:
            assert isinstance(backend, Backend)
            assert backend.name == "executor"
            assert isinstance(backend.executor, concurrent.futures.ThreadPoolExecutor)
            jobs = [backend.run(pow, 2, n) for n in range(5)]
            assert [job.job_id() for job in jobs] == [f"executor-{n}" for n in range(1, 6)]
            assert [job.result(timeout=30) for job in jobs] == [1, 2, 4, 8, 16]
            assert jobs[0].backend() is backend
            assert jobs[0].metadata == {"fn": pow}
        with pytest.raises(RuntimeError):
            backend.run(pow, 2, 2)

    def test_a_job_that_raises_ends_in_error_with_its_cause(self) -> None:
        def fail() -> None:
            raise KeyError("missing")

        with ExecutorBackend(name="local") as backend:
            job = backend.run(fail)
            job.wait_for_final_state(timeout=30)
            assert job.status() is E
            with pytest.raises(JobError) as caught:
                job.result()
            assert isinstance(caught.value.__cause__, KeyError)
            assert repr(backend).endswith("name='local')")

    def test_a_queued_job_cancels_and_a_running_one_does_not(self) -> None:
        gate = threading.Event()
        executor = concurrent.futures.ThreadPoolExecutor(max_workers=1)
        started = threading.Event()

        def hold() -> bool:
            started.set()
            return gate.wait(30)

        with ExecutorBackend(executor) as backend:
            running = backend.run(hold)
            queued = backend.run(pow, 2, 2)
            assert started.wait(30)
            assert running.status() is R
            assert queued.status() is Q
            assert queued.cancel() is True
            assert queued.status() is C
            assert running.cancel() is False
            gate.set()
            assert running.result(timeout=30) is True
        # an executor given to the backend is not shut down by it
        assert executor.submit(pow, 3, 2).result() == 9
        executor.shutdown()

    def test_close_can_cancel_what_has_not_started(self) -> None:
        gate = threading.Event()
        backend = ExecutorBackend(concurrent.futures.ThreadPoolExecutor(max_workers=1))
        backend.close()  # not its own executor: nothing happens
        own = ExecutorBackend()
        workers: int = own.executor._max_workers  # type: ignore[attr-defined]
        started = threading.Semaphore(0)

        def hold() -> bool:
            started.release()
            return gate.wait(30)

        blockers = [own.run(hold) for _ in range(workers)]
        for _ in blockers:
            assert started.acquire(timeout=30)
        assert all(blocker.status() is R for blocker in blockers)
        queued = own.run(pow, 2, 2)
        closer = threading.Thread(target=own.close, kwargs={"cancel_pending": True})
        closer.start()
        queued.wait_for_final_state(timeout=30)
        assert queued.status() is C
        gate.set()
        closer.join(30)
        assert not closer.is_alive()
        backend.executor.shutdown()

    @pytest.mark.parametrize(
        ("build", "words"),
        [
            (lambda: ExecutorBackend(42), "executor must be a concurrent.futures.Executor, not 42"),  # type: ignore[arg-type]
            (lambda: ExecutorBackend(name=1), "name must be a str, not 1"),  # type: ignore[arg-type]
        ],
    )
    def test_bad_arguments(self, build: Any, words: str) -> None:
        with pytest.raises(TypeError, match=words):
            build()

    def test_run_needs_a_callable(self) -> None:
        with ExecutorBackend() as backend, pytest.raises(TypeError, match="fn must be callable"):
            backend.run(42)  # type: ignore[arg-type]


@pytest.mark.realtime
def test_a_process_pool_runs_jobs_too() -> None:
    with concurrent.futures.ProcessPoolExecutor(max_workers=2) as pool:
        backend = ExecutorBackend(pool, name="processes")
        jobs = [backend.run(pow, 3, n) for n in range(4)]
        done, not_done = wait(jobs, timeout=60)
        assert not not_done
        assert sorted(job.result() for job in done) == [1, 3, 9, 27]


@pytest.mark.realtime
def test_the_wait_returns_soon_after_completion_whatever_wait_is() -> None:
    with ExecutorBackend() as backend:
        start = time.monotonic()
        job = backend.run(time.sleep, 0.1)
        job.wait_for_final_state(wait=3600)
        assert 0.1 <= time.monotonic() - start < 2.0  # benchmarks/ measures the latency exactly


@pytest.mark.realtime
def test_closing_the_backend_waits_for_running_jobs_by_default() -> None:
    backend = ExecutorBackend()
    job = backend.run(time.sleep, 0.05)
    backend.close()
    assert job.status() is D
    quick = ExecutorBackend()
    slow = quick.run(time.sleep, 0.2)
    while slow.status() is not R:
        time.sleep(0.001)
    quick.close(wait=False)
    assert slow.status() is R  # not waited for
    slow.wait_for_final_state(timeout=30)


def test_run_passes_arguments_and_names_its_threads() -> None:
    def describe(*args: Any, **kwargs: Any) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
        return threading.current_thread().name, args, kwargs

    with ExecutorBackend(name="lab") as backend:
        thread, args, kwargs = backend.run(describe, 1, 2, shots=3).result(timeout=30)
    assert thread.startswith("jobv1-lab")
    assert (args, kwargs) == ((1, 2), {"shots": 3})


@pytest.mark.realtime
def test_close_does_not_cancel_queued_jobs_by_default() -> None:
    gate = threading.Event()
    backend = ExecutorBackend()
    workers: int = backend.executor._max_workers  # type: ignore[attr-defined]
    blockers = [backend.run(gate.wait, 30) for _ in range(workers)]
    queued = backend.run(pow, 2, 3)
    threading.Timer(0.05, gate.set).start()
    backend.close()
    assert queued.result() == 8
    assert all(job.status() is D for job in blockers)


def test_polled_jobs_queried_after_an_event_driven_one_keep_their_schedule(
    fake_clock: FakeClock, fake_backend: FakeBackend
) -> None:
    pushed = job_of()
    polled = fake_backend.run(script=[Hold(R, seconds=3)])

    def chain(job: Any, status: JobStatus) -> None:
        if job is polled and status is D:
            pushed.future.set_result(1)

    order = list(as_completed([pushed, polled], timeout=100, poll=1, on_status=chain))
    assert order == [polled, pushed]
    assert fake_clock.monotonic() == 3  # not 100: the polled job was polled every second


def test_many_waits_on_a_pending_future_leave_one_callback(fake_clock: FakeClock) -> None:
    """Issue 11, 7: each wait left a watcher on the future until it completed."""
    from jobv1 import as_job

    job = job_of()
    for _ in range(2_000):
        with pytest.raises(JobTimeoutError):
            job.wait_for_final_state(timeout=0)
    wait([job], timeout=0)
    foreign = as_job(
        type(
            "AerStyle",
            (),
            {"_future": job.future, "job_id": lambda self: "aer", "status": lambda self: None},
        )()
    )
    wait([foreign], timeout=0)
    callbacks = job.future._done_callbacks  # type: ignore[attr-defined]
    assert len(callbacks) == 1
    assert callbacks[0].wakeups == {}
    woken: list[int] = []
    undo = job.watch(lambda: woken.append(1))
    job.watch(lambda: woken.append(2))
    undo()
    job.future.set_result(3)
    assert woken == [2]
    job.watch(lambda: woken.append(4))  # on a done future: at once
    assert woken == [2, 4]


def test_closing_a_backend_on_a_borrowed_executor_waits_for_and_cancels_its_own_jobs() -> None:
    """Issue 11: close(cancel_pending=True) did nothing for an executor it does not own."""
    gate = threading.Event()
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        other = pool.submit(gate.wait, 30)  # another user's work: left alone
        backend = ExecutorBackend(pool, name="borrowed")
        queued = backend.run(lambda: "never")
        backend.close(wait=False, cancel_pending=True)
        assert queued.status() is C
        assert not other.cancelled()
        gate.set()
        later = ExecutorBackend(pool, name="later")
        job = later.run(lambda: 42)
        later.close()  # waits for its own job
        assert job.future.done()
        assert job.result() == 42


def test_a_job_over_a_future_cannot_be_saved() -> None:
    with pytest.raises(JobError) as caught:
        job_of().to_reference()
    assert str(caught.value) == (
        "job 'f' runs on a concurrent.futures.Future of this process: "
        "it cannot be saved, nor restored in another process"
    )
