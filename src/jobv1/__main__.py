"""``python -m jobv1``: a short tour of jobv1 on local threads, in a few seconds."""

from __future__ import annotations

import random
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from . import ExecutorBackend, JobStatus, JobTimeoutError, as_completed
from .monitor import Monitor
from .testing import FakeBackend, FakeClock, Hold


def sample(shots: int, seconds: float) -> dict[str, int]:
    """Stand in for a simulator: take ``seconds``, return counts of a Bell pair."""
    time.sleep(seconds)
    rng = random.Random(shots)
    zeros = sum(rng.random() < 0.5 for _ in range(shots))
    return {"00": zeros, "11": shots - zeros}


def main() -> int:
    """Run the tour; return the exit status."""
    start = time.monotonic()
    # Two worker threads, so that some jobs wait in the queue. Point the same code at
    # a Dask cluster with ExecutorBackend(distributed.Client(...).get_executor()).
    with ThreadPoolExecutor(max_workers=2) as pool:
        backend = ExecutorBackend(pool, name="sim")
        jobs = [
            backend.run(sample, 1000 * n, seconds)
            for n, seconds in enumerate((0.6, 0.3, 0.9, 0.2), 1)
        ]
        slow = backend.run(sample, 100, 3.0)
        extra = backend.run(sample, 100, 0.1)

        print("1. Cancel: a queued job can be cancelled, a running one cannot")
        print(f"   {extra.job_id()} (queued): cancel() -> {extra.cancel()}, {extra.status().name}")
        print(f"   {jobs[0].job_id()} (running): cancel() -> {jobs[0].cancel()}")

        print("2. as_completed with a Monitor: each job as it ends, no polling")
        with Monitor(sys.stdout) as monitor:
            for job in as_completed(jobs, timeout=10, on_status=monitor):
                print(f"   -> {job.job_id()} finished: {job.result()}")

        print("3. A timeout, caught: the deadline is exact")
        before = time.monotonic()
        try:
            slow.wait_for_final_state(timeout=0.5, wait=5)
        except JobTimeoutError as error:
            print(f"   after {time.monotonic() - before:.3f} s: {error}")
        print(f"   {slow.job_id()} goes on: {slow.result(timeout=10)}")

    print("4. The same waits in virtual time, as tests run them")
    with FakeClock() as clock:
        hour = FakeBackend("virtual").run(script=[Hold(JobStatus.RUNNING, seconds=3600)])
        before = time.monotonic()
        hour.wait_for_final_state(wait=60)
        print(
            f"   {hour.job_id()}: DONE at virtual {clock.monotonic():.0f} s after "
            f"{len(hour.queries)} queries, in {time.monotonic() - before:.3f} real seconds"
        )
    print(f"Tour over in {time.monotonic() - start:.1f} s.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
