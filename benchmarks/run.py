"""Run every benchmark and print one report, jobv1 and Qiskit's JobV1 side by side.

    python -m benchmarks.run                # print the report
    python -m benchmarks.run --write-docs   # also rewrite docs/performance.md and its plot

Qiskit and matplotlib come with the ``bench`` extra: ``pip install -e '.[bench]'``.
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jobv1 import JobStatus, JobV1

from . import concurrency, instructions, latency, pacing, scale
from ._measure import interleaved, spread

if TYPE_CHECKING:
    from collections.abc import Callable

ROOT = Path(__file__).parent.parent
#: (timeout, wait): Qiskit's worst cases, and timeouts that are multiples of wait,
#: where its last sleep ends right at the deadline.
PAIRS = ((0.2, 1.0), (0.05, 0.5), (1.0, 0.3), (1.0, 0.25), (0.5, 0.25), (0.6, 0.2))


def _startup_once(code: str) -> float:
    """Wall time (ms) of ``python -c code``, bytecode cached, as installed packages run."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    return 1000 * (time.perf_counter() - start)


def _peak_mib(code: str) -> float:
    # VmHWM, read with the builtin open(): the peak resident memory of this process image
    # (ru_maxrss would count the parent's memory at fork time).
    probe = (
        f"{code}\nprint(next(line.split()[1] for line in open('/proc/self/status') "
        "if line.startswith('VmHWM')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    return int(out.split()[-1]) / 1024


def import_costs(runs: int = 9) -> list[tuple[str, list[float], float]]:
    """Each import's start-up times (ms), run in turn with the others, and its peak memory."""
    codes = {"bare interpreter": "pass", "import jobv1": "import jobv1"}
    try:
        import qiskit  # noqa: F401
    except ImportError:
        pass
    else:
        codes["import qiskit.providers"] = "import qiskit.providers"
    for code in codes.values():
        _startup_once(code)  # write the bytecode first
    times = interleaved(
        {name: functools.partial(_startup_once, code) for name, code in codes.items()}, runs
    )
    return [(name, times[name], _peak_mib(code)) for name, code in codes.items()]


class _Never:
    """Mixin: a job that never ends, for measuring how late a timed-out wait raises."""

    def submit(self) -> None: ...
    def result(self) -> None: ...
    def status(self) -> Any:
        return self._running  # type: ignore[attr-defined]


def overshoot(base: type, running: Any, timeout: float, wait: float) -> float:
    """ms between the deadline and the JobTimeoutError of a wait on a job that never ends."""
    job = type("Never", (_Never, base), {"_running": running})(None, "never")
    start = time.monotonic()
    try:
        job.wait_for_final_state(timeout=timeout, wait=wait)
    except Exception as error:  # both libraries raise a JobTimeoutError of their own
        assert type(error).__name__ == "JobTimeoutError"
    return 1000 * (time.monotonic() - start - timeout)


def overshoots(runs: int = 3) -> list[tuple[str, list[float], list[float] | None]]:
    try:
        from qiskit.providers import JobStatus as QiskitStatus
        from qiskit.providers import JobV1 as QiskitJobV1
    except ImportError:
        QiskitJobV1 = None  # noqa: N806
    rows = []
    for timeout, wait in PAIRS:
        sides: dict[str, Callable[[], float]] = {
            "ours": functools.partial(overshoot, JobV1, JobStatus.RUNNING, timeout, wait)
        }
        if QiskitJobV1 is not None:
            sides["theirs"] = functools.partial(
                overshoot, QiskitJobV1, QiskitStatus.RUNNING, timeout, wait
            )
        results = interleaved(sides, runs)
        rows.append((f"timeout={timeout}, wait={wait}", results["ours"], results.get("theirs")))
    return rows


def _na(values: list[float] | None, unit: str, digits: int = 2) -> str:
    return "n/a" if values is None else spread(values, unit, digits)


def _ratio(ours: list[float], theirs: list[float] | None) -> str:
    if theirs is None:
        return "n/a"
    return f"{statistics.median(ours) / statistics.median(theirs):.2f}x"


def _loop_lag_table() -> list[str]:
    """The event loop's lag at 100,000 FutureJobs, jobv1's against asyncio's own (A B A B)."""
    sides = ("as_completed", "wait", "asyncio", "to_thread", "callback")
    lags: dict[str, list[dict[str, float]]] = {side: [] for side in sides}
    for _ in range(2):  # A B A B
        for side, runs in lags.items():
            runs.append(scale.loop_lag(side=side))
    lines = [
        "",
        (
            "The event loop while 100,000 `FutureJob`s' futures ending in another thread, "
            "1,000 every 10 ms, are awaited: by `aio.as_completed`, by `aio.wait`, by "
            "`asyncio.wrap_future` on each and `asyncio.as_completed`, by "
            "`concurrent.futures.wait` in `asyncio.to_thread`, and by hand with one "
            "done-callback shared by every future, added in one go (2 runs a side, "
            "interleaved). The last two only wait for all: they yield nothing as each ends:"
        ),
        "",
        "| side | the call itself | worst lag | p99 lag | longest full GC meanwhile | total |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    names = {
        "as_completed": "jobv1.aio.as_completed",
        "wait": "jobv1.aio.wait (the call: its first step)",
        "asyncio": "asyncio.wrap_future + asyncio.as_completed",
        "to_thread": "asyncio.to_thread(concurrent.futures.wait)",
        "callback": "one shared done-callback, added in one go, by hand",
    }
    for side, runs in lags.items():
        cells = [
            spread([run[key] for run in runs], unit, 0 if key != "p99_lag_ms" else 2)
            for key, unit in (
                ("call_ms", " ms"),
                ("worst_lag_ms", " ms"),
                ("p99_lag_ms", " ms"),
                ("worst_gc_ms", " ms"),
            )
        ]
        total = spread([run["total_s"] for run in runs], " s", 1)
        lines.append(f"| {names[side]} | {' | '.join(cells)} | {total} |")
    return lines


def _instructions_table() -> list[str]:
    """Instructions per wait on a job already DONE, as callgrind counts them."""
    counted = instructions.per_wait()
    ours, theirs = counted["jobv1"], counted["qiskit"]
    if ours is None or theirs is None:
        return [
            "",
            "Instructions per wait on a job already DONE: n/a (valgrind or Qiskit missing).",
        ]
    return [
        "",
        (
            "Instructions per wait on a job already DONE, counted by valgrind's callgrind "
            "(the same on a busy machine as on an idle one; `python -m benchmarks.instructions`): "
            f"jobv1 {ours:,.0f}, Qiskit JobV1 {theirs:,.0f}, {ours / theirs:.2f}x."
        ),
    ]


def _layout_tables() -> list[str]:
    """Foreign jobs on the plain loop, and FutureJobs waited on blocking."""
    lines: list[str] = []
    foreign = scale.foreign_jobs()
    lines += [
        "",
        (
            "`jobv1.wait` over 1,000 jobs of each kind answering RUNNING 20 times: µs per "
            "query, `status()` (a few lines of Python, alike on every side) left in, no "
            "sleeping; Qiskit's jobs and any object with `job_id()` and `status()` are asked "
            "directly, as jobv1's are, and the floor is a loop by hand over the last kind:"
        ),
        "",
        "| jobs | µs per query |",
        "|---|---:|",
    ]
    for label, values in foreign.items():
        lines.append(f"| {label} | {spread(values)} |")
    blocking = scale.future_jobs_blocking()
    lines += [
        "",
        (
            "Blocking `as_completed` over 100,000 `FutureJob`s whose futures end in another "
            "thread, 1,000 every 10 ms: seconds to the last, and the longest garbage "
            "collection while it ran:"
        ),
        "",
        "| side | seconds | longest collection |",
        "|---|---:|---:|",
    ]
    for label in ("jobv1.as_completed", "concurrent.futures"):
        took, pause = blocking[f"{label} s"], blocking[f"{label} gc ms"]
        lines.append(f"| {label} | {spread(took, ' s')} | {spread(pause, ' ms', 1)} |")
    return lines


def report() -> tuple[str, list[pacing.Row]]:
    lines = [
        (
            f"Measured with Python {platform.python_version()} on {platform.machine()}, "
            f"{platform.system()}; `python -m benchmarks.run`. Each figure is the median "
            "of its runs, with the range in brackets; the sides of a comparison run in "
            "turn (A B A B)."
        ),
        "",
        "Import time and peak memory (fresh interpreters, run in turn):",
        "",
        "| what | time | against a bare interpreter | peak memory |",
        "|---|---:|---:|---:|",
    ]
    costs = import_costs()
    bare = statistics.median(costs[0][1])
    for name, times, mib in costs:
        lines.append(
            f"| {name} | {spread(times, ' ms', 1)} | {statistics.median(times) / bare:.2f}x "
            f"| {mib:.1f} MiB |"
        )
    lines += [
        "",
        "Deadline overshoot: how late a wait on a job that never ends raises (real time):",
        "",
        "| wait | jobv1 | Qiskit JobV1 |",
        "|---|---:|---:|",
    ]
    for label, ours, theirs in overshoots():
        lines.append(f"| {label} | {spread(ours, ' ms')} | {_na(theirs, ' ms', 1)} |")
    table = pacing.rows()
    lines += [
        "",
        (
            "Pacing in virtual time, over 50 job lengths within 10% of each: mean status "
            "queries and noticing delay (worst in brackets), fixed 5 s polling (Qiskit's "
            "default) against `Backoff()`, the default of every wait but Qiskit's own "
            "`wait_for_final_state`; the last column is how much later than 5 s polling "
            "`Backoff()` noticed a job's end at worst, over the same lengths (0 or less: "
            "never later):"
        ),
        "",
        (
            "| job length | 5 s: queries | 5 s: noticed after | Backoff: queries "
            "| Backoff: noticed after | extra queries | later at worst |"
        ),
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, fq, fd, fw, bq, bd, bw, extra, later in table:
        lines.append(
            f"| {label} | {fq:.1f} | {fd:.3f} s ({fw:.3f} s) | {bq:.1f} "
            f"| {bd:.3f} s ({bw:.3f} s) | {extra:+.1%} | {later:+.3f} s |"
        )
    ours_latency = [1000 * x for x in latency.future_job_latency()]
    own_latency = [1000 * x for x in latency.future_result_latency()]
    theirs_latency = latency.qiskit_polled_future_latency()
    lines += [
        "",
        "Event-driven latency: from a job's end to its wait returning (real time):",
        "",
        "| job | latency |",
        "|---|---:|",
        f"| jobv1 `FutureJob`, wait=5 | {spread(ours_latency, ' ms')} |",
        (
            "| the real `AerJob`/`PrimitiveJob` path: the future's own `result()` "
            f"| {spread(own_latency, ' ms')} |"
        ),
    ]
    if theirs_latency is not None:
        lines.append(
            "| Qiskit `JobV1.wait_for_final_state` polling a future, wait=5 "
            f"| {spread([1000 * x for x in theirs_latency], ' ms', 0)} |"
        )
    lines += [
        "",
        (
            "CPU per poll of one wait (µs); `status()` is, on both sides, a call in C of a "
            "few tens of nanoseconds unless it sleeps:"
        ),
        "",
        "| case | jobv1 | Qiskit JobV1 | ratio |",
        "|---|---:|---:|---:|",
    ]
    for label, ours, theirs in scale.cpu_per_poll():
        lines.append(f"| {label} | {spread(ours)} | {_na(theirs, '')} | {_ratio(ours, theirs)} |")
    lines += [
        "",
        "Fixed costs (µs per call):",
        "",
        "| call | jobv1 | against | theirs | ratio |",
        "|---|---:|---|---:|---:|",
    ]
    for label, ours, against, theirs in scale.fixed_costs():
        lines.append(
            f"| {label} | {spread(ours)} | {against} | {_na(theirs, '')} | {_ratio(ours, theirs)} |"
        )
    lines += _instructions_table()
    loop = scale.many_job_loop()
    lines += [
        "",
        (
            "The many-job loop: µs of `jobv1.wait` per query over 1,000 jobs answering "
            "RUNNING 20 times, `status()` (a few lines of Python) left in on every side, no "
            "sleeping; against the plainest loop by hand (no deadline, order, hooks or checks):"
        ),
        "",
        "| loop | µs per query | against the floor |",
        "|---|---:|---:|",
    ]
    floor_values = loop["by hand (floor)"]
    for label, values in loop.items():
        lines.append(f"| {label} | {spread(values)} | {_ratio(values, floor_values)} |")
    deadlines = scale.deadline_at_scale()
    memory = scale.memory_per_job()
    lines += [
        "",
        (
            "The deadline at scale: ms between `timeout=0.2` and the return of `jobv1.wait` "
            "over jobs that never end and answer at once (real time, 5 runs a side, "
            "interleaved); the floor queries every job, sleeps to the deadline and queries "
            "them all once more, by hand:"
        ),
        "",
        "| jobs | jobv1 late by | floor late by | ratio |",
        "|---:|---:|---:|---:|",
    ]
    for count, late, floor in deadlines:
        lines.append(
            f"| {count:,} | {spread(late, ' ms', 1)} | {spread(floor, ' ms', 1)} "
            f"| {_ratio(late, floor)} |"
        )
    lines += [
        "",
        "Memory a wait allocates per job at its peak, 10,000 jobs (virtual time, but the last):",
        "",
        "| wait | bytes per job |",
        "|---|---:|",
    ]
    lines += [f"| {label} | {bytes_:.0f} |" for label, bytes_ in memory.items()]
    completed = scale.as_completed_vs_stdlib()
    lines += [
        "",
        "`as_completed` over 10,000 futures already finished (seconds, one thread):",
        "",
        "| side | time |",
        "|---|---:|",
    ]
    for label, values in completed.items():
        lines.append(f"| {label} | {spread(values, ' s', 3)} |")
    polled = scale.aio_polled()
    lines += [
        "",
        "`aio.wait` over 10,000 cheap polled jobs, 6 queries each, no sleep (CPU seconds). The",
        "floor runs each round's `status()` calls in one `asyncio.to_thread` call and sorts the",
        "answers by hand; jobv1 runs each round on up to 8 worker threads, keeps the jobs'",
        "order, a deadline and hooks (it made a task and a thread hand-over per query before,",
        "at about 3.4 s, then took the general loop, at 0.2 s):",
        "",
        "| side | CPU |",
        "|---|---:|",
    ]
    for label, values in polled.items():
        lines.append(f"| {label} | {spread(values, ' s', 3)} |")
    lines += _layout_tables()
    bulk = latency.as_completed_10k()
    lines += [
        "",
        "`as_completed` over 10,000 `FutureJob`s ending over 2 s, one waiting thread (real time):",
        "",
        "| p50 | p99 | max |",
        "|---:|---:|---:|",
        f"| {bulk['p50_ms']:.2f} ms | {bulk['p99_ms']:.2f} ms | {bulk['max_ms']:.2f} ms |",
    ]
    lines += _loop_lag_table()
    lines += [
        "",
        concurrency.report(runs=3),
    ]
    held = scale.rate_limit_held()
    batches = scale.jitter_with_batches()
    lines += [
        "",
        (
            f"A shared `RateLimit(40, per=1.0, burst=10)`: 4 threads waiting on 50 jobs each "
            f"with `poll=0` for 2 s made {held['requests']:.0f} requests; the busiest second "
            f"had {held['busiest_second']:.0f} (at most {held['allowed']:.0f} allowed)."
        ),
        "",
        "Requests to a batch backend over 2,000 jobs ending after 10 min (virtual time):",
        "",
        "| policy | requests |",
        "|---|---:|",
    ]
    for label, count in batches.items():
        lines.append(f"| {label} | {count} |")
    return "\n".join(lines), table


def plot(table: list[pacing.Row], path: Path) -> bool:
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
