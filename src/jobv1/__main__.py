"""``python -m jobv1``: a short tour of jobv1 on local threads, in a few seconds."""

from __future__ import annotations

import random
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from . import ExecutorBackend, JobStatus, JobTimeoutError, JobV1, __version__, as_completed
from .monitor import Monitor
from .testing import FakeBackend, FakeClock, Hold


def sample(shots: int, seconds: float) -> dict[str, int]:
    """Stand in for a simulator: take ``seconds``, return counts of a Bell pair."""
    time.sleep(seconds)
    rng = random.Random(shots)
    zeros = sum(rng.random() < 0.5 for _ in range(shots))
    return {"00": zeros, "11": shots - zeros}


class Endless(JobV1[None]):
    """A job that runs for ever: what a deadline is for."""

    def submit(self) -> None:
        """Nothing to send."""

    def result(self) -> None:
        """It has none."""

    def status(self) -> JobStatus:
        """Always running."""
        return JobStatus.RUNNING


def _late(wait_for: Any, timeout: float, error: type[Exception]) -> float:
    """Seconds ``wait_for(timeout)`` took to raise ``error``, its timeout."""
    before = time.monotonic()
    try:
        wait_for(timeout)
    except error:
        return time.monotonic() - before
    raise AssertionError("the job never ends, so the wait must time out")  # pragma: no cover


def _qiskit_seconds(timeout: float, wait: float) -> float | None:
    """How long Qiskit's own JobV1 takes to time out the same wait; ``None`` without Qiskit."""
    try:
        from qiskit.providers import JobStatus as QiskitStatus
        from qiskit.providers import JobV1 as QiskitJobV1
        from qiskit.providers.exceptions import JobTimeoutError as QiskitTimeout
    except ImportError:
        return None

    class QiskitEndless(QiskitJobV1):  # type: ignore[misc]
        def submit(self) -> None: ...
        def result(self) -> None: ...
        def status(self) -> Any:
            return QiskitStatus.RUNNING

    job = QiskitEndless(None, "qiskit-endless")
    return _late(
        lambda seconds: job.wait_for_final_state(timeout=seconds, wait=wait), timeout, QiskitTimeout
    )


def main() -> int:
    """Run the tour; return the exit status."""
    start = time.monotonic()
    print(f"jobv1 {__version__}: job handles for remote services, with waits that keep")
    print("their deadlines. A drop-in for qiskit.providers.JobV1.")
    print()

    print("1. An exact deadline: wait_for_final_state(timeout=0.2, wait=1), a job that never ends")
    endless = Endless(None, "endless")
    ours = _late(
        lambda seconds: endless.wait_for_final_state(timeout=seconds, wait=1), 0.2, JobTimeoutError
    )
    print(f"   jobv1:  JobTimeoutError after {ours:.3f} s")
    theirs = _qiskit_seconds(0.2, 1)
    if theirs is None:
        print("   Qiskit: not installed here; its loop sleeps whole intervals, so about 1 s")
    else:
        print(f"   Qiskit: JobTimeoutError after {theirs:.3f} s, a whole interval late")
    print()

    # Two worker threads, so that some jobs wait in the queue. Point the same code at
    # a Dask cluster with ExecutorBackend(distributed.Client(...).get_executor()).
    with ThreadPoolExecutor(max_workers=2) as pool:
        backend = ExecutorBackend(pool, name="sim")
        jobs = [
            backend.run(sample, 1000 * n, seconds)
            for n, seconds in enumerate((0.6, 0.3, 0.9, 0.2), 1)
        ]
        extra = backend.run(sample, 100, 0.1)
        queued, running = extra.cancel(), jobs[0].cancel()

        print("2. Many jobs, one deadline, a live monitor; each job as it ends, no polling")
        with Monitor(sys.stdout, refresh=0.25) as monitor:
            for job in as_completed(jobs, timeout=10, on_status=monitor):
                monitor.print(f"   {job.job_id()} finished: {job.result()}")
        print()

    print("3. An hour of virtual time, as tests run it")
    with FakeClock() as clock:
        hour = FakeBackend("virtual").run(script=[Hold(JobStatus.RUNNING, seconds=3600)])
        before = time.monotonic()
        hour.wait_for_final_state(wait=60)
        print(
            f"   {hour.job_id()}: DONE at virtual {clock.monotonic():.0f} s after "
            f"{len(hour.queries)} queries, in {1000 * (time.monotonic() - before):.1f} real ms"
        )
    print()

    print("4. Cancel and confirm: a queued job can be cancelled, a running one cannot")
    print(f"   {extra.job_id()} (queued):  cancel() -> {queued}, {extra.status().name}")
    print(f"   {jobs[0].job_id()} (running): cancel() -> {running}, {jobs[0].status().name}")
    print()

    print(f"Tour over in {time.monotonic() - start:.1f} s. Next: docs/getting-started.md, and")
    print("docs/index.md for waiting on Qiskit's jobs, asyncio, Dask, testing and more.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
