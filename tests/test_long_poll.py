"""Long-poll (issue 26, 5): a job class whose status() takes wait= seconds is asked so.

The service holds such a query until the job's status changes or the wait is
over; the waits ask again at once after news or a query held to its end, never
hold one past their deadline, and keep their interrupts and rate limits.
"""

from __future__ import annotations

import asyncio
import bisect
import threading
import time
from typing import Any

import pytest

import jobv1
from conftest import completed, waited
from jobv1 import (
    Interrupt,
    JobStatus,
    JobTimeoutError,
    JobV1,
    RateLimit,
    WaitInterruptedError,
    aio,
)
from jobv1._clock import current_clock
from jobv1.testing import FakeClock

Q, R, D = JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.DONE
# Queued for 100 s, running for 30 s.
LIFE = [(0.0, Q), (100.0, R), (130.0, D)]


class Held(JobV1[None]):
    """A job on a service that holds a status query until news, at most ``wait`` seconds.

    ``changes`` are its statuses from the times given (on the wait's clock, from
    when it is made). ``holds=False`` is a service that answers at once all the same.
    """

    status_long_poll = 55.0

    def __init__(
        self, changes: list[tuple[float, JobStatus]], job_id: str = "held", holds: bool = True
    ) -> None:
        super().__init__(None, job_id)
        self.clock = current_clock()
        start = self.clock.monotonic()
        self.times = [start + at for at, _ in changes]
        self.statuses = [status for _, status in changes]
        self.holds = holds
        #: (when asked, wait=) of each query, from the job's start.
        self.asked: list[tuple[float, float]] = []
        self.start = start

    def submit(self) -> None:
        """Nothing to submit."""

    def result(self) -> None:
        """No result."""

    def _at(self, now: float) -> JobStatus:
        return self.statuses[bisect.bisect_right(self.times, now) - 1]

    def status(self, wait: float = 0.0) -> JobStatus:
        now = self.clock.monotonic()
        self.asked.append((round(now - self.start, 6), round(wait, 6)))
        later = bisect.bisect_right(self.times, now)
        if wait and self.holds:
            change = self.times[later] - now if later < len(self.times) else wait
            self._hold(min(wait, change))
        return self._at(self.clock.monotonic())

    def _hold(self, seconds: float) -> None:
        self.clock.sleep(seconds)


def test_a_long_poll_notices_at_once_with_few_queries(fake_clock: FakeClock) -> None:
    job = Held(LIFE)
    job.wait_for_final_state()  # wait=5 is the policy: it never comes into it
    # held 55 s: no news, asked again at once; then news at 100 (RUNNING) and at 130 (DONE)
    assert job.asked == [(0, 55), (55, 55), (100, 55)]
    assert fake_clock.monotonic() == 130


def test_the_waits_and_their_drivers_long_poll_alike(fake_clock: FakeClock, driver: str) -> None:
    job = Held(LIFE)
    assert waited(driver, [job]).done == {job}
    assert job.asked == [(0, 55), (55, 55), (100, 55)]
    again = Held(LIFE)
    assert completed(driver, [again]) == [again]
    assert again.asked == [(0, 55), (55, 55), (100, 55)]


def test_no_long_poll_is_held_past_the_deadline(fake_clock: FakeClock) -> None:
    job = Held(LIFE)
    with pytest.raises(JobTimeoutError):
        job.wait_for_final_state(timeout=70)
    assert job.asked == [(0, 55), (55, 15)]  # the second held to the deadline, which it ends
    assert fake_clock.monotonic() == 70


@pytest.mark.parametrize("loop", ["alone", "general"])
def test_a_long_poll_under_a_second_from_the_deadline_is_held_that_long(
    fake_clock: FakeClock, driver: str, loop: str
) -> None:
    job = Held(LIFE)
    jobs = [job] if loop == "alone" else [job, Held(LIFE, "other")]
    assert waited(driver, jobs, timeout=55.25).not_done == set(jobs)
    asked = [query for one in jobs for query in one.asked]
    assert (55, 0.25) in asked  # held to the deadline, a quarter of a second away
    assert all(at + wait <= 55.25 for at, wait in asked)


def test_a_service_that_does_not_hold_is_polled_by_the_policy(fake_clock: FakeClock) -> None:
    job = Held(LIFE, holds=False)
    job.wait_for_final_state(wait=40, timeout=200)
    # no hold: the policy's 40 s between queries, each asking for the time left at most;
    # the news of RUNNING at 120 is asked after at once (the service may hold that one)
    assert job.asked == [(0, 55), (40, 55), (80, 55), (120, 55), (120, 55), (160, 40)]


def test_a_rate_limit_spaces_the_long_polls(fake_clock: FakeClock) -> None:
    job = Held(LIFE)
    jobv1.wait([job], rate_limit=RateLimit(1, per=60))
    # held to 55, then the limit's turn at 60; news at 100 and the turn at 120
    assert job.asked == [(0, 55), (60, 55), (120, 55)]
    assert fake_clock.monotonic() == 130


class AsyncHeld(Held):
    """Its status() is an ``async def``: an ``aio`` wait awaits the long-poll."""

    async def status(self, wait: float = 0.0) -> JobStatus:  # type: ignore[override]
        return Held.status(self, wait)


def test_an_async_long_poll_is_awaited(fake_clock: FakeClock) -> None:
    job = AsyncHeld(LIFE)
    assert asyncio.run(aio.wait([job])).done == {job}
    assert job.asked == [(0, 55), (55, 55), (100, 55)]


class Where(Held):
    """Notes the thread each of its queries runs in."""

    def __init__(self, changes: list[tuple[float, JobStatus]]) -> None:
        super().__init__(changes)
        self.threads: set[int] = set()

    def status(self, wait: float = 0.0) -> JobStatus:
        self.threads.add(threading.get_ident())
        return super().status(wait)


class NotHeld(Where):
    status_long_poll = None  # type: ignore[assignment]


@pytest.mark.parametrize(
    ("kind", "interrupt", "here"),
    [(Where, False, True), (Where, True, False), (NotHeld, True, True)],
    ids=["long-poll", "long-poll, interrupt", "interrupt"],
)
def test_a_query_made_alone_blocks_the_callers_thread_unless_an_interrupt_must_be_heeded(
    fake_clock: FakeClock, kind: type[Where], interrupt: bool, here: bool
) -> None:
    """A held query is made in a worker while an interrupt may give it up; any other, here."""
    job = kind(LIFE)
    jobv1.wait([job], interrupt=Interrupt() if interrupt else None)
    assert (job.threads == {threading.get_ident()}) is here
    assert len(job.asked) >= 3
    assert fake_clock.monotonic() == 130


def test_a_bad_long_poll_is_refused_before_any_query(fake_clock: FakeClock) -> None:
    class Negative(Held):
        status_long_poll = -1.0

    class Text(Held):
        status_long_poll = "55"  # type: ignore[assignment]

    with pytest.raises(ValueError, match=r"^status_long_poll of .*Negative must be None or finite"):
        Negative(LIFE).wait_for_final_state()
    with pytest.raises(TypeError, match=r"^status_long_poll of .*Text must be a real number"):
        jobv1.wait([Text(LIFE)])


class RealHeld(Held):
    """Held on the real clock, woken by ``stop`` too (a service closing the connection)."""

    status_long_poll = 30.0

    def __init__(self, changes: list[tuple[float, JobStatus]], job_id: str) -> None:
        super().__init__(changes, job_id)
        self.stop = threading.Event()

    def _hold(self, seconds: float) -> None:
        self.stop.wait(seconds)


@pytest.mark.realtime
def test_many_real_long_polls_notice_each_end_at_once() -> None:
    jobs = [RealHeld([(0, R), (0.2 + 0.2 * n, D)], f"job{n}") for n in range(3)]
    started = time.monotonic()
    order = list(jobv1.as_completed(jobs, timeout=20))
    took = time.monotonic() - started
    assert order == jobs
    assert took < 10  # generous: the last ends at 0.6 s; 5 s polling would take 5 s
    assert all(len(job.asked) <= 3 for job in jobs)  # held, not polled


@pytest.mark.realtime
def test_an_interrupt_gives_up_a_held_query() -> None:
    job = RealHeld([(0, R)], "forever")
    interrupt = Interrupt()
    threading.Timer(0.2, interrupt.set).start()
    started = time.monotonic()
    try:
        with pytest.raises(WaitInterruptedError):
            job.wait_for_final_state(timeout=60, interrupt=interrupt)
        assert time.monotonic() - started < 10  # not the 30 s the query may be held
    finally:
        job.stop.set()  # the service lets the held query go


def test_batch_queries_are_not_long_polls(fake_clock: FakeClock) -> None:
    class Batching:
        def job_statuses(self, jobs: list[Any]) -> list[JobStatus]:
            return [job._at(job.clock.monotonic()) for job in jobs]

    jobs = [Held(LIFE, f"b{n}") for n in range(2)]
    backend = Batching()
    for job in jobs:
        job._backend = backend  # type: ignore[assignment]
    jobv1.wait(jobs, poll=50)
    assert fake_clock.monotonic() == 150  # asked in batches every 50 s, never held
    assert all(job.asked == [] for job in jobs)
