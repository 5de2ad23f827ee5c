"""The loop's own cost, and waits at scale, each against the strongest alternative.

    python -m benchmarks.scale      # print the tables

Every figure is the median of several runs with its range in brackets; the
sides of a comparison run in turn, A B A B. Qiskit comes with the ``bench``
extra; without it, its columns say n/a.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import gc
import statistics
import threading
import time
import tracemalloc
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import jobv1
from jobv1 import Backoff, FutureJob, JobStatus, JobV1, RateLimit, Retry, aio
from jobv1._clock import SystemClock
from jobv1.testing import FakeClock, use_clock

from ._measure import interleaved, per_call

if TYPE_CHECKING:
    from collections.abc import Callable

R, D = JobStatus.RUNNING, JobStatus.DONE


class NoSleep(SystemClock):
    """The system clock, read as a wait reads it, that never sleeps: the loop's own cost remains.

    Qiskit's side has its ``time.sleep`` replaced by a function that does
    nothing, as this one's ``sleep`` does: one call each.
    """

    def sleep(self, seconds: float, wakeup: Any = None) -> bool:
        return False


def _qiskit() -> Any:
    try:
        import qiskit.providers.job as job_module
        from qiskit import providers
    except ImportError:
        return None
    return SimpleNamespace(JobV1=providers.JobV1, JobStatus=providers.JobStatus, module=job_module)


def _counter(base: type, running: Any, done: Any, status_seconds: float = 0.0) -> type:
    """A job class answering RUNNING ``left`` times, then DONE; each status() may take time."""

    def __init__(self: Any, left: int) -> None:  # noqa: N807 - the class's own, made below
        base.__init__(self, None, "counter")  # type: ignore[misc]
        self.left = left

    def status(self: Any) -> Any:
        if status_seconds:
            time.sleep(status_seconds)
        self.left -= 1
        return running if self.left >= 0 else done

    return type(
        "Counter",
        (base,),
        {
            "__init__": __init__,
            "status": status,
            "status_seconds": status_seconds,
            "answers": (running, done),
            "submit": lambda self: None,
            "result": lambda self: None,
        },
    )


def _cpu_of_waits(job_class: type, polls: int, clock: Any, qiskit_sleep: Any = None) -> float:
    """CPU µs per poll of one wait.

    Unless it sleeps, the job's ``status`` is a list iterator's ``__next__``,
    on both sides: a call in C of a few tens of nanoseconds, left in. (A
    method in Python, its CPU measured apart and taken out, left noise as
    large as the loops' own cost.)
    """
    job = job_class(polls)
    if not job.status_seconds:
        running, done = job.answers
        job.status = iter([running] * polls + [done]).__next__
    started = time.process_time()
    if qiskit_sleep is None:
        with use_clock(clock):
            job.wait_for_final_state(wait=0)
    else:
        module = _qiskit().module
        real = module.time
        module.time = SimpleNamespace(time=time.time, sleep=qiskit_sleep)
        try:
            job.wait_for_final_state(wait=0)
        finally:
            module.time = real
    return 1e6 * (time.process_time() - started) / polls


class _RealSleep0(SystemClock):
    def sleep(self, seconds: float, wakeup: Any = None) -> bool:
        time.sleep(0)
        return False


def cpu_per_poll(runs: int = 5) -> list[tuple[str, list[float], list[float] | None]]:
    """CPU per poll, jobv1 against Qiskit: with nothing else, a real sleep(0), a 1 ms status().

    The first case, the loops alone, costs a few hundred nanoseconds a poll,
    and the machine's noise is as large: it gets three times ``runs``.
    """
    qiskit = _qiskit()
    cases = [
        ("no sleep (a call that does nothing)", 0.0, NoSleep(), lambda seconds: None, 100_000, 3),
        ("a real sleep(0) between polls", 0.0, _RealSleep0(), time.sleep, 50_000, 1),
        # The CPU of a real 1 ms sleep varies more from call to call than a loop
        # costs: taking it out left noise (even below zero). It is left in, the
        # same on both sides, and the difference between them is the loops'.
        ("a status() of 1 ms (its CPU left in)", 0.001, NoSleep(), lambda seconds: None, 2000, 1),
    ]
    rows = []
    for label, status_seconds, clock, qiskit_sleep, polls, times in cases:
        ours = _counter(JobV1, R, D, status_seconds)
        sides: dict[str, Callable[[], float]] = {
            "jobv1": functools.partial(_cpu_of_waits, ours, polls, clock)
        }
        if qiskit is not None:
            theirs = _counter(
                qiskit.JobV1, qiskit.JobStatus.RUNNING, qiskit.JobStatus.DONE, status_seconds
            )
            sides["qiskit"] = functools.partial(_cpu_of_waits, theirs, polls, None, qiskit_sleep)
        results = interleaved(sides, runs * times)
        rows.append((label, results["jobv1"], results.get("qiskit")))
    return rows


def fixed_costs(runs: int = 5) -> list[tuple[str, list[float], str, list[float] | None]]:
    """µs for a wait on a job already DONE, and for FutureJob.result() on a finished future."""
    qiskit = _qiskit()
    done_ours = _counter(JobV1, R, D)(0)
    rows = []
    sides: dict[str, Callable[[], float]] = {
        "jobv1": lambda: per_call(done_ours.wait_for_final_state, 20_000)
    }
    if qiskit is not None:
        done_theirs = _counter(qiskit.JobV1, qiskit.JobStatus.RUNNING, qiskit.JobStatus.DONE)(0)
        sides["other"] = lambda: per_call(done_theirs.wait_for_final_state, 20_000)
    results = interleaved(sides, runs)
    rows.append(
        ("wait on a job already DONE", results["jobv1"], "Qiskit JobV1", results.get("other"))
    )
    future: concurrent.futures.Future[int] = concurrent.futures.Future()
    future.set_result(1)
    job = FutureJob(None, "f", future)
    results = interleaved(
        {
            "jobv1": lambda: per_call(job.result, 100_000),
            "other": lambda: per_call(future.result, 100_000),
        },
        runs,
    )
    rows.append(
        ("result() of a finished job", results["jobv1"], "Future.result()", results["other"])
    )
    return rows


def many_job_loop(count: int = 1000, polls: int = 20, runs: int = 5) -> dict[str, list[float]]:
    """µs per query of ``wait`` over ``count`` jobs, ``status()`` left in, no sleeping.

    ``status()`` is the same few lines of Python on every side; the floor is
    the plainest loop by hand (no deadline, order, hooks or checks).
    """
    job_class = _counter(JobV1, R, D)

    def ours(bound: int) -> float:
        jobs = [job_class(polls) for _ in range(count)]
        started = time.perf_counter()
        with use_clock(NoSleep()):
            jobv1.wait(jobs, poll=0, max_in_flight=bound)
        return 1e6 * (time.perf_counter() - started) / (count * (polls + 1))

    def by_hand() -> float:
        # The plainest loop there is: no deadline, no order, no hooks, no checks.
        jobs = [job_class(polls) for _ in range(count)]
        started = time.perf_counter()
        pending = jobs
        while pending:
            pending = [job for job in pending if job.status() is not D]
        return 1e6 * (time.perf_counter() - started) / (count * (polls + 1))

    return interleaved(
        {
            "max_in_flight=8 (default)": lambda: ours(8),
            "max_in_flight=1": lambda: ours(1),
            "by hand (floor)": by_hand,
        },
        runs,
    )


class _Never(JobV1):
    def submit(self) -> None: ...
    def result(self) -> None: ...
    def status(self) -> JobStatus:
        return R


def _deadline_by_hand(jobs: list[Any], timeout: float) -> None:
    """The floor of a deadline: a round, a sleep to the deadline, the deadline's round."""
    deadline = time.monotonic() + timeout
    pending = [job for job in jobs if job.status() is not D]
    time.sleep(max(0.0, deadline - time.monotonic()))
    pending = [job for job in pending if job.status() is not D]


def deadline_at_scale(
    counts: tuple[int, ...] = (1000, 10_000, 100_000), runs: int = 5
) -> list[tuple[int, list[float], list[float]]]:
    """ms between ``timeout=0.2`` and the return of ``wait`` over never-ending cheap jobs.

    Each count gives jobv1's lateness and the floor's, interleaved: the
    floor (:func:`_deadline_by_hand`) queries every job, sleeps to the
    deadline and queries them all once more, as the wait's rule says, with
    nothing else (no order, hooks or checks).
    """
    rows = []
    for count in counts:
        jobs = [_Never(None, f"n{n}") for n in range(count)]
        late, floor = [], []
        for _ in range(runs):
            started = time.monotonic()
            jobv1.wait(jobs, timeout=0.2)
            late.append(1000 * (time.monotonic() - started - 0.2))
            started = time.monotonic()
            _deadline_by_hand(jobs, 0.2)
            floor.append(1000 * (time.monotonic() - started - 0.2))
        rows.append((count, late, floor))
    return rows


class _Ending(JobV1):
    """Answers RUNNING until its ``polls``-th query, then DONE."""

    def __init__(self, polls: int) -> None:
        super().__init__(None, "ending")
        self.left = polls

    def submit(self) -> None: ...
    def result(self) -> None: ...
    def status(self) -> JobStatus:
        self.left -= 1
        return D if self.left < 0 else R


def memory_per_job(count: int = 10_000) -> dict[str, float]:
    """Bytes a wait allocates per job at its peak, by layout and by kind of job (virtual time).

    Jobs that never end and jobs that end after a few queries, on the
    plain layout and on the general one (a ``Retry`` takes it); and a
    blocking wait over ``FutureJob`` s whose futures end in the middle.
    """

    def peak(run: Callable[[], object]) -> float:
        tracemalloc.start()
        try:
            run()
            return tracemalloc.get_traced_memory()[1] / count
        finally:
            tracemalloc.stop()

    general = Retry(ConnectionError)  # any retry takes the general layout
    rows: dict[str, float] = {}
    with FakeClock():
        never = [_Never(None, f"n{n}") for n in range(count)]
        rows["plain layout, jobs that never end"] = peak(lambda: jobv1.wait(never, timeout=1))
        rows["general layout, jobs that never end"] = peak(
            lambda: jobv1.wait(never, timeout=1, retry=general)
        )
        ending = [_Ending(3) for _ in range(count)]
        rows["plain layout, jobs that end"] = peak(lambda: jobv1.wait(ending, poll=1))
        ending = [_Ending(3) for _ in range(count)]
        rows["general layout, jobs that end"] = peak(
            lambda: jobv1.wait(ending, poll=1, retry=general)
        )
    futures: list[concurrent.futures.Future[int]] = [
        concurrent.futures.Future() for _ in range(count)
    ]
    jobs = [FutureJob(None, f"f{n}", future) for n, future in enumerate(futures)]

    def futures_end() -> None:
        for future in futures:
            future.set_result(1)

    def blocking() -> None:
        threading.Timer(0.05, futures_end).start()
        assert len(jobv1.wait(jobs, timeout=60).done) == count

    rows["blocking wait over FutureJobs that end"] = peak(blocking)
    return rows


async def _await_all(side: str, jobs: list[FutureJob[int]], started: float) -> tuple[float, int]:
    """Await the jobs' futures as :func:`loop_lag`'s ``side`` says: the call's seconds, how many."""
    ended = 0
    if side == "as_completed":
        completions = aio.as_completed(jobs, timeout=60)  # blocks the loop: it checks each job
        call = time.perf_counter() - started
        async for _ in completions:
            ended += 1
    elif side == "wait":
        waiting = asyncio.ensure_future(aio.wait(jobs, timeout=60))
        await asyncio.sleep(0)  # the wait's first step: its checks and first slice
        call = time.perf_counter() - started
        done, _ = await waiting
        ended = len(done)
    elif side == "to_thread":  # the standard library's wait, in a thread of its own
        futures = [job.future for job in jobs]
        waited = asyncio.ensure_future(
            asyncio.to_thread(concurrent.futures.wait, futures, timeout=60)
        )
        await asyncio.sleep(0)
        call = time.perf_counter() - started
        ended = len((await waited).done)
    elif side == "callback":  # by hand: one done-callback shared by every future
        loop = asyncio.get_running_loop()
        finished: asyncio.Future[None] = loop.create_future()
        left = [len(jobs)]
        lock = threading.Lock()

        def one_ended(_: object) -> None:
            with lock:
                left[0] -= 1
                last = not left[0]
            if last:
                loop.call_soon_threadsafe(finished.set_result, None)

        for job in jobs:
            job.future.add_done_callback(one_ended)
        call = time.perf_counter() - started
        await finished
        ended = len(jobs)
    else:
        wrapped = [asyncio.wrap_future(job.future) for job in jobs]
        call = time.perf_counter() - started
        for completion in asyncio.as_completed(wrapped, timeout=60):
            await completion
            ended += 1
    return call, ended


def loop_lag(count: int = 100_000, side: str = "as_completed") -> dict[str, float]:
    """The event loop's worst lag while ``count`` FutureJobs' futures are awaited.

    ``side`` is ``"as_completed"`` or ``"wait"`` (``jobv1.aio``'s, over the
    jobs); ``"asyncio"``, ``asyncio.wrap_future`` on each future, then
    ``asyncio.as_completed``; ``"to_thread"``, ``concurrent.futures.wait`` on
    the futures in ``asyncio.to_thread``; or ``"callback"``, by hand: one
    done-callback shared by every future, added in one go, which wakes the
    loop once. The futures end in
    another thread, 1,000 every 10 ms. The worst lag counts the call
    itself, which checks every job (or wraps every future) before it
    returns; its time is also given alone. Also given: the longest full
    garbage collection CPython made meanwhile, which no code running on the
    loop can cut short.
    """
    futures: list[concurrent.futures.Future[int]] = [
        concurrent.futures.Future() for _ in range(count)
    ]
    jobs = [FutureJob(None, f"f{n}", future) for n, future in enumerate(futures)]
    collections: list[float] = []
    began = [0.0]

    def timing(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            began[0] = time.perf_counter()
        elif info["generation"] == 2:
            collections.append(time.perf_counter() - began[0])

    def finish() -> None:
        for first in range(0, count, 1000):
            for future in futures[first : first + 1000]:
                future.set_result(1)
            time.sleep(0.01)

    async def main() -> dict[str, float]:
        lags: list[float] = []
        stop = False

        async def tick() -> None:
            last = time.perf_counter()
            while not stop:
                await asyncio.sleep(0)
                now = time.perf_counter()
                lags.append(now - last)
                last = now

        ticker = asyncio.create_task(tick())
        await asyncio.sleep(0)
        threading.Thread(target=finish, daemon=True).start()
        started = time.perf_counter()
        call, ended = await _await_all(side, jobs, started)
        stop = True
        await ticker
        assert ended == count
        return {
            "call_ms": 1000 * call,
            "worst_lag_ms": 1000 * max(lags),
            "p99_lag_ms": 1000 * statistics.quantiles(lags, n=100)[98],
            "total_s": time.perf_counter() - started,
            "worst_gc_ms": 1000 * max(collections, default=0.0),
        }

    gc.collect()  # the collection the setup's 100,000 futures made due is not the wait's
    gc.callbacks.append(timing)
    try:
        return asyncio.run(main())
    finally:
        gc.callbacks.remove(timing)


def as_completed_vs_stdlib(count: int = 10_000, runs: int = 3) -> dict[str, list[float]]:
    """Seconds to see ``count`` already finished futures through each ``as_completed``."""

    def futures() -> list[concurrent.futures.Future[int]]:
        made: list[concurrent.futures.Future[int]] = [
            concurrent.futures.Future() for _ in range(count)
        ]
        for future in made:
            future.set_result(1)
        return made

    def ours() -> float:
        jobs = [FutureJob(None, f"f{n}", future) for n, future in enumerate(futures())]
        started = time.perf_counter()
        assert sum(1 for _ in jobv1.as_completed(jobs)) == count
        return time.perf_counter() - started

    def stdlib() -> float:
        made = futures()
        started = time.perf_counter()
        assert sum(1 for _ in concurrent.futures.as_completed(made)) == count
        return time.perf_counter() - started

    return interleaved(
        {"jobv1.as_completed": ours, "concurrent.futures.as_completed": stdlib}, runs
    )


class _Duck:
    """A job of no library: ``job_id()`` and ``status()``, RUNNING ``left`` times, then DONE."""

    def __init__(self, left: int) -> None:
        self.left = left

    def job_id(self) -> str:
        return "duck"

    def status(self) -> JobStatus:
        self.left -= 1
        return R if self.left >= 0 else D


def foreign_jobs(count: int = 1000, polls: int = 20, runs: int = 5) -> dict[str, list[float]]:
    """µs of ``jobv1.wait`` per query over ``count`` jobs of each kind, ``status()`` left in.

    jobv1's own jobs; a Qiskit ``JobV1`` subclass answering Qiskit's
    statuses (if Qiskit is installed); any object with ``job_id()`` and
    ``status()``; and the floor: the plainest loop by hand over the last
    kind (no deadline, order, hooks or checks). Each kind's ``status()`` is
    the same few lines of Python, and its cost is left in, on every side.
    """
    kinds: dict[str, type] = {"jobv1 JobV1": _counter(JobV1, R, D)}
    qiskit = _qiskit()
    if qiskit is not None:
        kinds["Qiskit JobV1"] = _counter(
            qiskit.JobV1, qiskit.JobStatus.RUNNING, qiskit.JobStatus.DONE
        )
    kinds["job_id() and status()"] = _Duck

    def side(job_class: type) -> Callable[[], float]:
        def run() -> float:
            jobs = [job_class(polls) for _ in range(count)]
            started = time.perf_counter()
            with use_clock(NoSleep()):
                jobv1.wait(jobs, poll=0)
            return 1e6 * (time.perf_counter() - started) / (count * (polls + 1))

        return run

    def by_hand() -> float:
        pending: list[Any] = [_Duck(polls) for _ in range(count)]
        started = time.perf_counter()
        while pending:
            pending = [job for job in pending if job.status() is not D]
        return 1e6 * (time.perf_counter() - started) / (count * (polls + 1))

    sides = {label: side(kind) for label, kind in kinds.items()}
    sides["by hand, job_id() and status() (floor)"] = by_hand
    return interleaved(sides, runs)


def future_jobs_blocking(count: int = 100_000, runs: int = 3) -> dict[str, list[float]]:
    """Blocking ``as_completed`` over ``count`` FutureJobs whose futures end in another thread.

    1,000 futures end every 10 ms. For ``jobv1.as_completed`` and
    ``concurrent.futures.as_completed`` on the same kind of futures: the
    seconds until the last is yielded, and the longest garbage collection
    while it ran (ms), as ``gc.callbacks`` time them.
    """

    def side(ours: bool) -> tuple[float, float]:
        futures: list[concurrent.futures.Future[int]] = [
            concurrent.futures.Future() for _ in range(count)
        ]
        jobs = [FutureJob(None, f"f{n}", future) for n, future in enumerate(futures)]
        pauses: list[float] = []
        began = [0.0]

        def timing(phase: str, info: dict[str, int]) -> None:
            if phase == "start":
                began[0] = time.perf_counter()
            else:
                pauses.append(time.perf_counter() - began[0])

        def end() -> None:
            for first in range(0, count, 1000):
                for future in futures[first : first + 1000]:
                    future.set_result(1)
                time.sleep(0.01)

        ender = threading.Thread(target=end)
        gc.collect()  # the collection the setup's 200,000 objects made due is not the wait's
        gc.callbacks.append(timing)
        started = time.perf_counter()
        ender.start()
        try:
            waited = jobv1.as_completed(jobs) if ours else concurrent.futures.as_completed(futures)
            assert sum(1 for _ in waited) == count
            took = time.perf_counter() - started
        finally:
            ender.join()
            gc.callbacks.remove(timing)
        return took, 1e3 * max(pauses, default=0.0)

    results: dict[str, list[float]] = {}
    for _ in range(runs):
        for label, ours in (("jobv1.as_completed", True), ("concurrent.futures", False)):
            took, pause = side(ours)
            results.setdefault(f"{label} s", []).append(took)
            results.setdefault(f"{label} gc ms", []).append(pause)
    return results


def _statuses(jobs: list[Any]) -> list[Any]:
    return [job.status() for job in jobs]


def aio_polled(
    count: int = 10_000, polls: int = 5, runs: int = 3, bounds: tuple[int, ...] = (8, 1)
) -> dict[str, list[float]]:
    """Seconds of CPU for an asyncio wait over ``count`` cheap polled jobs, ``polls`` rounds each.

    jobv1's ``aio.wait`` (with each of ``bounds`` in flight, no sleep
    between rounds, no hook) against the plainest asyncio program that does
    the same: each round's status() calls in one ``asyncio.to_thread`` call,
    then the answers sorted by hand (the
    floor: one hand-over a round, no deadline, no hooks, no order kept).
    CPU, not wall time, so that the threads' waiting is not counted.
    """
    job_class = _counter(JobV1, R, D)

    def ours(bound: int) -> float:
        jobs = [job_class(polls) for _ in range(count)]

        async def main() -> int:
            # What main returns stays small on both sides: Python 3.11's
            # asyncio.run makes the repr of the task's result as it ends (of
            # 10,000 jobs here, 15 ms), which is no part of either wait.
            done, _ = await aio.wait(jobs, poll=0, max_in_flight=bound)
            return len(done)

        started = time.process_time()
        finished = asyncio.run(main())
        cpu = time.process_time() - started
        assert finished == count
        return cpu

    def by_hand() -> float:
        jobs = [job_class(polls) for _ in range(count)]

        async def main() -> None:
            pending = jobs
            while pending:
                answers = await asyncio.to_thread(_statuses, pending)
                pending = [job for job, answer in zip(pending, answers, strict=True) if answer is R]

        started = time.process_time()
        asyncio.run(main())
        return time.process_time() - started

    sides: dict[str, Callable[[], float]] = {
        f"jobv1.aio.wait, max_in_flight={bound}": functools.partial(ours, bound) for bound in bounds
    }
    sides["to_thread per round (floor)"] = by_hand
    return interleaved(sides, runs)


class _Batched:
    """A backend that answers many jobs' statuses in one request, and counts them."""

    def __init__(self, clock: FakeClock, ends: float) -> None:
        self.clock, self.ends, self.requests = clock, ends, 0

    def job_statuses(self, jobs: Any) -> list[JobStatus]:
        self.requests += 1
        return [D if self.clock.monotonic() >= self.ends else R for _ in jobs]


class _OnBatched(JobV1):
    def submit(self) -> None: ...
    def result(self) -> None: ...
    def status(self) -> JobStatus:
        raise AssertionError("asked in batches only")


def jitter_with_batches(count: int = 2000, ends: float = 600.0) -> dict[str, int]:
    """Requests to a batch backend over ``count`` jobs ending at 10 min, by policy (virtual)."""
    requests = {}
    for label, policy in (
        ("Backoff()", Backoff()),
        ("Backoff(jitter=0.1)", Backoff(jitter=0.1)),
        ("Backoff(jitter=0.5)", Backoff(jitter=0.5)),
    ):
        with FakeClock() as clock:
            backend = _Batched(clock, ends)
            jobs = [_OnBatched(backend, f"b{n}") for n in range(count)]  # type: ignore[arg-type]
            jobv1.wait(jobs, poll=policy)
            requests[label] = backend.requests
    return requests


def rate_limit_held(
    per_second: int = 40, threads: int = 4, seconds: float = 2.0
) -> dict[str, float]:
    """Status requests per second from ``threads`` waits sharing one RateLimit (real time)."""
    limit = RateLimit(per_second, per=1.0, burst=per_second // 4)
    stamps: list[float] = []

    class Counted(JobV1):
        def submit(self) -> None: ...
        def result(self) -> None: ...
        def status(self) -> JobStatus:
            stamps.append(time.monotonic())
            return R

    def one_wait(n: int) -> None:
        jobs = [Counted(None, f"{n}-{k}") for k in range(50)]
        jobv1.wait(jobs, timeout=seconds, poll=0, rate_limit=limit)

    workers = [threading.Thread(target=one_wait, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    stamps.sort()
    # The most requests in any window of one second, after the initial burst.
    start = stamps[0]
    busiest = max(
        sum(1 for stamp in stamps if at <= stamp < at + 1.0)
        for at in (start + step / 10 for step in range(int(10 * (seconds - 1)) + 1))
    )
    return {
        "requests": len(stamps),
        "busiest_second": busiest,
        "allowed": per_second + per_second // 4,
    }
