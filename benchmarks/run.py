"""Run every benchmark and print one report, jobv1 and Qiskit's JobV1 side by side.

    python -m benchmarks.run                # print the report
    python -m benchmarks.run --write-docs   # also rewrite docs/performance.md and its plot

Qiskit and matplotlib come with the ``bench`` extra: ``pip install -e '.[bench]'``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from jobv1 import JobStatus, JobV1
from jobv1.testing import use_clock

from . import latency, pacing

ROOT = Path(__file__).parent.parent
PAIRS = ((0.2, 1.0), (0.05, 0.5), (1.0, 0.3))


def _startup(code: str, runs: int = 15) -> tuple[float, float]:
    """Median wall time (ms) of ``python -c code`` and its peak memory (MiB), bytecode cached."""
    # As installed packages run: with their bytecode written once and then reused.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], env=env, check=True)
        times.append(1000 * (time.perf_counter() - start))
    # VmHWM, read with the builtin open(): the peak resident memory of this process image
    # (ru_maxrss would count the parent's memory at fork time).
    probe = (
        f"{code}\nprint(next(line.split()[1] for line in open('/proc/self/status') "
        "if line.startswith('VmHWM')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    ).stdout
    return statistics.median(times), int(out.split()[-1]) / 1024


def import_costs() -> list[tuple[str, float, float]]:
    rows = [("bare interpreter", *_startup("pass")), ("import jobv1", *_startup("import jobv1"))]
    try:
        import qiskit  # noqa: F401
    except ImportError:
        return rows
    rows.append(("import qiskit.providers", *_startup("import qiskit.providers", runs=5)))
    return rows


class _Never:
    """Mixin: a job that never ends, for measuring how late a timed-out wait raises."""

    def submit(self) -> None: ...
    def result(self) -> None: ...
    def status(self) -> Any:
        return self._running  # type: ignore[attr-defined]


def overshoot(base: type, running: Any, timeout: float, wait: float, runs: int = 3) -> float:
    """Median ms between the deadline and the JobTimeoutError of a wait on a job that never ends."""
    job_class = type("Never", (_Never, base), {"_running": running})
    late = []
    for _ in range(runs):
        job = job_class(None, "never")
        start = time.monotonic()
        try:
            job.wait_for_final_state(timeout=timeout, wait=wait)
        except Exception as error:  # both libraries raise a JobTimeoutError of their own
            assert type(error).__name__ == "JobTimeoutError"
        late.append(1000 * (time.monotonic() - start - timeout))
    return statistics.median(late)


def overshoots() -> list[tuple[str, float, float | None]]:
    try:
        from qiskit.providers import JobStatus as QiskitStatus
        from qiskit.providers import JobV1 as QiskitJobV1
    except ImportError:
        QiskitJobV1 = None  # noqa: N806
    rows = []
    for timeout, wait in PAIRS:
        ours = overshoot(JobV1, JobStatus.RUNNING, timeout, wait)
        theirs = (
            None
            if QiskitJobV1 is None
            else overshoot(QiskitJobV1, QiskitStatus.RUNNING, timeout, wait)
        )
        rows.append((f"timeout={timeout}, wait={wait}", ours, theirs))
    return rows


class _Counter(JobV1):
    """Answers RUNNING ``polls`` times, then DONE, as cheaply as possible."""

    def __init__(self, polls: int) -> None:
        super().__init__(None, "counter")
        self.left = polls

    def submit(self) -> None: ...
    def result(self) -> None: ...
    def status(self) -> JobStatus:
        self.left -= 1
        return JobStatus.RUNNING if self.left >= 0 else JobStatus.DONE


def _per_call(fn: Any, calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls


class _NoSleep:
    """A clock that reads the real time and never sleeps: the loop's own cost remains."""

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float, wakeup: Any = None) -> bool:
        return False


def cpu_per_poll(polls: int = 200_000) -> tuple[float, float | None]:
    """Microseconds the wait loop spends per poll, status() and sleeping taken out."""
    status_cost = _per_call(_Counter(10**9).status, polls)
    with use_clock(_NoSleep()):
        job = _Counter(polls)
        start = time.perf_counter()
        job.wait_for_final_state(wait=0)
        ours = 1e6 * ((time.perf_counter() - start) / polls - status_cost)
    try:
        import qiskit.providers.job as qiskit_job
        from qiskit.providers import JobStatus as QiskitStatus
        from qiskit.providers import JobV1 as QiskitJobV1
    except ImportError:
        return ours, None

    class QiskitCounter(QiskitJobV1):  # type: ignore[misc]
        def __init__(self, polls: int) -> None:
            super().__init__(None, "counter")
            self.left = polls

        def submit(self) -> None: ...
        def result(self) -> None: ...
        def status(self) -> Any:
            self.left -= 1
            return QiskitStatus.RUNNING if self.left >= 0 else QiskitStatus.DONE

    status_cost = _per_call(QiskitCounter(10**9).status, polls)
    # Qiskit's wait calls time.sleep through its module's `time`: give it one that does not
    # sleep, for this measurement only.
    real_time = qiskit_job.time
    qiskit_job.time = SimpleNamespace(time=time.time, sleep=lambda seconds: None)
    try:
        job_q = QiskitCounter(polls)
        start = time.perf_counter()
        job_q.wait_for_final_state(wait=0)
        theirs = 1e6 * ((time.perf_counter() - start) / polls - status_cost)
    finally:
        qiskit_job.time = real_time
    return ours, theirs


def report() -> tuple[str, list[tuple[str, float, float, float, float, float, float, float]]]:
    lines = [
        (
            f"Measured with Python {platform.python_version()} on {platform.machine()}, "
            f"{platform.system()}; `python -m benchmarks.run`."
        ),
        "",
        "Import time and peak memory (median of fresh interpreters):",
        "",
        "| what | time | peak memory |",
        "|---|---:|---:|",
    ]
    costs = import_costs()
    bare = costs[0][1]
    for name, ms, mib in costs:
        lines.append(f"| {name} | {ms:.1f} ms ({ms / bare:.2f}x) | {mib:.1f} MiB |")
    lines += [
        "",
        "Deadline overshoot: how late a wait on a job that never ends raises (median, real time):",
        "",
        "| wait | jobv1 | Qiskit JobV1 |",
        "|---|---:|---:|",
    ]
    for label, ours, theirs in overshoots():
        their = "n/a" if theirs is None else f"{theirs:.1f} ms"
        lines.append(f"| {label} | {ours:.2f} ms | {their} |")
    table = pacing.rows()
    lines += [
        "",
        (
            "Pacing in virtual time, over 50 job lengths within 10% of each: mean status "
            "queries and noticing delay (worst in brackets), fixed 5 s polling (Qiskit's "
            "default) against `Backoff()`:"
        ),
        "",
        (
            "| job length | 5 s: queries | 5 s: noticed after | Backoff: queries "
            "| Backoff: noticed after | extra queries |"
        ),
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for label, fq, fd, fw, bq, bd, bw, extra in table:
        lines.append(
            f"| {label} | {fq:.1f} | {fd:.3f} s ({fw:.3f} s) | {bq:.1f} "
            f"| {bd:.3f} s ({bw:.3f} s) | {extra:+.1%} |"
        )
    ours_latency = latency.future_job_latency()
    theirs_latency = latency.qiskit_polled_future_latency()
    lines += [
        "",
        "Event-driven latency: from a job's end to its wait returning (real time):",
        "",
        "| job | median | max |",
        "|---|---:|---:|",
        (
            f"| jobv1 `FutureJob`, wait=5 | {1000 * statistics.median(ours_latency):.2f} ms "
            f"| {1000 * max(ours_latency):.2f} ms |"
        ),
    ]
    if theirs_latency is not None:
        lines.append(
            f"| Qiskit AerJob-style polled future, wait=5 "
            f"| {1000 * statistics.median(theirs_latency):.0f} ms "
            f"| {1000 * max(theirs_latency):.0f} ms |"
        )
    ours_cpu, theirs_cpu = cpu_per_poll()
    their_cpu = "n/a" if theirs_cpu is None else f"{theirs_cpu:.2f} µs"
    lines += [
        "",
        "CPU per poll of the wait loop itself, `status()` and sleeping taken out:",
        "",
        "| jobv1 | Qiskit JobV1 |",
        "|---:|---:|",
        f"| {ours_cpu:.2f} µs | {their_cpu} |",
    ]
    bulk = latency.as_completed_10k()
    memory = latency.as_completed_10k(trace_memory=True)
    lines += [
        "",
        "`as_completed` over 10,000 `FutureJob`s ending over 2 s, one waiting thread (real time):",
        "",
        "| p50 | p99 | max | memory the wait allocates |",
        "|---:|---:|---:|---:|",
        (
            f"| {bulk['p50_ms']:.2f} ms | {bulk['p99_ms']:.2f} ms | {bulk['max_ms']:.2f} ms "
            f"| {memory['wait_bytes_per_job']:.0f} bytes per job |"
        ),
    ]
    return "\n".join(lines), table


def plot(
    table: list[tuple[str, float, float, float, float, float, float, float]], path: Path
) -> bool:
    """Save the noticing-delay plot; False if matplotlib is not installed."""
    try:
        import matplotlib as mpl
    except ImportError:
        return False
    mpl.use("Agg")
    import matplotlib.pyplot as plt

    lengths = pacing.DURATIONS
    figure, axes = plt.subplots(figsize=(6, 3.4), dpi=120)
    axes.plot(lengths, [row[2] for row in table], "o-", label="fixed 5 s (Qiskit's default)")
    axes.plot(lengths, [row[5] for row in table], "s-", label="Backoff()")
    axes.set_xscale("log")
    axes.set_xlabel("job length (s)")
    axes.set_ylabel("mean noticing delay (s)")
    axes.set_title("How long after a job ends its wait notices")
    axes.legend()
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write-docs", action="store_true", help="rewrite docs/performance.md")
    arguments = parser.parse_args()
    text, table = report()
    print(text)
    if arguments.write_docs:
        page = ROOT / "docs" / "performance.md"
        content = page.read_text(encoding="utf-8")
        start, end = "<!-- benchmarks:start -->", "<!-- benchmarks:end -->"
        head, rest = content.split(start)
        tail = rest.split(end)[1]
        page.write_text(f"{head}{start}\n{text}\n{end}{tail}", encoding="utf-8")
        plot(table, ROOT / "docs" / "_static" / "pacing.png")


if __name__ == "__main__":
    main()
