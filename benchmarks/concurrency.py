"""Concurrent status queries: jobv1.aio.wait and jobv1.wait against asyncio.gather.

    python -m benchmarks.concurrency          # 1,000 jobs, 3 runs a side, interleaved

Each job's ``status()`` sleeps 1 to 5 ms (a seeded draw per job, the same on
every side) and reports ``DONE``: one round of queries. The ideal for a bound
of ``k`` queries in flight is the sum of the sleeps divided by ``k``. The
strongest plain alternative is ``asyncio.gather`` of ``asyncio.to_thread``
calls, which runs on the loop's default executor (``min(32, cores + 4)``
threads). The sides run in turn, A B A B, and the table shows the median and
the range of each.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from typing import Any

import jobv1
from jobv1 import JobStatus, JobV1, aio


class Sleepy(JobV1):
    """A job whose status() takes ``seconds`` of real time, as a network call would."""

    def __init__(self, job_id: str, seconds: float) -> None:
        super().__init__(None, job_id)
        self.seconds = seconds

    def submit(self) -> None:
        """Submitted when made."""

    def status(self) -> JobStatus:
        time.sleep(self.seconds)
        return JobStatus.DONE

    def result(self) -> None:
        """No result."""


def _jobs(count: int) -> list[Sleepy]:
    draw = random.Random(12).uniform
    return [Sleepy(f"job-{n}", draw(0.001, 0.005)) for n in range(count)]


def _timed(run: Any) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def sides(count: int, bound: int) -> dict[str, Any]:
    """The ways to query ``count`` jobs once each, by name."""

    async def gathered(jobs: list[Sleepy]) -> None:
        await asyncio.gather(*(asyncio.to_thread(job.status) for job in jobs))

    return {
        f"jobv1.aio.wait, max_in_flight={bound}": lambda: asyncio.run(
            aio.wait(_jobs(count), max_in_flight=bound)
        ),
        f"jobv1.wait, max_in_flight={bound}": lambda: jobv1.wait(_jobs(count), max_in_flight=bound),
        "asyncio.gather of to_thread": lambda: asyncio.run(gathered(_jobs(count))),
        "jobv1.wait, max_in_flight=1": lambda: jobv1.wait(_jobs(count), max_in_flight=1),
    }


def report(count: int = 1000, runs: int = 3, bound: int = 8) -> str:
    """The table: each side's median and range, and its ratio to the ideal for its bound."""
    total = sum(job.seconds for job in _jobs(count))
    ways = sides(count, bound)
    times: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(runs):  # interleaved: A B C D, A B C D, ...
        for name, run in ways.items():
            times[name].append(_timed(run))
    import os

    threads = min(32, (os.cpu_count() or 1) + 4)
    ideal = {
        f"jobv1.aio.wait, max_in_flight={bound}": total / bound,
        f"jobv1.wait, max_in_flight={bound}": total / bound,
        "asyncio.gather of to_thread": total / threads,
        "jobv1.wait, max_in_flight=1": total,
    }
    lines = [
        f"{count} jobs, status() 1-5 ms each ({total:.2f} s in all), {runs} runs a side",
        "",
        "| side | median s | min-max s | ideal s | median / ideal |",
        "|---|---|---|---|---|",
    ]
    for name, seconds in times.items():
        median = statistics.median(seconds)
        lines.append(
            f"| {name} | {median:.3f} | {min(seconds):.3f}-{max(seconds):.3f} "
            f"| {ideal[name]:.3f} | {median / ideal[name]:.2f} |"
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
