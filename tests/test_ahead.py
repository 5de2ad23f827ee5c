"""``as_completed`` polls on while the caller's loop body runs (issue 25, 4).

On the system's clock a blocking ``as_completed`` drives its wait in a
jobv1 thread, and ``aio.as_completed`` in a task of its own, from the first
job asked for: the body of the caller's loop holds back no job's news, and
the iterator keeps at most ``READ_AHEAD`` ended jobs the caller has not
taken. Each test runs under both drivers. The bodies wait for events that
only the read-ahead can set (a job's end, seen by ``on_status``): an
iterator that polled only when asked would leave them waiting.
"""

from __future__ import annotations

import asyncio
import gc
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

import jobv1
from conftest import ScriptedJob
from jobv1 import Interrupt, JobStatus, WaitInterruptedError, aio
from jobv1._ahead import READ_AHEAD
from jobv1.testing import FakeClock

Q, R, D = JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.DONE

#: Seconds a test waits at most for what must happen: far more than it takes.
FAR = 60.0


class Seen:
    """``on_status`` for a test: notes each job's end, and an event per job to wait on."""

    def __init__(self, raising: str | None = None) -> None:
        self.ended: list[str] = []
        self.events: dict[str, threading.Event] = {}
        self.raising = raising
        self.lock = threading.Lock()

    def event(self, name: str) -> threading.Event:
        with self.lock:
            return self.events.setdefault(name, threading.Event())

    def __call__(self, job: Any, status: JobStatus) -> None:
        if status is D:
            if job.job_id() == self.raising:
                raise LookupError(job.job_id())
            self.ended.append(job.job_id())
            self.event(job.job_id()).set()


def consume(
    driver: str, jobs: list[Any], body: Callable[[Any], object], **options: Any
) -> list[Any]:
    """Each job ``as_completed`` yields under ``driver``, after ``body(job)`` ran for it.

    ``body`` blocks its thread; under asyncio it runs in a thread the loop
    awaits, so that the loop (and the read-ahead task) runs meanwhile.
    """
    if driver == "blocking":
        taken = []
        for job in jobv1.as_completed(jobs, **options):
            body(job)
            taken.append(job)
        return taken

    async def run() -> list[Any]:
        taken = []
        async for job in aio.as_completed(jobs, **options):
            await asyncio.to_thread(body, job)
            taken.append(job)
        return taken

    return asyncio.run(run())


class TestReadAhead:
    """Both drivers: the wait goes on while the caller works."""

    def test_jobs_end_while_the_body_runs(self, driver: str) -> None:
        seen = Seen()
        first, later = ScriptedJob([D], "first"), ScriptedJob([Q, Q, D], "later")

        def body(job: Any) -> None:
            if job is first:  # the later job's end is seen while this body runs
                assert seen.event("later").wait(FAR)

        taken = consume(driver, [first, later], body, poll=0.01, on_status=seen)
        assert taken == [first, later]
        assert seen.ended == ["first", "later"]

    def test_what_a_hook_raises_comes_after_the_jobs_before_it(self, driver: str) -> None:
        seen = Seen(raising="later")
        first, later = ScriptedJob([D], "first"), ScriptedJob([Q, D], "later")
        taken: list[Any] = []
        with pytest.raises(LookupError, match="later"):
            consume(driver, [first, later], taken.append, poll=0.01, on_status=seen)
        assert taken == [first]

    def test_an_interrupt_set_in_the_body_ends_the_wait(self, driver: str) -> None:
        interrupt = Interrupt()
        first, later = ScriptedJob([D], "first"), ScriptedJob([Q], "later")
        taken: list[Any] = []

        def body(job: Any) -> None:
            taken.append(job)
            interrupt.set()

        with pytest.raises(WaitInterruptedError):
            consume(driver, [first, later], body, poll=0.01, interrupt=interrupt)
        assert taken == [first]

    def test_the_deadline_is_kept_while_the_body_runs(self, driver: str) -> None:
        class Asked(ScriptedJob):
            """Says when it was asked a third time: the wait polls on."""

            thrice = threading.Event()

            def status(self) -> JobStatus:
                answer = super().status()
                if self.queries >= 3:
                    self.thrice.set()
                return answer

        first, later = ScriptedJob([D], "first"), Asked([Q], "later")

        def body(job: Any) -> None:
            # The read-ahead polls on, to the deadline (0.3 s), while this body waits.
            assert later.thrice.wait(FAR)

        with pytest.raises(jobv1.JobTimeoutError):
            consume(driver, [first, later], body, timeout=0.3, poll=0.01)
        assert later.queries >= 3


def test_closing_stops_the_thread() -> None:
    first, later = ScriptedJob([D], "first"), ScriptedJob([Q], "later")
    ended = jobv1.as_completed([first, later], poll=0.01)
    assert next(ended) is first
    ahead = ended._ahead
    assert ahead is not None
    ended.close()
    with ahead._turn:
        assert ahead._turn.wait_for(lambda: ahead.over, FAR)
    asked = later.queries
    with pytest.raises(StopIteration):
        next(ended)
    assert later.queries == asked


def test_dropping_the_iterator_stops_the_thread() -> None:
    first, later = ScriptedJob([D], "first"), ScriptedJob([Q], "later")
    ended = jobv1.as_completed([first, later], poll=0.01)
    assert next(ended) is first
    ahead = ended._ahead
    assert ahead is not None
    del ended
    gc.collect()
    with ahead._turn:
        assert ahead._turn.wait_for(lambda: ahead.over, FAR)


def test_closing_the_async_iterator_stops_its_task() -> None:
    first, later = ScriptedJob([D], "first"), ScriptedJob([Q], "later")

    async def run() -> None:
        ended = aio.as_completed([first, later], poll=0.01)
        assert await ended.__anext__() is first
        ahead = ended._ahead
        assert ahead is not None
        await ended.aclose()
        assert ahead.task.done()
        assert ahead.over
        with pytest.raises(StopAsyncIteration):
            await ended.__anext__()

    asyncio.run(run())


def test_dropping_the_async_iterator_cancels_its_task() -> None:
    first, later = ScriptedJob([D], "first"), ScriptedJob([Q], "later")

    async def run() -> None:
        ended = aio.as_completed([first, later], poll=0.01)
        assert await ended.__anext__() is first
        ahead = ended._ahead
        assert ahead is not None
        del ended
        gc.collect()
        await asyncio.wait({ahead.task})
        assert ahead.over

    asyncio.run(run())


def test_a_closed_iterator_that_never_began_asks_nothing(driver: str) -> None:
    job = ScriptedJob([D], "job")
    if driver == "blocking":
        ended = jobv1.as_completed([job])
        ended.close()
        assert list(ended) == []
    else:

        async def run() -> list[Any]:
            ended = aio.as_completed([job])
            await ended.aclose()
            return [job async for job in ended]

        assert asyncio.run(run()) == []
    assert job.queries == 0


def test_a_fake_clock_reads_nothing_ahead(fake_clock: FakeClock) -> None:
    # Virtual time passes only when something sleeps: a thread sleeping ahead would
    # move it under the caller. The iterator polls as it is asked, as it always did.
    jobs = [ScriptedJob([Q, D], "a"), ScriptedJob([Q, Q, Q, D], "b")]
    ended = jobv1.as_completed(jobs, poll=1)
    assert next(ended) is jobs[0]
    assert ended._ahead is None
    assert fake_clock.monotonic() == 1
    assert next(ended) is jobs[1]
    assert fake_clock.monotonic() == 3


@pytest.mark.realtime
def test_it_reads_no_more_than_read_ahead_jobs_ahead(driver: str) -> None:
    # One job ends a round: the read-ahead stops after READ_AHEAD jobs not taken.
    count = READ_AHEAD + 4
    seen = Seen()
    jobs = [ScriptedJob([Q] * k + [D], f"job{k}") for k in range(count)]
    full = seen.event(f"job{READ_AHEAD}")  # the first job taken, then READ_AHEAD kept

    def body(job: Any) -> None:
        if job is jobs[0]:
            assert full.wait(FAR)
            time.sleep(0.2)  # the round that ended it ends too (its news came first)
            asked = [job.queries for job in jobs]
            time.sleep(0.5)  # 50 rounds' time: none is made while the caller holds them
            assert [job.queries for job in jobs] == asked
            assert len(seen.ended) == READ_AHEAD + 1

    taken = consume(driver, jobs, body, poll=0.01, on_status=seen)
    assert taken == jobs
