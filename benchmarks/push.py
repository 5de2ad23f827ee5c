"""A push channel: ``jobv1.Notifier`` beside polling and a hand-written floor.

    python -m benchmarks.push          # 20,000 jobs, 3 runs of each side, interleaved

The jobs end over about one second, in a random order; four threads play the
service's channel, each ending its share of the jobs and telling of each end.
Each side takes every job as it ends, with ``as_completed`` or by hand:

- **jobv1 + Notifier**: the jobs' backend declares a ``Notifier``; the
  channel calls ``notify(job_id, "DONE")``.
- **jobv1 polling**: the same jobs on a backend with no channel, paced by the
  default ``Backoff()``.
- **hand-written floor**: the channel puts each job's id on a ``queue.Queue``
  and the caller takes them: no status query, no deadline, no hooks.

Printed per side: how long after its end each job reached the caller (median,
99th percentile, max), the wall time from the first end to the last job taken,
the process's CPU time over the run, and the status queries made.
"""

from __future__ import annotations

import queue
import random
import statistics
import threading
import time
from typing import Any

import jobv1
from jobv1 import JobStatus, JobV1, Notifier

from ._measure import spread

R, D = JobStatus.RUNNING, JobStatus.DONE


class _Backend:
    name = "push"

    def __init__(self, notifier: Notifier | None) -> None:
        self.notifier = notifier

    def run(self, run_input: Any, /, **options: Any) -> JobV1:
        raise NotImplementedError


class _Job(JobV1):
    """DONE once the service has ended it; it counts the status queries."""

    def __init__(self, backend: _Backend, job_id: str, ended: dict[str, float]) -> None:
        super().__init__(backend, job_id)
        self.ended = ended
        self.queries = 0

    def submit(self) -> None: ...
    def result(self) -> None: ...

    def status(self) -> JobStatus:
        self.queries += 1
        return D if self._job_id in self.ended else R


def _channel(
    names: list[str], ended: dict[str, float], tell: Any, begun: threading.Event
) -> list[threading.Thread]:
    """Four threads that end ``names`` over about a second, telling of each with ``tell``."""
    order = names[:]
    random.Random(7).shuffle(order)
    shares = [order[k::4] for k in range(4)]

    def end(share: list[str]) -> None:
        begun.wait()
        step = 1.0 / len(share)
        start = time.monotonic()
        for n, name in enumerate(share):
            while time.monotonic() < start + n * step:
                time.sleep(0.001)
            ended[name] = time.monotonic()
            tell(name)

    threads = [threading.Thread(target=end, args=(share,)) for share in shares]
    for thread in threads:
        thread.start()
    return threads


def run(side: str, count: int) -> dict[str, float]:
    """One run of ``side`` over ``count`` jobs: lags (s), wall time, CPU time, queries."""
    ended: dict[str, float] = {}
    taken: dict[str, float] = {}
    begun = threading.Event()
    names = [f"j{n}" for n in range(count)]
    cpu = time.process_time()
    if side == "floor":
        told: queue.Queue[str] = queue.Queue()
        threads = _channel(names, ended, told.put, begun)
        begun.set()
        for _ in names:
            name = told.get()  # taken first: a subscript is read after the value assigned
            taken[name] = time.monotonic()
        queries = 0
    else:
        notifier = Notifier(resync=60) if side == "notifier" else None
        backend = _Backend(notifier)
        jobs = [_Job(backend, name, ended) for name in names]
        tell = (lambda name: notifier.notify(name, "DONE")) if notifier else (lambda name: None)
        threads = _channel(names, ended, tell, begun)

        def started(job: Any, status: JobStatus) -> None:
            begun.set()  # the wait has asked its first job: the channel may speak

        for job in jobv1.as_completed(jobs, timeout=120, on_status=started):
            taken[job.job_id()] = time.monotonic()
        queries = sum(job.queries for job in jobs)
    for thread in threads:
        thread.join()
    cpu = time.process_time() - cpu
    lags = sorted(taken[name] - ended[name] for name in names)
    return {
        "median": lags[len(lags) // 2],
        "p99": lags[int(len(lags) * 0.99)],
        "max": lags[-1],
        "wall": max(taken.values()) - min(ended.values()),
        "cpu": cpu,
        "queries": float(queries),
    }


SIDES = {
    "jobv1 + Notifier": "notifier",
    "jobv1 polling (Backoff())": "polling",
    "hand-written floor (a queue)": "floor",
}


def measure(count: int = 20_000, runs: int = 3) -> dict[str, list[dict[str, float]]]:
    """``runs`` runs of each side, interleaved."""
    results: dict[str, list[dict[str, float]]] = {label: [] for label in SIDES}
    for _ in range(runs):
        for label, side in SIDES.items():
            results[label].append(run(side, count))
    return results


def main() -> None:
    count, runs = 20_000, 3
    results = measure(count, runs)
    print(f"{count:,} jobs ending over about 1 s, told by 4 threads; {runs} runs a side")
    print("| side | median lag | p99 lag | max lag | last job taken | CPU | status queries |")
    print("|---|---|---|---|---|---|---|")
    for label, rows in results.items():

        def column(key: str, scale: float = 1000.0, digits: int = 1, rows: Any = rows) -> str:
            return spread([row[key] * scale for row in rows], "", digits)

        queries = statistics.median(row["queries"] for row in rows)
        print(
            f"| {label} | {column('median')} ms | {column('p99')} ms | {column('max')} ms "
            f"| {column('wall', 1, 2)} s | {column('cpu', 1, 2)} s | {queries:,.0f} |"
        )


if __name__ == "__main__":
    main()
