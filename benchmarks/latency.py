"""Event-driven latency: how long after a job's end its wait returns, real time."""

from __future__ import annotations

import gc
import statistics
import threading
import time
import tracemalloc
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from jobv1 import ExecutorBackend, as_completed


def finish_after(seconds: float) -> float:
    """Sleep, then return the moment the job ends."""
    time.sleep(seconds)
    return time.perf_counter()


def future_job_latency(samples: int = 50) -> list[float]:
    """Seconds from a FutureJob's end to wait_for_final_state returning, wait=5."""
    latencies = []
    with ExecutorBackend() as backend:
        for n in range(samples):
            job = backend.run(finish_after, 0.01 + 0.001 * (n % 7))
            job.wait_for_final_state(wait=5)
            latencies.append(time.perf_counter() - job.result())
    return latencies


def future_result_latency(samples: int = 50) -> list[float]:
    """The same for the future's own ``result()``: what ``AerJob.result()`` and
    ``PrimitiveJob.result()`` call, the strongest alternative for an event-driven job."""
    latencies = []
    with ThreadPoolExecutor() as pool:
        for n in range(samples):
            future = pool.submit(finish_after, 0.01 + 0.001 * (n % 7))
            ended = future.result()
            latencies.append(time.perf_counter() - ended)
    return latencies


def qiskit_polled_future_latency(samples: int = 3) -> list[float] | None:
    """The same for a Qiskit JobV1 over a future, as AerJob is: the inherited polled wait."""
    try:
        from qiskit.providers import JobStatus, JobV1
    except ImportError:
        return None

    class AerStyleJob(JobV1):  # type: ignore[misc]
        def __init__(self, future: Future[float]) -> None:
            super().__init__(None, "aer-style")
            self._future = future

        def submit(self) -> None: ...
        def result(self) -> float:
            return self._future.result()

        def status(self) -> Any:
            if self._future.running():
                return JobStatus.RUNNING
            return JobStatus.DONE if self._future.done() else JobStatus.QUEUED

    latencies = []
    with ThreadPoolExecutor() as pool:
        for _ in range(samples):
            job = AerStyleJob(pool.submit(finish_after, 0.1))
            job.wait_for_final_state()  # Qiskit's default: wait=5
            latencies.append(time.perf_counter() - job.result())
    return latencies


def finish_at(gate: threading.Event, opened: list[float], moment: float) -> float:
    """Wait for the gate, then until ``moment`` seconds after it opened; return when it ends."""
    gate.wait()
    delay = opened[0] + moment - time.perf_counter()
    if delay > 0:
        time.sleep(delay)
    return time.perf_counter()


def as_completed_10k(
    count: int = 10_000, workers: int = 8, spread: float = 2.0, *, trace_memory: bool = False
) -> dict[str, float]:
    """Yield latency percentiles, or wait memory per job, of as_completed over ``count`` FutureJobs.

    The jobs end one after another over ``spread`` seconds, all after the wait's first round
    of queries (the gate opens when the last job's first status is seen). Tracing memory
    slows everything down: latencies are measured in a run that does not trace.
    """
    gate = threading.Event()
    opened = [0.0]
    seen = [0]

    def open_gate(job: Any, status: Any) -> None:
        seen[0] += 1
        if seen[0] == count:
            opened[0] = time.perf_counter()
            gate.set()

    gc.collect()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        backend = ExecutorBackend(pool, name="bulk")
        jobs = [backend.run(finish_at, gate, opened, spread * n / count) for n in range(count)]
        if trace_memory:
            tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        latencies = [
            time.perf_counter() - job.future.result()
            for job in as_completed(jobs, timeout=600, on_status=open_gate)
        ]
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    latencies.sort()
    return {
        "jobs": float(len(latencies)),
        "p50_ms": 1000 * latencies[len(latencies) // 2],
        "p99_ms": 1000 * latencies[int(len(latencies) * 0.99)],
        "max_ms": 1000 * latencies[-1],
        "wait_bytes_per_job": (peak - base) / count,
    }


def main() -> None:
    """Print the tables."""
    ours = future_job_latency()
    print("Event-driven latency: job end -> wait returns (real time)")
    print(
        f"  jobv1 FutureJob, wait=5:     median {1000 * statistics.median(ours):7.2f} ms, "
        f"max {1000 * max(ours):7.2f} ms over {len(ours)} jobs"
    )
    theirs = qiskit_polled_future_latency()
    if theirs is None:
        print("  Qiskit AerJob-style:         (install the bench extra to compare)")
    else:
        print(
            f"  Qiskit AerJob-style, wait=5: median {1000 * statistics.median(theirs):7.2f} ms, "
            f"max {1000 * max(theirs):7.2f} ms over {len(theirs)} jobs"
        )
    bulk = as_completed_10k()
    memory = as_completed_10k(trace_memory=True)
    print("as_completed over 10,000 FutureJobs ending over 2 s, one waiting thread (real time)")
    print(
        f"  yielded {bulk['jobs']:.0f}; job end -> yielded: p50 {bulk['p50_ms']:.2f} ms, "
        f"p99 {bulk['p99_ms']:.2f} ms, max {bulk['max_ms']:.2f} ms"
    )
    print(f"  memory the wait allocates: {memory['wait_bytes_per_job']:.0f} bytes per job")


if __name__ == "__main__":
    main()
