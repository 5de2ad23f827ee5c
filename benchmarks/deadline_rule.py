"""The deadline and interrupt rule on every path, on the real clock (issue 23's cases).

    python -m benchmarks.deadline_rule

30 jobs already DONE whose ``status()`` takes 0.1 s, ``timeout=0.25``: how many
are in ``done`` and when the wait returns, blocking and asyncio, one query in
flight and eight; then 40 RUNNING jobs of 0.1 s queries, one in flight, with
an interrupt set at 0.2 s and with ``timeout=0.25``.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import jobv1
from jobv1 import Interrupt, JobStatus, JobV1, WaitInterruptedError, aio


class _Slow(JobV1):
    def __init__(self, job_id: str, answer: JobStatus) -> None:
        super().__init__(None, job_id)
        self.answer = answer

    def submit(self) -> None: ...
    def result(self) -> None: ...
    def status(self) -> JobStatus:
        time.sleep(0.1)
        return self.answer


def _wait(driver: str, jobs: list[Any], **options: Any) -> jobv1.DoneAndNotDone[Any]:
    if driver == "blocking":
        return jobv1.wait(jobs, **options)
    return asyncio.run(aio.wait(jobs, **options))


def main() -> None:
    print("| driver | in flight | done of 30 | returned after |")
    print("|---|---:|---:|---:|")
    for bound in (1, 8):
        for driver in ("blocking", "asyncio"):
            jobs = [_Slow(f"j{n}", JobStatus.DONE) for n in range(30)]
            started = time.monotonic()
            done, _ = _wait(driver, jobs, timeout=0.25, max_in_flight=bound)
            print(f"| {driver} | {bound} | {len(done)} | {time.monotonic() - started:.2f} s |")
    print()
    print("| 40 RUNNING jobs, one in flight, blocking | stopped after |")
    print("|---|---:|")
    interrupt = Interrupt()
    timer = threading.Timer(0.2, interrupt.set)
    timer.start()
    started = time.monotonic()
    try:
        running = [_Slow(f"r{n}", JobStatus.RUNNING) for n in range(40)]
        jobv1.wait(running, max_in_flight=1, interrupt=interrupt)
    except WaitInterruptedError:
        print(f"| interrupt set at 0.2 s | {time.monotonic() - started:.2f} s |")
    timer.join()
    started = time.monotonic()
    jobv1.wait(
        [_Slow(f"t{n}", JobStatus.RUNNING) for n in range(40)], max_in_flight=1, timeout=0.25
    )
    print(f"| timeout=0.25 | {time.monotonic() - started:.2f} s |")


if __name__ == "__main__":
    main()
