"""jobv1.aio: awaitable waits that never block the event loop."""

from __future__ import annotations

import asyncio
import concurrent.futures
import math
import threading
import time
from typing import Any

import pytest

from conftest import ScriptedJob
from jobv1 import (
    ExecutorBackend,
    FutureJob,
    Interrupt,
    JobStatus,
    JobTimeoutError,
    JobV1,
    Retry,
    WaitInterruptedError,
    aio,
)
from jobv1.testing import FakeBackend, FakeClock, Hold

Q, R, D, E = JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.DONE, JobStatus.ERROR


class Flaky(ScriptedJob):
    """Fails its first ``failures`` status queries with ConnectionError."""

    def __init__(self, statuses: list[JobStatus], failures: int = 1) -> None:
        super().__init__(statuses)
        self.failures = failures

    def status(self) -> JobStatus:
        if self.failures:
            self.failures -= 1
            raise ConnectionError
        return super().status()


def future_job(name: str = "f") -> FutureJob[Any]:
    return FutureJob(None, name, concurrent.futures.Future())


def test_wait_for_final_state_keeps_the_contract_in_virtual_time(
    fake_clock: FakeClock, fake_backend: FakeBackend
) -> None:
    job = fake_backend.run(script=[Hold(Q, seconds=10), Hold(R, seconds=7)])
    calls: list[JobStatus] = []
    seen: list[JobStatus] = []
    asyncio.run(
        aio.wait_for_final_state(
            job,
            wait=5,
            callback=lambda _id, status, _job: calls.append(status),
            on_status=lambda _job, status: seen.append(status),
        )
    )
    assert [q.time for q in job.queries] == [0, 5, 10, 15, 20]
    assert calls == [Q, Q, R, R]
    assert seen == [Q, R, D]


def test_the_deadline_is_exact(fake_clock: FakeClock, fake_backend: FakeBackend) -> None:
    job = fake_backend.run(script=[Hold(R)])
    with pytest.raises(JobTimeoutError, match=r"within the timeout of 0\.2 s"):
        asyncio.run(aio.wait_for_final_state(job, timeout=0.2, wait=1))
    assert [q.time for q in job.queries] == [0, 0.2]


def test_a_synchronous_job_class_returns_at_once(fake_clock: FakeClock) -> None:
    class Synchronous(ScriptedJob):
        _async = False

    job = Synchronous([R])
    asyncio.run(aio.wait_for_final_state(job))
    assert job.queries == 0


def test_bad_arguments_are_refused(fake_clock: FakeClock) -> None:
    untyped: Any = aio
    with pytest.raises(TypeError, match=r"job must be a job \(a JobV1, .*\), not 3$"):
        asyncio.run(untyped.wait_for_final_state(3))
    with pytest.raises(ValueError, match="timeout must not be NaN"):
        asyncio.run(untyped.wait_for_final_state(ScriptedJob([R]), timeout=math.nan))
    with pytest.raises(ValueError, match="return_when must be"):
        asyncio.run(untyped.wait([ScriptedJob([R])], return_when="SOME"))
    with pytest.raises(TypeError, match="jobs must be an iterable of jobs"):
        untyped.as_completed(5)


def test_exceptions_from_status_propagate(fake_clock: FakeClock) -> None:
    class Broken(ScriptedJob):
        def status(self) -> JobStatus:
            raise ConnectionAbortedError("gone")

    with pytest.raises(ConnectionAbortedError, match="gone"):
        asyncio.run(aio.wait_for_final_state(Broken([R])))


def test_retry_works_on_the_loop(fake_clock: FakeClock) -> None:
    job = Flaky([R, D], failures=2)
    asyncio.run(aio.wait_for_final_state(job, wait=1, retry=Retry(ConnectionError, backoff=1)))
    assert fake_clock.monotonic() == 3


def test_wait_and_as_completed(fake_clock: FakeClock, fake_backend: FakeBackend) -> None:
    jobs = [fake_backend.run(script=[Hold(R, seconds=s)]) for s in (30, 10, 20)]

    async def main() -> tuple[list[Any], Any, Any]:
        order = [job async for job in aio.as_completed(jobs, poll=1)]
        first = await aio.wait(jobs, return_when="FIRST_COMPLETED")
        everything = await aio.wait(jobs)
        return order, first, everything

    order, first, everything = asyncio.run(main())
    assert order == [jobs[1], jobs[2], jobs[0]]
    assert first == ({*jobs}, set())  # all are final by now: one round returns them all
    assert everything == ({*jobs}, set())


def test_wait_returns_at_the_deadline_and_as_completed_raises(
    fake_clock: FakeClock, fake_backend: FakeBackend
) -> None:
    slow, fast = (fake_backend.run(script=[Hold(R, seconds=s)]) for s in (100, 1))
    failing = fake_backend.run(script=[Hold(R, seconds=2)], error=OSError())

    async def main() -> tuple[Any, Any, list[Any]]:
        timed = await aio.wait([slow, fast], timeout=5, poll=1)
        first_error = await aio.wait([slow, failing], return_when="FIRST_EXCEPTION", poll=1)
        seen: list[Any] = []

        async def collect() -> None:
            async for job in aio.as_completed([slow, fast], timeout=3, poll=1):
                seen.append(job)  # noqa: PERF401 - keeps what came before the error

        with pytest.raises(JobTimeoutError, match="1 of 2 jobs"):
            await collect()
        return timed, first_error, seen

    timed, first_error, seen = asyncio.run(main())
    assert timed == ({fast}, {slow})
    assert first_error == ({failing}, {slow})
    assert seen == [fast]


def test_future_jobs_are_awaited_without_a_thread_or_polling(fake_clock: FakeClock) -> None:
    jobs = [future_job(f"f{n}") for n in range(3)]

    async def main() -> list[Any]:
        loop = asyncio.get_running_loop()
        # Each future ends on the loop once the one before it was handed back: the order
        # does not hang on how long the wait takes to start.
        ends = [
            lambda: jobs[0].future.set_exception(OSError()),
            lambda: jobs[1].future.set_result(1),
        ]
        loop.call_soon(jobs[2].future.set_result, 2)
        threads = threading.active_count()
        order = []
        async for job in aio.as_completed(jobs):
            order.append(job)
            if ends:
                loop.call_soon(ends.pop(0))
        assert threading.active_count() == threads
        return order

    assert asyncio.run(main()) == [jobs[2], jobs[0], jobs[1]]
    assert fake_clock.monotonic() == 0  # never slept in virtual time: woken each time


def test_cancelling_the_awaiting_task_stops_the_polling_at_once(
    fake_clock: FakeClock, fake_backend: FakeBackend
) -> None:
    job = fake_backend.run(script=[Hold(R)])

    async def main() -> None:
        task = asyncio.create_task(aio.wait_for_final_state(job, wait=1))
        for _ in range(100_000):  # until the wait is under way (its queries run in threads)
            await asyncio.sleep(0)
            if len(job.queries) > 1:
                break
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    queries = len(job.queries)
    assert queries > 0
    fake_clock.advance(100)
    assert len(job.queries) == queries


def test_an_interrupt_stops_an_async_wait(fake_clock: FakeClock) -> None:
    stop = Interrupt()

    async def main() -> None:
        asyncio.get_running_loop().call_later(0.01, stop.set)
        await aio.wait([future_job()], interrupt=stop)

    with pytest.raises(WaitInterruptedError):
        asyncio.run(main())


@pytest.mark.realtime
def test_real_time_waits_on_futures_and_polled_jobs() -> None:
    async def main() -> tuple[float, float]:
        with ExecutorBackend() as backend:
            start = time.monotonic()
            job = backend.run(time.sleep, 0.05)
            await aio.wait_for_final_state(job, wait=3600)
            event_driven = time.monotonic() - start
        polled = FakeBackend().run(script=[Hold(R)])
        start = time.monotonic()
        with pytest.raises(JobTimeoutError):
            await aio.wait_for_final_state(polled, timeout=0.2, wait=1)
        return event_driven, time.monotonic() - start

    event_driven, deadline = asyncio.run(main())
    assert 0.05 <= event_driven < 2
    assert 0.2 <= deadline < 0.6


@pytest.mark.realtime
def test_the_event_loop_is_never_blocked_by_100_waits() -> None:
    """A loop-lag probe stays low while 100 polled jobs with slow status() are awaited."""

    class Slow(ScriptedJob):
        def status(self) -> JobStatus:
            time.sleep(0.005)  # a blocking request to a service
            return super().status()

    async def main() -> float:
        jobs = [Slow([R] * 5 + [D], job_id=f"s{n}") for n in range(100)]
        lags: list[float] = []

        async def probe() -> None:
            while True:
                start = time.monotonic()
                await asyncio.sleep(0.005)
                lags.append(time.monotonic() - start - 0.005)

        prober = asyncio.create_task(probe())
        _, not_done = await aio.wait(jobs, timeout=60, poll=0.01)
        prober.cancel()
        assert not not_done
        return max(lags)

    assert asyncio.run(main()) < 0.2  # generous; benchmarks/ measures it


def test_a_future_that_ends_before_the_sleep_is_queried_at_once(fake_clock: FakeClock) -> None:
    job = future_job()

    def callback(job_id: str, status: JobStatus, _job: Any) -> None:
        job.future.set_result("soon")

    asyncio.run(aio.wait_for_final_state(job, timeout=10, callback=callback))
    assert fake_clock.monotonic() == 0
    assert job.result() == "soon"


@pytest.mark.realtime
def test_real_time_sleeps_are_cut_short_by_an_interrupt_or_end_at_the_deadline() -> None:
    async def main() -> tuple[float, float]:
        stop = Interrupt()
        polled = FakeBackend().run(script=[Hold(R)])
        asyncio.get_running_loop().call_later(0.05, stop.set)
        start = time.monotonic()
        with pytest.raises(WaitInterruptedError):
            await aio.wait_for_final_state(polled, wait=3600, interrupt=stop)
        interrupted = time.monotonic() - start
        start = time.monotonic()
        with pytest.raises(JobTimeoutError):
            await aio.wait_for_final_state(future_job(), timeout=0.1)
        return interrupted, time.monotonic() - start

    interrupted, timed_out = asyncio.run(main())
    assert 0.05 <= interrupted < 2
    assert 0.1 <= timed_out < 0.5


def test_as_completed_passes_on_its_options(fake_clock: FakeClock) -> None:
    seen: list[JobStatus] = []
    stop = Interrupt()

    async def main() -> list[Any]:
        return [
            job
            async for job in aio.as_completed(
                [Flaky([R, D])],
                poll=1,
                on_status=lambda job, status: seen.append(status),
                retry=Retry(ConnectionError),
                interrupt=stop,
            )
        ]

    assert len(asyncio.run(main())) == 1
    assert seen == [R, D]
    stop.set()
    with pytest.raises(WaitInterruptedError):
        asyncio.run(main())


def test_the_default_interval_is_five_seconds(
    fake_clock: FakeClock, fake_backend: FakeBackend
) -> None:
    job = fake_backend.run(script=[Hold(R, seconds=12)])
    asyncio.run(aio.wait_for_final_state(job))
    assert [q.time for q in job.queries] == [0, 5, 10, 15]


def test_a_wake_up_after_the_loop_closed_is_dropped() -> None:
    from jobv1._aiodrive import LoopWaker

    loop = asyncio.new_event_loop()
    waker = LoopWaker(loop)
    loop.close()
    errors: list[BaseException] = []

    def late() -> None:
        try:
            waker.set()
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=late)
    thread.start()
    thread.join(10)
    assert errors == []


def test_wait_passes_on_its_options(fake_clock: FakeClock) -> None:
    seen: list[JobStatus] = []
    job = Flaky([R, D])
    done, _ = asyncio.run(
        aio.wait(
            [job],
            poll=1,
            on_status=lambda j, status: seen.append(status),
            retry=Retry(ConnectionError),
        )
    )
    assert done == {job}
    assert seen == [R, D]


class Nudging(ScriptedJob):
    """An event-driven job whose service pushes a notice while it is still running.

    Its first query calls the wake-up (a message said "something changed"),
    but the job is only running: the wait must query it once more and then
    sleep on, to its deadline, rather than take the wake-up for the deadline.
    """

    def __init__(self) -> None:
        super().__init__([R])
        self.wakeup: Any = None

    def watch(self, wakeup: Any) -> Any:
        self.wakeup = wakeup
        return lambda: None

    def status(self) -> JobStatus:
        if self.queries == 0:
            self.wakeup()
        return super().status()


def _nudged_wait(blocking: bool, timeout: float) -> Nudging:
    job = Nudging()

    def run() -> None:
        if blocking:
            job.wait_for_final_state(timeout=timeout)
        else:
            asyncio.run(aio.wait_for_final_state(job, timeout=timeout))

    with pytest.raises(JobTimeoutError):
        run()
    return job


@pytest.mark.parametrize("blocking", [True, False], ids=["blocking", "async"])
def test_a_wake_up_while_running_is_not_taken_for_the_deadline(
    fake_clock: FakeClock, blocking: bool
) -> None:
    job = _nudged_wait(blocking, timeout=10)
    assert job.queries == 3  # at 0, again at once when woken, and at the deadline
    assert fake_clock.monotonic() == 10


@pytest.mark.realtime
@pytest.mark.parametrize("blocking", [True, False], ids=["blocking", "async"])
def test_a_wake_up_while_running_is_not_taken_for_the_deadline_in_real_time(
    blocking: bool,
) -> None:
    start = time.monotonic()
    job = _nudged_wait(blocking, timeout=0.2)
    assert job.queries == 3
    assert 0.2 <= time.monotonic() - start < 2


class EndsAt(JobV1):
    """A polled job that is running until ``seconds`` of real time have passed."""

    def __init__(self, seconds: float) -> None:
        super().__init__(None, "ends-at")
        self.end = time.monotonic() + seconds
        self.queries = 0

    def submit(self) -> None:
        """Nothing to submit."""

    def status(self) -> JobStatus:
        self.queries += 1
        return D if time.monotonic() >= self.end else R

    def result(self) -> None:
        """No result."""


@pytest.mark.realtime
@pytest.mark.parametrize("waker", [False, True], ids=["alone", "with-an-event-driven-job"])
def test_real_time_async_waits_make_their_last_query_at_the_deadline(waker: bool) -> None:
    """A job due after the deadline is still queried there, once the sleep to it is over."""
    job = EndsAt(0.05)
    others = [future_job()] if waker else []
    done, not_done = asyncio.run(aio.wait([job, *others], timeout=0.2, poll=3600))
    assert done == {job}
    assert not_done == set(others)
    assert job.queries == 2


class SlowService(JobV1):
    """A job whose status() takes ``seconds`` of real time, as a hung HTTP request does."""

    def __init__(self, seconds: float, job_id: str = "slow") -> None:
        super().__init__(None, job_id)
        self.seconds = seconds
        self.started = threading.Event()

    def submit(self) -> None:
        """Submitted when made."""

    def status(self) -> JobStatus:
        self.started.set()
        time.sleep(self.seconds)
        return JobStatus.RUNNING

    def result(self) -> None:
        """No result."""


@pytest.mark.realtime
def test_an_async_deadline_does_not_wait_for_a_slow_query() -> None:
    """Issue 11, 6: a 3 s status() made a 0.5 s deadline 3 s late, asyncio.run's exit included."""
    started = time.monotonic()
    with pytest.raises(JobTimeoutError, match="Timeout while waiting for job slow"):
        asyncio.run(aio.wait_for_final_state(SlowService(3.0), timeout=0.3))
    assert time.monotonic() - started < 2.0  # generous; the query alone takes 3 s
    started = time.monotonic()
    jobs = [SlowService(3.0, f"slow-{n}") for n in range(3)]
    done, not_done = asyncio.run(aio.wait(jobs, timeout=0.3))
    assert (done, not_done) == (set(), set(jobs))
    assert time.monotonic() - started < 2.0


@pytest.mark.realtime
def test_an_async_interrupt_does_not_wait_for_a_slow_query() -> None:
    job = SlowService(3.0)
    interrupt = Interrupt()

    async def scenario() -> None:
        waiting = asyncio.ensure_future(aio.wait_for_final_state(job, interrupt=interrupt))
        await asyncio.to_thread(job.started.wait, 10)
        interrupt.set()
        await waiting

    started = time.monotonic()
    with pytest.raises(WaitInterruptedError, match="the wait for job 'slow' was interrupted"):
        asyncio.run(scenario())
    assert time.monotonic() - started < 2.0


@pytest.mark.realtime
def test_cancelling_an_async_wait_does_not_wait_for_a_slow_query() -> None:
    job = SlowService(3.0)

    async def scenario() -> None:
        waiting = asyncio.ensure_future(aio.wait_for_final_state(job))
        await asyncio.to_thread(job.started.wait, 10)
        waiting.cancel()
        await waiting

    started = time.monotonic()
    with pytest.raises(asyncio.CancelledError):
        asyncio.run(scenario())
    assert time.monotonic() - started < 2.0


class SleepyClock:
    """A real clock of a user's own: its sleep blocks the thread it runs in."""

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float, wakeup: Any = None) -> bool:
        if wakeup is None:
            time.sleep(seconds)
            return False
        return bool(wakeup.wait(seconds))


@pytest.mark.realtime
def test_a_clock_of_ones_own_never_blocks_the_event_loop() -> None:
    """Issue 11, 10: its sleep ran on the loop and stalled it for 0.51 s."""
    from jobv1.testing import use_clock

    gaps: list[float] = []

    async def ticker(stop: asyncio.Event) -> None:
        last = time.monotonic()
        while not stop.is_set():
            await asyncio.sleep(0.01)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    async def scenario() -> None:
        stop = asyncio.Event()
        ticking = asyncio.ensure_future(ticker(stop))
        job = ScriptedJob([JobStatus.RUNNING, JobStatus.RUNNING, JobStatus.DONE])
        await aio.wait_for_final_state(job, wait=0.25)
        stop.set()
        await ticking

    with use_clock(SleepyClock()):
        asyncio.run(scenario())
    assert max(gaps) < 0.2  # generous: each sleep is 0.25 s, which used to stall the loop


def test_a_clock_whose_sleep_fails_fails_the_async_wait() -> None:
    from jobv1.testing import use_clock

    class Broken(SleepyClock):
        def sleep(self, seconds: float, wakeup: Any = None) -> bool:
            raise OSError("the clock's device is gone")

    job = ScriptedJob([JobStatus.RUNNING])
    with use_clock(Broken()), pytest.raises(OSError, match="device is gone"):
        asyncio.run(aio.wait_for_final_state(job, wait=1))
    assert job.queries == 1


def test_poll_hint_runs_off_the_event_loop_right_after_its_status(fake_clock: FakeClock) -> None:
    """Issue 11, 10: poll_hint() ran on the loop, where a provider's network call stalls it."""
    calls: list[tuple[str, int]] = []

    class Hinted(ScriptedJob):
        def status(self) -> JobStatus:
            calls.append(("status", threading.get_ident()))
            return super().status()

        def poll_hint(self, status: JobStatus) -> float | None:
            calls.append((f"hint {status.name}", threading.get_ident()))
            return 7.0

    async def main() -> int:
        await aio.wait_for_final_state(Hinted([Q, R, D]), timeout=60)
        return threading.get_ident()

    loop_thread = asyncio.run(main())
    assert [name for name, _ in calls] == [
        "status",
        "hint QUEUED",
        "status",
        "hint RUNNING",
        "status",
    ]
    # each hint in the thread of the query just before it, and none on the loop
    assert [thread for _, thread in calls[1::2]] == [thread for _, thread in calls[0:4:2]]
    assert loop_thread not in {thread for _, thread in calls}
    assert fake_clock.monotonic() == 14  # the hints paced the wait


def test_a_failing_poll_hint_is_raised_by_the_async_wait_not_ridden_out(
    fake_clock: FakeClock,
) -> None:
    class Hinted(ScriptedJob):
        def poll_hint(self, status: JobStatus) -> float | None:
            raise ConnectionError("hint service down")

    job = Hinted([R, D])
    with pytest.raises(ConnectionError, match="hint service down"):
        asyncio.run(aio.wait_for_final_state(job, retry=Retry(ConnectionError)))
    assert job.queries == 1  # raised as the blocking wait raises it, not taken for a failed query


def test_no_hint_is_asked_at_the_deadline(fake_clock: FakeClock) -> None:
    asked: list[float] = []

    class Hinted(ScriptedJob):
        def poll_hint(self, status: JobStatus) -> float | None:
            asked.append(fake_clock.monotonic())
            return None

    with pytest.raises(JobTimeoutError):
        Hinted([R]).wait_for_final_state(timeout=12, wait=5)
    assert asked == [0, 5, 10]  # none at t=12, the deadline's own query


def test_wake_ups_from_other_threads_send_the_loop_one_call_until_it_arrives() -> None:
    from jobv1._aiodrive import LoopWaker

    async def main() -> None:
        loop = asyncio.get_running_loop()
        waker = LoopWaker(loop)
        sent: list[object] = []
        real = loop.call_soon_threadsafe

        def counting(callback: Any, *args: Any) -> Any:
            sent.append(callback)
            return real(callback, *args)

        loop.call_soon_threadsafe = counting  # type: ignore[method-assign, assignment]

        def many() -> None:
            for _ in range(1000):
                waker.set()

        # 1,000 futures ending in another thread, before the loop runs again.
        thread = threading.Thread(target=many)
        thread.start()
        thread.join()
        assert len(sent) == 1
        await asyncio.wait_for(waker.event.wait(), 5)
        waker.clear()
        # Once that call arrived, the next wake-up sends one of its own.
        thread = threading.Thread(target=waker.set)
        thread.start()
        thread.join()
        assert len(sent) == 2
        await asyncio.wait_for(waker.event.wait(), 5)

    asyncio.run(main())
