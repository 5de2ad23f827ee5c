"""jobv1 against a real HTTP job service, beside a Qiskit-style loop and a hand-written floor.

    python -m benchmarks.http_service            # 200 jobs, 3 runs of each side, interleaved

The service is ``examples/http_provider/service.py`` on 127.0.0.1: 50 requests
a second per client (429 with Retry-After past it) and 5% of answers 503. The
jobs are queued 0.2 s, then run 0.5 to 2.4 s. Each side waits on the same
number of fresh jobs:

- **Qiskit's loop**: ``wait_for_final_state()`` of each job in turn, as Qiskit's
  ``JobV1`` writes it (a status query, then ``time.sleep(wait)``, 5 s by default),
  over the provider's ``status()``; like Qiskit's, it stops at the first error.
- **hand-written floor**: one loop that asks every pending job in batches of 100
  every 0.5 s, and on a 429 or a 503 sleeps what Retry-After says and asks again:
  what a careful author writes for this one service.
- **jobv1.wait**: the reference provider with its defaults (``status_retry``,
  ``status_rate_limit``, batches), no ``retry=`` or ``rate_limit=`` from the caller.

Printed per side: the requests made, how many were answered 429 and 503, the time
to notice each job's end (from its end on the service to the wait's knowing it,
median and max), the whole wait, and what reached the caller.

A second table: one slow query. Two jobs, on two backends: one whose every status
answer takes 5 s (``hold``), one that ends 0.5 s in. Printed: how long after the
quick job's end each side returns it as the first to complete.

- **Qiskit-style loop**: Qiskit has no wait on many jobs; the loop its users write
  asks each job in turn, then sleeps 5 s.
- **hand-written floor**: a thread per job, each asking its job every 0.05 s, the
  first to see its job end wins (``concurrent.futures.wait(FIRST_COMPLETED)``).
- **jobv1.wait**: ``return_when=FIRST_COMPLETED``, defaults otherwise.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from examples.http_provider.provider import (
    HttpBackend,
    HttpJob,
    TooManyRequestsError,
    UnavailableError,
)
from examples.http_provider.service import JobService

import jobv1
from jobv1 import JOB_FINAL_STATES, JobStatus

__all__ = ["floor_loop", "jobv1_wait", "main", "qiskit_loop", "run_side", "slow_side"]

JOBS = 200
RUNS = 3


def _submit(backend: HttpBackend, count: int) -> list[HttpJob]:
    return [backend.run(queue=0.2, run=0.5 + (n % 20) / 10) for n in range(count)]


def qiskit_loop(jobs: list[HttpJob], noticed: dict[str, float]) -> str:
    """Each job's ``wait_for_final_state`` in turn, as Qiskit's JobV1 runs it (wait=5)."""
    try:
        for job in jobs:
            while True:
                status = job.status()
                if status in JOB_FINAL_STATES:
                    noticed[job.job_id()] = time.monotonic()
                    break
                time.sleep(5)
    except Exception as error:  # what reaches the caller is one of the figures
        return type(error).__name__
    return "nothing"


def floor_loop(backend: HttpBackend, jobs: list[HttpJob], noticed: dict[str, float]) -> str:
    """Batches of 100 every 0.5 s; a 429 or 503 sleeps its Retry-After and asks again."""
    pending = list(jobs)
    while pending:
        still = []
        for start in range(0, len(pending), 100):
            part = pending[start : start + 100]
            while True:
                try:
                    statuses = backend.job_statuses(part)
                    break
                except (TooManyRequestsError, UnavailableError) as busy:
                    time.sleep(busy.retry_after or 1.0)
            now = time.monotonic()
            for job, status in zip(part, statuses, strict=True):
                if isinstance(status, JobStatus) and status in JOB_FINAL_STATES:
                    noticed[job.job_id()] = now
                else:
                    still.append(job)
        pending = still
        if pending:
            time.sleep(0.5)
    return "nothing"


def jobv1_wait(jobs: list[HttpJob], noticed: dict[str, float]) -> str:
    """``jobv1.wait`` with the provider's defaults."""

    def seen(job: Any, status: JobStatus) -> None:
        if status in JOB_FINAL_STATES:
            noticed[job.job_id()] = time.monotonic()

    outcome = jobv1.wait(jobs, on_status=seen)
    return f"{len(outcome.failures)} failures" if outcome.failures else "nothing"


def run_side(name: str, service: JobService) -> dict[str, Any]:
    """One run of one side, on fresh jobs; its figures."""
    backend = HttpBackend(service.url)
    jobs = _submit(backend, JOBS)
    service.rate, service.burst, service.unavailable = 50, 5, 0.05
    service.answers.clear()
    service.requests.clear()
    noticed: dict[str, float] = {}
    started = time.monotonic()
    if name == "Qiskit's loop":
        reached = qiskit_loop(jobs, noticed)
    elif name == "hand-written floor":
        reached = floor_loop(backend, jobs, noticed)
    else:
        reached = jobv1_wait(jobs, noticed)
    elapsed = time.monotonic() - started
    service.rate, service.unavailable = None, 0.0
    ends = {job.job_id(): service.ended_at(job.job_id()) for job in jobs}
    lags = [noticed[i] - ends[i] for i in noticed]
    backend.close()
    return {
        "requests": sum(service.answers.values()),
        "429": service.answers[429],
        "503": service.answers[503],
        "noticed": len(noticed),
        "lag median": statistics.median(lags) if lags else float("nan"),
        "lag max": max(lags) if lags else float("nan"),
        "seconds": elapsed,
        "reached the caller": reached,
    }


SLOW_SIDES = ["jobv1.wait", "hand-written floor", "Qiskit-style loop"]


def slow_side(name: str, service: JobService) -> float:
    """One run of one side of the slow-query table: seconds from the quick job's end."""
    import concurrent.futures
    import threading

    slow_backend, quick_backend = HttpBackend(service.url), HttpBackend(service.url)
    slow, quick = slow_backend.run(queue=60, hold=5), quick_backend.run(queue=0.5)
    jobs = [slow, quick]
    if name == "jobv1.wait":
        done, _ = jobv1.wait(jobs, return_when=jobv1.FIRST_COMPLETED)
        first = next(iter(done))
    elif name == "hand-written floor":
        stop = threading.Event()

        def watch(job: HttpJob) -> HttpJob:
            while job.status() not in JOB_FINAL_STATES and not stop.is_set():
                stop.wait(0.05)
            return job

        pool = concurrent.futures.ThreadPoolExecutor(len(jobs))
        futures = [pool.submit(watch, job) for job in jobs]
        finished, _ = concurrent.futures.wait(futures, return_when="FIRST_COMPLETED")
        first = next(iter(finished)).result()
        stop.set()
        pool.shutdown(wait=False)
    else:
        first = None
        while first is None:
            for job in jobs:
                if job.status() in JOB_FINAL_STATES:
                    first = job
                    break
            else:
                time.sleep(5)
    lag = time.monotonic() - service.ended_at(quick.job_id())
    assert first is quick
    slow_backend.close()
    quick_backend.close()
    return lag


def main() -> None:
    """Run each side ``RUNS`` times, interleaved, and print the figures side by side."""
    sides = ["jobv1.wait", "hand-written floor", "Qiskit's loop"]
    results: dict[str, list[dict[str, Any]]] = {side: [] for side in sides}
    with JobService(seed=1) as service:
        for _ in range(RUNS):
            for side in sides:
                results[side].append(run_side(side, service))
    print(f"{JOBS} jobs, 50 requests/s, 5% 503s; {RUNS} runs each, min-max")
    header = f"{'':20}{'requests':>14}{'429s':>10}{'503s':>10}{'noticed':>10}"
    header += f"{'lag med (s)':>14}{'lag max (s)':>14}{'wait (s)':>12}  reached the caller"
    print(header)
    for side in sides:
        runs = results[side]

        def span(key: str, runs: list[dict[str, Any]] = runs) -> str:
            values = [run[key] for run in runs]
            low, high = min(values), max(values)
            if isinstance(low, int):
                return f"{low}-{high}" if low != high else f"{low}"
            return f"{low:.2f}-{high:.2f}"

        reached = sorted({run["reached the caller"] for run in runs})
        print(
            f"{side:20}{span('requests'):>14}{span('429'):>10}{span('503'):>10}"
            f"{span('noticed'):>10}{span('lag median'):>14}{span('lag max'):>14}"
            f"{span('seconds'):>12}  {', '.join(reached)}"
        )
    lags: dict[str, list[float]] = {side: [] for side in SLOW_SIDES}
    with JobService() as service:
        for _ in range(RUNS):
            for side in SLOW_SIDES:
                lags[side].append(slow_side(side, service))
    print()
    print(f"one status query takes 5 s: FIRST_COMPLETED after the quick job ended; {RUNS} runs")
    for side in SLOW_SIDES:
        print(f"{side:20}{min(lags[side]):>10.2f}-{max(lags[side]):.2f} s")


if __name__ == "__main__":
    main()
