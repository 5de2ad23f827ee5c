"""``python -m jobv1``: a short tour of jobv1, in a few seconds of real time."""

from __future__ import annotations

import time
from typing import Any

from . import Backoff, JobStatus, JobTimeoutError, JobV1
from .testing import FakeBackend, FakeClock, Hold

#: How a provider's service names its states, and what they mean as JobStatus.
SERVICE_STATES = {
    "PENDING": JobStatus.QUEUED,
    "RUNNING": JobStatus.RUNNING,
    "COMPLETED": JobStatus.DONE,
    "FAILED": JobStatus.ERROR,
    "ABORTED": JobStatus.CANCELLED,
}


class ToyService:
    """A stand-in for a remote service: jobs pend, run, then complete."""

    def __init__(self) -> None:
        self._ends: dict[str, float] = {}

    def start(self, job_id: str, seconds: float) -> None:
        """Start a job that completes after ``seconds``."""
        self._ends[job_id] = time.monotonic() + seconds

    def state(self, job_id: str) -> str:
        """The service's own name for the job's state."""
        left = self._ends[job_id] - time.monotonic()
        return "COMPLETED" if left <= 0 else "RUNNING" if left < 0.4 else "PENDING"


class ToyJob(JobV1[dict[str, int]]):
    """A provider-style job: it asks its service and maps the answer onto JobStatus."""

    def __init__(self, service: ToyService, job_id: str, seconds: float) -> None:
        super().__init__(None, job_id, seconds=seconds)
        self._service = service

    def submit(self) -> None:
        """Start the job on the service."""
        self._service.start(self.job_id(), self.metadata["seconds"])

    def status(self) -> JobStatus:
        """Ask the service, and map its answer onto JobStatus."""
        # A state missing from the map raises KeyError: never poll forever on a state you
        # do not know.
        return SERVICE_STATES[self._service.state(self.job_id())]

    def result(self) -> dict[str, int]:
        """Wait for the job, then return its counts."""
        self.wait_for_final_state()
        return {"00": 509, "11": 515}


def progress(job_id: str, status: JobStatus, job: Any) -> None:
    """The callback: called after each query that finds the job not yet final."""
    print(f"   {job_id}: {status.name}")


def main() -> int:
    """Run the tour; return the exit status."""
    print("1. A provider's JobV1 subclass, polled every 0.2 s until it is final")
    toy = ToyJob(ToyService(), "toy-1", seconds=0.8)
    toy.submit()
    toy.wait_for_final_state(wait=0.2, callback=progress)
    print(f"   {toy.job_id()}: {toy.status().name}, result {toy.result()}")

    print("2. Scripted jobs on jobv1.testing.FakeBackend, polled with Backoff()")
    backend = FakeBackend("demo")
    job = backend.run(
        "bell circuit",
        script=[Hold(JobStatus.QUEUED, seconds=0.3), Hold(JobStatus.RUNNING, seconds=0.4)],
        result={"00": 498, "11": 526},
    )
    job.wait_for_final_state(wait=Backoff(), callback=progress)
    print(f"   {job.job_id()}: DONE after {len(job.queries)} queries, result {job.result()}")

    print("3. A timeout, caught: timeout=0.5 with wait=1.0 still ends at 0.5 s")
    stuck = backend.run("long circuit", script=[Hold(JobStatus.RUNNING)])
    start = time.monotonic()
    try:
        stuck.wait_for_final_state(timeout=0.5, wait=1.0)
    except JobTimeoutError as error:
        print(f"   after {time.monotonic() - start:.3f} s: {error}")

    print("4. An hour of waiting in virtual time, as tests do it")
    with FakeClock() as clock:
        hour = FakeBackend("virtual").run(script=[Hold(JobStatus.RUNNING, seconds=3600)])
        start = time.monotonic()
        hour.wait_for_final_state(wait=Backoff())
        print(
            f"   {hour.job_id()}: DONE at virtual {clock.monotonic():.0f} s after "
            f"{len(hour.queries)} queries, in {time.monotonic() - start:.3f} real seconds"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
