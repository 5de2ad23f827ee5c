"""Concurrent status queries (issue 12): a bound, the order kept, batches split and kept together."""

from __future__ import annotations

import asyncio
import gc
import itertools
import queue
import threading
import time
import weakref
from typing import Any

import pytest

import jobv1
from conftest import ScriptedJob
from jobv1 import Backoff, Interrupt, JobStatus, JobV1, WaitInterruptedError, _workers, aio
from jobv1.testing import FakeBackend, FakeClock, FakeJob, Hold
from test_many import BatchBackend

Q, R, D, E = JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.DONE, JobStatus.ERROR


class Meeting:
    """Counts the status() calls under way; each waits until ``size`` of them are."""

    def __init__(self, size: int) -> None:
        self.barrier = threading.Barrier(size, timeout=10)
        self.lock = threading.Lock()
        self.now = self.most = 0
        self.threads: set[int] = set()

    def attend(self) -> None:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
            self.threads.add(threading.get_ident())
        try:
            self.barrier.wait()  # fails unless `size` queries run at once
        finally:
            with self.lock:
                self.now -= 1


class Attending(ScriptedJob):
    def __init__(self, meeting: Meeting, statuses: list[Any], job_id: str) -> None:
        super().__init__(statuses, job_id)
        self.meeting = meeting

    def status(self) -> JobStatus:
        self.meeting.attend()
        return super().status()


def attending(meeting: Meeting, count: int) -> list[Attending]:
    return [Attending(meeting, [R, D], f"job-{n}") for n in range(count)]


@pytest.mark.parametrize("driver", ["blocking", "asyncio"])
def test_a_round_runs_its_queries_at_once_up_to_the_bound(
    fake_clock: FakeClock, driver: str, loop: str
) -> None:
    meeting = Meeting(4)
    jobs = attending(meeting, 12)
    seen: list[tuple[str, JobStatus]] = []
    threads: set[int] = set()

    def on_status(job: Any, status: JobStatus) -> None:
        seen.append((job.job_id(), status))
        threads.add(threading.get_ident())

    if driver == "blocking":
        done, _ = jobv1.wait(jobs, poll=1, on_status=on_status, max_in_flight=4)
        waiting_thread = threading.get_ident()
    else:

        async def main() -> tuple[set[Any], int]:
            done, _ = await aio.wait(jobs, poll=1, on_status=on_status, max_in_flight=4)
            return done, threading.get_ident()

        done, waiting_thread = asyncio.run(main())
    assert done == set(jobs)
    assert meeting.most == 4
    assert waiting_thread not in meeting.threads
    # the hooks ran in the waiting thread, in the jobs' order, round by round
    assert threads == {waiting_thread}
    ids = [job.job_id() for job in jobs]
    assert seen == [(i, R) for i in ids] + [(i, D) for i in ids]
    assert fake_clock.monotonic() == 1


def test_one_in_flight_queries_in_the_waiting_thread(fake_clock: FakeClock, loop: str) -> None:
    meeting = Meeting(1)
    jobs = attending(meeting, 5)
    jobv1.wait(jobs, poll=1, max_in_flight=1)
    assert meeting.threads == {threading.get_ident()}
    assert meeting.most == 1


def test_each_failure_ends_its_own_job_and_the_others_are_waited_on(
    fake_clock: FakeClock, loop: str
) -> None:
    class Failing(ScriptedJob):
        def status(self) -> JobStatus:
            super().status()
            raise ConnectionError(self.job_id())

    seen: list[tuple[str, JobStatus]] = []
    jobs = [ScriptedJob([R, R, D], "fine"), Failing([R], "first"), Failing([R], "second")]
    done, not_done = outcome = jobv1.wait(
        jobs, poll=1, on_status=lambda job, status: seen.append((job.job_id(), status))
    )
    assert (done, not_done) == (set(jobs), set())
    assert {job.job_id(): str(error) for job, error in outcome.failures.items()} == {
        "first": "first",
        "second": "second",
    }
    assert outcome.exception(jobs[0]) is None
    # told in the jobs' order, each failure as ERROR; the fine job asked on till it ends
    assert seen == [("fine", R), ("first", E), ("second", E), ("fine", D)]
    assert [job.queries for job in jobs] == [3, 1, 1]
    assert fake_clock.monotonic() == 2  # queries at 0, 1 and 2


def test_a_backend_declares_its_largest_batch(fake_clock: FakeClock) -> None:
    class Limited(BatchBackend):
        max_status_batch = 3

    backend = Limited()
    jobs = [backend.run(script=[Hold(R, seconds=1)]) for _ in range(10)]
    jobv1.wait(jobs, poll=1)
    assert backend.requests == [3, 3, 3, 3, 3, 3]  # the tenth job of each round asked alone
    assert all(len(job.queries) == 2 for job in jobs)


@pytest.mark.parametrize("largest", [0, -1, 2.0, True, "3"])
def test_a_bad_largest_batch_is_refused(fake_clock: FakeClock, largest: object) -> None:
    class Limited(BatchBackend):
        max_status_batch = largest

    backend = Limited()
    jobs = [backend.run(script=[Hold(R, seconds=1)]) for _ in range(2)]
    with pytest.raises((TypeError, ValueError), match="max_status_batch of"):
        jobv1.wait(jobs, poll=1)


@pytest.mark.parametrize("jitter", [0.1, 0.5, 1.0])
def test_jitter_keeps_a_batch_together(fake_clock: FakeClock, jitter: float) -> None:
    """Issue 12: 10,000 jobs cost 96,675 requests with jitter=0.1, and 13 without."""

    def requests(policy: Backoff) -> list[int]:
        backend = BatchBackend()
        jobs = [backend.run(script=[Hold(R, seconds=60)]) for _ in range(500)]
        done, _ = jobv1.wait(jobs, poll=policy)
        assert done == set(jobs)
        return backend.requests

    plain = requests(Backoff())
    jittered = requests(Backoff(jitter=jitter, seed=1))
    assert plain == [500] * len(plain)
    assert jittered == [500] * len(jittered)  # every round one request for all
    # one draw for all: delays shortened by jitter / 2 on average, so rounds grow by
    # about that fraction, not by the number of jobs
    assert len(jittered) <= len(plain) / (1 - jitter / 2) + 2


def test_a_jittered_delay_is_never_longer_than_the_policys(fake_clock: FakeClock) -> None:
    backend = BatchBackend()
    jobs = [backend.run(script=[Hold(R, seconds=1000)]) for _ in range(50)]
    policy = Backoff(initial=1, multiplier=2, maximum=8, jitter=0.5, seed=3)
    jobv1.wait(jobs, timeout=20, poll=policy)
    times = [query.time for query in jobs[0].queries]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert all(gap <= limit for gap, limit in zip(gaps, [1, 2, 4, 8, 8, 8], strict=False))
    assert all([query.time for query in job.queries] == times for job in jobs)  # together


class Stuck(JobV1):
    """A job whose status() blocks until released (for real time)."""

    def __init__(self, job_id: str, release: threading.Event) -> None:
        super().__init__(None, job_id)
        self.release = release

    def submit(self) -> None:
        """Submitted when made."""

    def status(self) -> JobStatus:
        self.release.wait(10)
        return JobStatus.RUNNING

    def result(self) -> None:
        """No result."""


@pytest.mark.realtime
@pytest.mark.parametrize("driver", ["blocking", "asyncio"])
def test_a_deadline_does_not_wait_for_slow_queries_and_keeps_what_ended(
    driver: str, loop: str
) -> None:
    """Issue 11, 6: 40 jobs with 50 ms status() and timeout=0.5 returned after 2.0 s."""
    release = threading.Event()
    stuck = [Stuck(f"stuck-{n}", release) for n in range(5)]
    fast = [ScriptedJob([D], f"fast-{n}") for n in range(5)]
    jobs: list[Any] = [*stuck, *fast]
    started = time.monotonic()
    try:
        if driver == "blocking":
            done, not_done = jobv1.wait(jobs, timeout=0.3, max_in_flight=20)
        else:
            done, not_done = asyncio.run(aio.wait(jobs, timeout=0.3, max_in_flight=20))
        elapsed = time.monotonic() - started
    finally:
        release.set()
    assert (done, not_done) == (set(fast), set(stuck))
    assert elapsed < 1.5  # generous: the stuck queries take 10 s


@pytest.mark.realtime
def test_an_interrupt_does_not_wait_for_slow_queries(loop: str) -> None:
    release = threading.Event()
    interrupt = Interrupt()
    jobs = [Stuck(f"stuck-{n}", release) for n in range(3)]
    timer = threading.Timer(0.1, interrupt.set)
    timer.start()
    started = time.monotonic()
    try:
        with pytest.raises(WaitInterruptedError):
            jobv1.wait(jobs, interrupt=interrupt)
        elapsed = time.monotonic() - started
    finally:
        release.set()
        timer.join()
    assert elapsed < 1.5


@pytest.mark.parametrize("timeout", [None, 10.0])
def test_ctrl_c_in_a_worker_is_raised_in_the_wait(
    fake_clock: FakeClock, loop: str, timeout: float | None
) -> None:
    class Interrupted(ScriptedJob):
        def status(self) -> JobStatus:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        jobv1.wait([ScriptedJob([D]), Interrupted([R])], timeout=timeout)


def test_a_round_of_cheap_queries_takes_one_worker(
    fake_clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More workers on queries that hold the interpreter's lock only take turns at it."""
    monkeypatch.setattr(_workers, "CHEAP_QUERY", 1.0)  # every round here counts as cheap
    threads: dict[float, set[int]] = {}

    class Noting(ScriptedJob):
        def status(self) -> JobStatus:
            threads.setdefault(fake_clock.monotonic(), set()).add(threading.get_ident())
            return super().status()

    started: list[int] = []
    submitted: list[object] = []
    start, submit = _workers.Run.start, _workers.submit

    def noted(task: Any, *, bounded: bool = True) -> None:
        submitted.append(task)
        submit(task, bounded=bounded)

    def counted(run: Any, bound: int, clock: object = None) -> None:
        before = len(submitted)
        start(run, bound, clock)
        # How many workers the round got: counted as they are given their work (not as
        # run.active, which they count down as they end, maybe before it is read).
        started.append(len(submitted) - before)

    monkeypatch.setattr(_workers, "submit", noted)
    monkeypatch.setattr(_workers.Run, "start", counted)
    jobs = [Noting([R, R, R, D], f"j{n}") for n in range(40)]
    assert jobv1.wait(jobs, poll=1, max_in_flight=4).done == set(jobs)
    assert [len(threads[time]) for time in sorted(threads)][1:] == [1, 1, 1]
    assert started == [4, 1, 1, 1]  # the first round on all it may, then one worker


def test_a_crew_is_one_worker_after_a_cheap_round_and_all_after_a_slow_one() -> None:
    crew = _workers.Crew(8)
    assert (crew.size(100), crew.size(3)) == (8, 3)  # the first round: as many as it may
    crew.timed(0.001, 8, 1000)  # 8 us a query
    assert crew.size(100) == 1
    crew.timed(5.0, 1, 0)  # nothing asked: nothing learnt
    assert crew.size(100) == 1
    crew.timed(0.1, 1, 100)  # 1 ms a query: a service that answers over the network
    assert crew.size(100) == 8


def test_ctrl_c_in_a_query_in_turn_is_raised_in_the_wait(fake_clock: FakeClock, loop: str) -> None:
    class Interrupted(ScriptedJob):
        def status(self) -> JobStatus:
            raise KeyboardInterrupt

    later = ScriptedJob([D])
    with pytest.raises(KeyboardInterrupt):
        jobv1.wait([ScriptedJob([D]), Interrupted([R]), later], max_in_flight=1)
    assert later.queries == 0  # the wait ended there


def test_a_worker_reads_the_clock_of_the_wait_it_runs_for(fake_clock: FakeClock) -> None:
    backend = FakeBackend()
    jobs = [backend.run(script=[Hold(R, seconds=s)]) for s in (3, 5)]
    assert jobv1.wait(jobs, poll=1)[0] == set(jobs)
    assert [q.time for q in jobs[1].queries] == [0, 1, 2, 3, 4, 5]


@pytest.mark.parametrize("bad", [0, -3, 1.5, True, "4", None])
def test_a_bad_bound_is_refused_before_any_query(fake_clock: FakeClock, bad: object) -> None:
    job = ScriptedJob([D])
    with pytest.raises((TypeError, ValueError), match="max_in_flight"):
        jobv1.wait([job], max_in_flight=bad)  # type: ignore[arg-type]
    assert job.queries == 0


def test_an_idle_worker_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_workers, "IDLE_SECONDS", 0.0)
    ran = threading.Event()
    before = {thread for thread in threading.enumerate() if thread.name == "jobv1-query"}
    pool = _workers._Pool()
    pool.submit(ran.set)
    assert ran.wait(10)
    for thread in threading.enumerate():
        if thread.name == "jobv1-query" and thread not in before:
            thread.join(10)
            assert not thread.is_alive()
    assert pool.idle == 0


def test_a_worker_timing_out_as_a_task_comes_takes_it() -> None:
    class Racing:
        """A queue whose first get() times out just as a task arrives."""

        def __init__(self, task: Any) -> None:
            self.gets = 0
            self.task = task

        def get(self, timeout: float) -> Any:
            self.gets += 1
            if self.gets == 2:
                return self.task
            raise queue.Empty

        def empty(self) -> bool:
            return self.gets >= 2

    ran: list[bool] = []
    pool = _workers._Pool()
    pool.tasks = Racing(lambda: ran.append(True))  # type: ignore[assignment]
    pool.idle = 1  # the worker that takes the task; it goes idle again, then ends
    pool.work()
    assert (ran, pool.idle) == ([True], 1)


def test_the_pool_runs_at_most_its_limit_and_queues_the_rest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 23: waits running at once share one bounded pool."""
    monkeypatch.setattr(_workers, "IDLE_SECONDS", 0.0)
    pool = _workers._Pool(limit=1)
    gate, ran = threading.Event(), []
    blocked = threading.Event()

    def first() -> None:
        blocked.set()
        gate.wait(10)
        ran.append("first")

    pool.submit(first)
    assert blocked.wait(10)
    for n in range(2):
        pool.submit(lambda n=n: ran.append(n))  # type: ignore[misc]
    assert (pool.threads, pool.waiting, ran) == (1, 2, [])
    # A task that is not bounded (an aio wait's own call) never waits for a worker.
    alone = threading.Event()
    pool.submit(alone.set, bounded=False)
    assert alone.wait(10)
    gate.set()
    for _ in range(1000):
        if pool.threads == 0:
            break
        time.sleep(0.01)
    assert ran == ["first", 0, 1]
    assert (pool.threads, pool.idle, pool.waiting) == (0, 0, 0)


@pytest.mark.realtime
@pytest.mark.parametrize("driver", ["blocking", "asyncio"])
def test_waits_running_at_once_share_the_pools_bound(
    monkeypatch: pytest.MonkeyPatch, driver: str
) -> None:
    """Four waits wanting 2 queries each at once never run more than the pool's 3."""
    monkeypatch.setattr(_workers, "_pool", _workers._Pool(limit=3))
    gate, lock = threading.Event(), threading.Lock()
    running = {"now": 0, "most": 0}

    class Gated(ScriptedJob):
        def status(self) -> JobStatus:
            with lock:
                running["now"] += 1
                running["most"] = max(running["most"], running["now"])
            try:
                gate.wait(10)
                return super().status()
            finally:
                with lock:
                    running["now"] -= 1

    waits = [[Gated([R, D], f"w{w}-j{n}") for n in range(6)] for w in range(4)]
    done: list[int] = []

    def one(jobs: list[Gated]) -> None:
        if driver == "blocking":
            found, _ = jobv1.wait(jobs, poll=0.01, max_in_flight=2)
        else:
            found, _ = asyncio.run(aio.wait(jobs, poll=0.01, max_in_flight=2))
        done.append(len(found))

    threads = [threading.Thread(target=one, args=(jobs,)) for jobs in waits]
    for thread in threads:
        thread.start()
    for _ in range(1000):  # the pool fills up
        if running["now"] == 3:
            break
        time.sleep(0.01)
    time.sleep(0.2)  # time for a fourth query to begin, were the bound not kept
    assert running["now"] == 3
    gate.set()
    for thread in threads:
        thread.join(30)
    assert (done, running["most"]) == ([6, 6, 6, 6], 3)


def test_many_waits_share_the_pool_without_mixing_clocks() -> None:
    errors: list[BaseException] = []

    def one() -> None:
        try:
            with FakeClock():
                jobs = [FakeJob(None, f"j{n}", script=[Hold(R, seconds=n)]) for n in range(4)]
                for job in jobs:
                    job.submit()
                done, _ = jobv1.wait(jobs, poll=1)
                assert done == set(jobs)
                assert [q.time for q in jobs[3].queries] == [0, 1, 2, 3]
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=one) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []


def test_a_wait_on_thousands_of_jobs_lets_the_event_loop_run(fake_clock: FakeClock) -> None:
    """Issue 12: 100,000 event-driven jobs blocked the loop for 3.7 s in one stretch."""
    import concurrent.futures

    from jobv1 import FutureJob

    def done_jobs() -> list[FutureJob[int]]:
        jobs = []
        for n in range(3000):
            future: concurrent.futures.Future[int] = concurrent.futures.Future()
            future.set_result(n)
            jobs.append(FutureJob(None, f"f{n}", future))
        return jobs

    async def main() -> tuple[int, int]:
        ticks = 0
        stop = False

        async def ticker() -> None:
            nonlocal ticks
            while not stop:
                ticks += 1
                await asyncio.sleep(0)

        ticking = asyncio.ensure_future(ticker())
        await asyncio.sleep(0)
        before = ticks
        done, _ = await aio.wait(done_jobs())
        assert len(done) == 3000
        stop = True
        await ticking
        return before, ticks

    before, after = asyncio.run(main())
    assert after - before >= 4  # watching and reading the answers, 1,000 jobs at a time
    assert len(jobv1.wait(done_jobs())[0]) == 3000


@pytest.mark.realtime
def test_idle_workers_keep_no_job_alive(fake_clock: FakeClock) -> None:
    jobs = [ScriptedJob([R, D], f"job-{n}") for n in range(50)]
    refs = [weakref.ref(job) for job in jobs]
    jobv1.wait(jobs, poll=1, max_in_flight=4)
    del jobs
    # A worker may still be handing back its share as the wait returns: give it a moment.
    for _ in range(1000):
        gc.collect()
        if all(ref() is None for ref in refs):
            break
        time.sleep(0.01)
    assert [ref() for ref in refs] == [None] * len(refs)


@pytest.mark.realtime
@pytest.mark.parametrize("driver", ["blocking", "asyncio"])
def test_a_wait_runs_at_most_its_bound_of_workers_and_they_end_after_it(driver: str) -> None:
    """Issue 23: aio.wait(max_in_flight=8) ran 12-16 worker threads; they stayed 30 s after it."""
    meeting = Meeting(8)
    jobs = attending(meeting, 40)

    def workers() -> int:
        return sum(thread.name == "jobv1-query" for thread in threading.enumerate())

    deadline = time.monotonic() + 5
    while workers() and time.monotonic() < deadline:  # those of earlier tests end first
        time.sleep(0.05)
    if driver == "blocking":
        jobv1.wait(jobs, poll=0.01)
    else:
        asyncio.run(aio.wait(jobs, poll=0.01))
    assert meeting.most == 8
    assert len(meeting.threads) <= 8
    ended = time.monotonic() + 2 + 1  # gone within 2 s, and a second for a busy machine
    while workers() and time.monotonic() < ended:
        time.sleep(0.05)
    assert workers() == 0


def test_a_wait_forgets_the_interrupt_it_listened_to(fake_clock: FakeClock) -> None:
    interrupt = Interrupt()
    jobs = [ScriptedJob([R, D], f"j{n}") for n in range(4)]
    jobv1.wait(jobs, poll=1, max_in_flight=4, interrupt=interrupt)
    assert interrupt._listeners == set()  # nothing of the wait is left to wake
