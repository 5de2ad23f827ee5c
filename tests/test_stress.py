"""Concurrency stress, bounded in count and time: many waiters, overlapping job sets, asyncio.

Every waiter must see every one of its jobs exactly once; nothing may deadlock or lose a
wake-up (each wait has no timeout, so a lost wake-up would hang and fail the join bound).
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from jobv1 import ExecutorBackend, FutureJob, JobStatus, aio, as_completed, wait
from jobv1.testing import FakeBackend, FakeJob, Hold

pytestmark = pytest.mark.realtime

JOIN = 120  # seconds: far beyond what any round needs; reaching it means a hang


def pause(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def run_threads(count: int, target: Callable[[int], None]) -> None:
    errors: list[BaseException] = []

    def guarded(n: int) -> None:
        try:
            target(n)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=guarded, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN)
    assert not any(thread.is_alive() for thread in threads), "a waiter hung"
    assert not errors, errors[:3]


def mixed_jobs(backend: ExecutorBackend, fake: FakeBackend, count: int) -> list[Any]:
    """Event-driven jobs on the executor, and polled fake jobs, ending within a few ms."""
    rng = random.Random(count)
    jobs: list[Any] = []
    for n in range(count):
        seconds = rng.random() * 0.004
        if n % 3:
            jobs.append(backend.run(pause, seconds))
        else:
            jobs.append(fake.run(script=[Hold(JobStatus.RUNNING, seconds=seconds)]))
    return jobs


def test_64_threads_waiting_on_the_same_jobs() -> None:
    seen: dict[int, int] = {}
    lock = threading.Lock()
    with ExecutorBackend(ThreadPoolExecutor(8)) as backend:
        for round_ in range(20):
            jobs = mixed_jobs(backend, FakeBackend(), 30)

            def waiter(n: int, jobs: list[Any] = jobs) -> None:
                if n % 2:
                    done, not_done = wait(jobs, poll=0.002)
                    assert done == set(jobs)
                    assert not not_done
                else:
                    for job in jobs[n % 5 :: 5]:
                        job.wait_for_final_state(wait=0.002)
                        assert job.in_final_state()
                with lock:
                    seen[n] = seen.get(n, 0) + 1

            run_threads(64, waiter)
            assert round_ + 1 == min(seen.values())
        backend.executor.shutdown()
    assert sum(seen.values()) == 64 * 20  # 1,280 waits, each over 30 jobs or 6


def test_as_completed_from_8_threads_over_overlapping_lists() -> None:
    with ExecutorBackend(ThreadPoolExecutor(8)) as backend:
        for round_ in range(40):
            jobs = mixed_jobs(backend, FakeBackend(), 40)
            rng = random.Random(round_)
            subsets = [rng.sample(jobs, 25) + rng.sample(jobs, 5) for _ in range(8)]

            def consumer(n: int, subsets: list[list[Any]] = subsets) -> None:
                yielded = list(as_completed(subsets[n], poll=0.002))
                assert len(yielded) == len(set(yielded))  # each job exactly once
                assert set(yielded) == set(subsets[n])

            run_threads(8, consumer)
        backend.executor.shutdown()


def test_asyncio_waits_and_thread_waits_on_the_same_jobs_at_once() -> None:
    with ExecutorBackend(ThreadPoolExecutor(8)) as backend:
        for _ in range(25):
            jobs = mixed_jobs(backend, FakeBackend(), 40)
            thread_results: list[set[Any]] = []

            def thread_waiter(
                n: int, jobs: list[Any] = jobs, thread_results: list[set[Any]] = thread_results
            ) -> None:
                thread_results.append(set(as_completed(jobs, poll=0.002)))

            async def async_waiters(jobs: list[Any] = jobs) -> list[list[Any]]:
                async def one() -> list[Any]:
                    return [job async for job in aio.as_completed(jobs, poll=0.002)]

                done, _ = await aio.wait(jobs, poll=0.002)
                assert done == set(jobs)
                return list(await asyncio.gather(*(one() for _ in range(4))))

            async_results: list[list[list[Any]]] = []
            loop_thread = threading.Thread(
                target=lambda out=async_results, run=async_waiters: out.append(asyncio.run(run()))
            )
            loop_thread.start()
            run_threads(4, thread_waiter)
            loop_thread.join(JOIN)
            assert not loop_thread.is_alive()
            assert all(result == set(jobs) for result in thread_results)
            for order in async_results[0]:
                assert len(order) == len(jobs)
                assert set(order) == set(jobs)
        backend.executor.shutdown()


def test_a_future_completed_while_its_waiter_registers_is_never_lost() -> None:
    """Race the future's completion against the wait's registration, thousands of times."""
    import concurrent.futures

    for n in range(3000):
        future: concurrent.futures.Future[int] = concurrent.futures.Future()
        job = FutureJob(None, f"race-{n}", future)
        threading.Thread(target=future.set_result, args=(n,)).start()
        job.wait_for_final_state()  # no timeout: a lost wake-up would hang here
        assert job.result() == n


def test_fake_jobs_are_safe_to_drive_from_many_threads() -> None:
    job = FakeJob(None, "shared", script=[Hold(JobStatus.RUNNING)])
    job.submit()

    def querier(n: int) -> None:
        for _ in range(500):
            assert job.status() in (JobStatus.RUNNING, JobStatus.DONE)

    def finisher() -> None:
        time.sleep(0.01)
        job.set_result("done")

    threading.Thread(target=finisher).start()
    run_threads(16, querier)
    assert job.status() is JobStatus.DONE
    assert len(job.queries) == 16 * 500 + 1
