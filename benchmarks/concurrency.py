"""Concurrent status queries: jobv1.aio.wait and jobv1.wait against asyncio.gather.

    python -m benchmarks.concurrency          # 1,000 jobs, 3 runs a side, interleaved

Each job's ``status()`` sleeps 1 to 5 ms (a seeded draw per job, the same on
every side) and reports ``RUNNING`` twice, then ``DONE``: three rounds of
queries, with no pause between rounds. The ideal for a bound of ``k``
queries in flight is the sum of the sleeps divided by ``k``. The strongest
plain alternative is ``asyncio.gather`` of ``asyncio.to_thread`` calls, round
after round, here on an executor of the same ``k`` threads (the loop's
default would give it ``min(32, cores + 4)``). The sides run in turn, A B A
B; the table shows the median and range of each, and the CPU each spent per
query (all threads counted), which the sleeps do not hide.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import jobv1
from jobv1 import JobStatus, JobV1, aio

DONE = JobStatus.DONE


#: How many status queries each job answers: RUNNING, RUNNING, DONE.
ROUNDS = 3


class Sleepy(JobV1):
    """A job whose status() takes ``seconds`` of real time, as a network call would."""

    def __init__(self, job_id: str, seconds: float) -> None:
        super().__init__(None, job_id)
        self.seconds = seconds
        self.asked = 0

    def submit(self) -> None:
        """Submitted when made."""

    def status(self) -> JobStatus:
        time.sleep(self.seconds)
        self.asked += 1
        return JobStatus.DONE if self.asked >= ROUNDS else JobStatus.RUNNING

    def result(self) -> None:
        """No result."""


def _jobs(count: int) -> list[Sleepy]:
    draw = random.Random(12).uniform
    return [Sleepy(f"job-{n}", draw(0.001, 0.005)) for n in range(count)]


def _timed(run: Any) -> tuple[float, float]:
    """The wall time and the CPU time (every thread's) that ``run()`` took."""
    started, cpu = time.perf_counter(), time.process_time()
    run()
    return time.perf_counter() - started, time.process_time() - cpu


def sides(count: int, bound: int) -> dict[str, Any]:
    """The ways to query ``count`` jobs until each is DONE, by name."""

    async def gathered(jobs: list[Sleepy]) -> None:
        asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(bound))
        pending = jobs
        while pending:
            answers = await asyncio.gather(*(asyncio.to_thread(job.status) for job in pending))
            pending = [
                job for job, answer in zip(pending, answers, strict=True) if answer is not DONE
            ]

    return {
        f"jobv1.aio.wait, max_in_flight={bound}": lambda: asyncio.run(
            aio.wait(_jobs(count), poll=0, max_in_flight=bound)
        ),
        f"jobv1.wait, max_in_flight={bound}": lambda: jobv1.wait(
            _jobs(count), poll=0, max_in_flight=bound
        ),
        f"asyncio.gather of to_thread, {bound} threads": lambda: asyncio.run(
            gathered(_jobs(count))
        ),
        "jobv1.wait, max_in_flight=1": lambda: jobv1.wait(_jobs(count), poll=0, max_in_flight=1),
    }


def report(count: int = 1000, runs: int = 3, bound: int = 8) -> str:
    """The table: each side's median and range, and its ratio to the ideal for its bound."""
    total = ROUNDS * sum(job.seconds for job in _jobs(count))
    ways = sides(count, bound)
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in ways}
    for _ in range(runs):  # interleaved: A B C D, A B C D, ...
        for name, run in ways.items():
            times[name].append(_timed(run))
    queries = count * ROUNDS
    lines = [
        (
            f"{count} jobs, status() 1-5 ms each, {ROUNDS} rounds "
            f"({total:.2f} s of queries in all), {runs} runs a side"
        ),
        "",
        "| side | median s | min-max s | ideal s | median / ideal | CPU µs per query |",
        "|---|---|---|---|---|---|",
    ]
    for name, measured in times.items():
        seconds = [wall for wall, _ in measured]
        cpu = [1e6 * used / queries for _, used in measured]
        ideal = total if name.endswith("max_in_flight=1") else total / bound
        median = statistics.median(seconds)
        lines.append(
            f"| {name} | {median:.3f} | {min(seconds):.3f}-{max(seconds):.3f} "
            f"| {ideal:.3f} | {median / ideal:.2f} "
            f"| {statistics.median(cpu):.0f} ({min(cpu):.0f}-{max(cpu):.0f}) |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--bound", type=int, default=8)
    arguments = parser.parse_args()
    print(report(arguments.jobs, arguments.runs, arguments.bound))


if __name__ == "__main__":
    main()
