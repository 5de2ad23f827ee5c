"""Async providers: an ``async def status()`` is awaited by the ``aio`` waits (issue 25, 6).

The ``aio`` waits await the ``status()`` of a jobv1 job whose class defines it
with ``async def`` on the caller's event loop: no thread per query, at most
``max_in_flight`` at once, given up at the deadline and on an interrupt like
any query. The blocking waits call ``status()`` from threads with no event
loop and cannot await it: each refuses it with one clear ``TypeError`` (a
wait on many jobs, as that job's own failure), and the coroutine is closed,
never left unawaited (warnings are errors here: an unawaited coroutine would
fail the test). So is a job of another library with an ``async def
status()``: jobv1 reads it through a view, which does not await.
"""

from __future__ import annotations

import asyncio
import gc
import threading
from typing import Any

import pytest

import jobv1
from jobv1 import FIRST_COMPLETED, Interrupt, JobStatus, JobV1, WaitInterruptedError, aio
from jobv1.testing import FakeClock

Q, R, D = JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.DONE

MESSAGE = (
    r"status\(\) of job 'async-1' returned an awaitable \(coroutine\): jobv1's waits call "
    r"status\(\) from threads with no event loop and cannot await it"
)


class AsyncJob(JobV1):
    """A job written for an async HTTP client: its statuses, then the last one again."""

    def __init__(self, job_id: str = "async-1", statuses: list[JobStatus] | None = None) -> None:
        super().__init__(None, job_id)
        self.statuses = [D] if statuses is None else list(statuses)
        self.threads: list[int] = []

    def submit(self) -> None:
        """Submitted on creation."""

    async def status(self) -> JobStatus:  # type: ignore[override]
        self.threads.append(threading.get_ident())
        await asyncio.sleep(0)
        return self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]

    def result(self) -> Any:
        return f"result of {self.job_id()}"


class HintedAsyncJob(AsyncJob):
    """An async job whose poll hints say how soon it may change, by its status."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__("hinted", [Q, R, R, D])
        self.clock = clock
        self.times: list[float] = []

    async def status(self) -> JobStatus:  # type: ignore[override]
        self.times.append(self.clock.monotonic())
        return await super().status()

    def poll_hint(self, status: JobStatus) -> float | None:
        return {Q: 0.5, R: 2.0}.get(status)


def test_an_awaited_status_gives_its_jobs_hint_for_the_status_it_answered(
    fake_clock: FakeClock,
) -> None:
    job = HintedAsyncJob(fake_clock)
    assert asyncio.run(aio.wait([job], poll=10)).done == {job}
    assert job.times == [0.0, 0.5, 2.5, 4.5]


def test_an_awaited_status_at_the_deadline_asks_no_hint(fake_clock: FakeClock) -> None:
    class Counted(HintedAsyncJob):
        def poll_hint(self, status: JobStatus) -> float | None:
            hinted.append(self.clock.monotonic())
            return super().poll_hint(status)

    hinted: list[float] = []
    job = Counted(fake_clock)
    assert asyncio.run(aio.wait([job], timeout=1, poll=10)).not_done == {job}
    assert job.times == [0.0, 0.5, 1.0]  # QUEUED, then RUNNING twice: 2 s more, past the deadline
    assert hinted == [0.0, 0.5]  # none at the deadline, which ends the wait


class ForeignAsyncJob:
    """A job of another library, async too."""

    def job_id(self) -> str:
        return "async-1"

    async def status(self) -> str:
        return "DONE"


@pytest.mark.parametrize("make", [AsyncJob, ForeignAsyncJob])
def test_the_blocking_waits_refuse_an_async_status_saying_why(
    fake_clock: FakeClock, make: Any
) -> None:
    job = make()
    with pytest.raises(TypeError, match=MESSAGE):
        jobv1.as_job(job).wait_for_final_state(timeout=5)
    failures = jobv1.wait([job], timeout=5).failures
    assert list(failures) == [job]
    assert isinstance(failures[job], TypeError)
    assert "returned an awaitable (coroutine)" in str(failures[job])
    gc.collect()  # a coroutine left unawaited would warn here, and fail the test


def test_the_aio_waits_refuse_another_librarys_async_status(fake_clock: FakeClock) -> None:
    job = ForeignAsyncJob()
    with pytest.raises(TypeError, match=MESSAGE):
        asyncio.run(aio.wait_for_final_state(job, timeout=5))
    failures = asyncio.run(aio.wait([job], timeout=5)).failures
    assert isinstance(failures[job], TypeError)
    gc.collect()


def test_the_aio_waits_await_an_async_status_on_the_loop(fake_clock: FakeClock) -> None:
    async def run() -> None:
        loop_thread = threading.get_ident()
        one = AsyncJob("one", [Q, R, D])
        await aio.wait_for_final_state(one, wait=1)
        assert one.threads == [loop_thread] * 3  # no thread per query

        many = [AsyncJob(f"job{k}", [Q] * k + [D]) for k in range(4)]
        seen: list[tuple[str, JobStatus]] = []
        done, not_done = await aio.wait(
            many, poll=1, on_status=lambda job, status: seen.append((job.job_id(), status))
        )
        assert (done, not_done) == (set(many), set())
        assert ("job3", D) in seen
        assert {ident for job in many for ident in job.threads} == {loop_thread}

        ended = [job async for job in aio.as_completed([AsyncJob("b", [Q, D]), AsyncJob("a")])]
        assert [job.job_id() for job in ended] == ["a", "b"]
        assert await aio.result(AsyncJob("r", [R, D])) == "result of r"

    asyncio.run(run())
    assert fake_clock.monotonic() == pytest.approx(2 + 3 + 0.05 + 0.05)  # Backoff() starts at 0.05


class Stuck(AsyncJob):
    """Its status() never answers; it notes whether its query was cancelled."""

    query_cancelled = False

    async def status(self) -> JobStatus:  # type: ignore[override]
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.query_cancelled = True
            raise
        raise AssertionError("never answers")


def test_an_aio_wait_awaits_the_async_jobs_and_asks_the_others_as_ever(
    fake_clock: FakeClock,
) -> None:
    from conftest import ScriptedJob

    sync = ScriptedJob([Q, D], "sync")
    mixed = [AsyncJob("async", [Q, D]), sync]
    done, not_done = asyncio.run(aio.wait(mixed, poll=1))
    assert (done, not_done) == (set(mixed), set())
    assert sync.queries == 2
    added = ScriptedJob([Q, D], "added")

    async def take() -> list[str]:
        first: list[JobV1] = [AsyncJob("first", [D])]
        made = aio.as_completed(first, poll=1)
        taken = []
        async for job in made:
            taken.append(job.job_id())
            if job.job_id() == "first":
                made.add(added)  # a class the wait had not seen: asked, not awaited
        return taken

    assert asyncio.run(take()) == ["first", "added"]


def test_an_awaited_query_is_given_up_at_the_deadline() -> None:
    stuck = [Stuck("stuck0"), Stuck("stuck1")]
    jobs = [*stuck, AsyncJob("fine", [R])]

    async def run() -> Any:
        waited = await aio.wait(jobs, timeout=0.3, poll=0.05, max_in_flight=2)
        await asyncio.sleep(0)
        return waited, [job.query_cancelled for job in stuck]

    (done, not_done), cancelled = asyncio.run(run())
    assert (done, not_done) == (set(), set(jobs))
    assert len(jobs[2].threads) == 1  # not begun while the stuck ones held both turns: asked once
    assert cancelled == [False, False]  # given up, not cancelled: they end on their own


def test_at_most_max_in_flight_are_awaited_at_once(fake_clock: FakeClock) -> None:
    under_way = most = 0

    class Counted(AsyncJob):
        async def status(self) -> JobStatus:  # type: ignore[override]
            nonlocal under_way, most
            under_way += 1
            most = max(most, under_way)
            for _ in range(3):
                await asyncio.sleep(0)
            under_way -= 1
            return D

    jobs = [Counted(f"job{k}") for k in range(5)]
    done, _ = asyncio.run(aio.wait(jobs, max_in_flight=2))
    assert done == set(jobs)
    assert most == 2


def test_an_interrupt_ends_a_wait_on_an_awaited_query() -> None:
    interrupt = Interrupt()

    async def run() -> None:
        asyncio.get_running_loop().call_later(0.2, interrupt.set)
        await aio.wait([Stuck("a"), Stuck("b")], interrupt=interrupt, return_when=FIRST_COMPLETED)

    with pytest.raises(WaitInterruptedError):
        asyncio.run(run())


def test_an_awaitable_that_is_not_a_coroutine_is_refused_too(fake_clock: FakeClock) -> None:
    class Pending:
        def __await__(self) -> Any:
            yield None

    class Awaiting(AsyncJob):
        def status(self) -> Any:
            return Pending()

    with pytest.raises(TypeError, match=r"returned an awaitable \(Pending\)"):
        Awaiting().wait_for_final_state()


class AsyncBatches:
    """A backend whose ``job_statuses()`` is an ``async def``, two jobs a batch."""

    name = "async-batches"
    max_status_batch = 2

    def __init__(self) -> None:
        self.calls: list[tuple[int, list[str]]] = []

    def run(self, run_input: Any, /, **options: Any) -> JobV1[Any]:
        raise NotImplementedError("the test makes its jobs itself")

    async def job_statuses(self, jobs: list[Any]) -> list[JobStatus]:
        self.calls.append((threading.get_ident(), [job.job_id() for job in jobs]))
        await asyncio.sleep(0)
        return [job.answers.pop(0) if len(job.answers) > 1 else job.answers[0] for job in jobs]


class Batched(JobV1):
    """A job of :class:`AsyncBatches`; a wait asks its own status() only when it is due alone."""

    def __init__(self, backend: AsyncBatches, job_id: str, answers: list[JobStatus]) -> None:
        super().__init__(backend, job_id)
        self.answers = list(answers)
        self.alone = 0

    def submit(self) -> None:
        """Submitted on creation."""

    def status(self) -> JobStatus:
        self.alone += 1
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]

    def result(self) -> None:
        """No result."""


def test_the_aio_waits_await_an_async_job_statuses(fake_clock: FakeClock) -> None:
    backend = AsyncBatches()
    jobs = [Batched(backend, f"job{k}", [Q] * k + [D]) for k in range(4)]

    async def run() -> tuple[Any, int]:
        return await aio.wait(jobs, poll=1), threading.get_ident()

    waited, loop_thread = asyncio.run(run())
    assert (waited.done, waited.not_done, waited.failures) == (set(jobs), set(), {})
    assert {ident for ident, _ in backend.calls} == {loop_thread}
    # Two a batch; a job due alone (job3, at 1 s and 3 s) is asked by its own status().
    assert [ids for _, ids in backend.calls] == [
        ["job0", "job1"],
        ["job2", "job3"],
        ["job1", "job2"],
        ["job2", "job3"],
    ]
    assert [job.alone for job in jobs] == [0, 0, 0, 2]


def test_the_blocking_waits_refuse_an_async_job_statuses(fake_clock: FakeClock) -> None:
    backend = AsyncBatches()
    jobs = [Batched(backend, f"job{k}", [D]) for k in range(2)]
    failures = jobv1.wait(jobs, timeout=5).failures
    assert set(failures) == set(jobs)
    assert str(failures[jobs[0]]) == (
        "job_statuses() of the backend of job 'job0' returned an awaitable (coroutine): only "
        "the jobv1.aio waits await an async def job_statuses(); the blocking waits call it "
        "from threads with no event loop"
    )
    gc.collect()  # the coroutine was closed: no warning


def test_what_an_awaited_status_raises_fails_its_job(fake_clock: FakeClock) -> None:
    class Gone(AsyncJob):
        async def status(self) -> JobStatus:  # type: ignore[override]
            await asyncio.sleep(0)
            raise ConnectionError(f"{self.job_id()} is gone")

    gone, fine = Gone("gone"), AsyncJob("fine", [Q, D])
    interrupt = Interrupt()  # never set: the wait listens for it all along
    result = asyncio.run(aio.wait([gone, fine], poll=1, interrupt=interrupt))
    assert result.done == {gone, fine}
    assert isinstance(result.exception(gone), ConnectionError)


def test_an_awaitable_batch_answer_that_is_no_coroutine_is_refused_too(
    fake_clock: FakeClock,
) -> None:
    class Pending:
        def __await__(self) -> Any:
            yield None

    class Awaiting(AsyncBatches):
        def job_statuses(self, jobs: list[Any]) -> Any:
            return Pending()

    backend = Awaiting()
    jobs = [Batched(backend, f"job{k}", [D]) for k in range(2)]
    failures = jobv1.wait(jobs, timeout=5).failures
    assert "returned an awaitable (Pending)" in str(failures[jobs[1]])
