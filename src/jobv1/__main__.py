"""``python -m jobv1``: a short tour of jobv1, and jobs saved as references waited on from a shell.

``python -m jobv1 --help`` says what it does. With no command (or ``tour``)
it runs a tour of jobv1 on local threads, in a few seconds; ``wait`` and
``status`` restore saved jobs and wait on them, or ask them once
(:mod:`jobv1._cli`).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import textwrap
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


def _say(text: str, indent: str = "", hang: str = "") -> None:
    """Print ``text`` wrapped to the terminal's width, between words, never inside one.

    ``indent`` starts every line; ``hang`` is added to the lines after the first.
    """
    width = max(20, min(100, shutil.get_terminal_size((100, 24)).columns))
    print(
        textwrap.fill(
            text,
            width,
            initial_indent=indent,
            subsequent_indent=indent + hang,
            break_long_words=False,
            break_on_hyphens=False,
        )
    )


def tour() -> int:
    """Run the tour; return the exit status."""
    start = time.monotonic()
    _say(
        f"jobv1 {__version__}: job handles for remote services, with waits that keep their "
        "deadlines. A drop-in for qiskit.providers.JobV1."
    )
    print()

    _say(
        "1. An exact deadline: wait_for_final_state(timeout=0.2, wait=1), a job that never ends",
        hang="   ",
    )
    endless = Endless(None, "endless")
    ours = _late(
        lambda seconds: endless.wait_for_final_state(timeout=seconds, wait=1), 0.2, JobTimeoutError
    )
    _say(f"jobv1:  JobTimeoutError after {ours:.3f} s", "   ")
    theirs = _qiskit_seconds(0.2, 1)
    if theirs is None:
        _say("Qiskit: not installed here; its loop sleeps whole intervals, so about 1 s", "   ")
    else:
        _say(f"Qiskit: JobTimeoutError after {theirs:.3f} s, a whole interval late", "   ")
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
        # What each was when asked to cancel, and what cancel() said.
        was = [(job, job.status(), job.cancel()) for job in (extra, jobs[0])]

        _say(
            "2. Many jobs, one deadline, a live monitor; each job as it ends, no polling",
            hang="   ",
        )
        with Monitor(sys.stdout, refresh=0.25) as monitor:
            for job in as_completed(jobs, timeout=10, on_status=monitor):
                monitor.print(f"   {job.job_id()} finished: {job.result()}")
        print()

    _say("3. An hour of virtual time, as tests run it", hang="   ")
    with FakeClock() as clock:
        hour = FakeBackend("virtual").run(script=[Hold(JobStatus.RUNNING, seconds=3600)])
        before = time.monotonic()
        hour.wait_for_final_state(wait=60)
        _say(
            f"{hour.job_id()}: DONE at virtual {clock.monotonic():.0f} s after "
            f"{len(hour.queries)} queries, in {1000 * (time.monotonic() - before):.1f} real ms",
            "   ",
        )
    print()

    _say("4. Cancel and confirm: a queued job can be cancelled, a running one cannot", hang="   ")
    for job, status, cancelled in was:
        _say(
            f"{job.job_id()} was {status.name} when asked: cancel() -> {cancelled}; "
            f"it ended {job.status().name}",
            "   ",
        )
    print()

    _say(
        f"Tour over in {time.monotonic() - start:.1f} s. Next: `python -m pydoc jobv1`, and the "
        "documentation in the docs folder of jobv1's source, for waiting on Qiskit's jobs, "
        "asyncio, Dask, testing and more."
    )
    return 0


def _seconds(text: str) -> float:
    """``--timeout``'s value: seconds, finite and not negative."""
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 <= seconds < float("inf"):
        raise argparse.ArgumentTypeError(f"seconds must be finite and >= 0, got {text!r}")
    return seconds


def main(argv: list[str] | None = None) -> int:
    """Read the command line, run its command; return the exit status.

    A closed output (``python -m jobv1 | head -3``) and Ctrl-C end it
    quietly, without a traceback.
    """
    parser = argparse.ArgumentParser(
        prog="python -m jobv1",
        description="jobv1: job handles for remote services, drop-in for qiskit.providers.JobV1.",
    )
    parser.add_argument("--version", action="version", version=f"jobv1 {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="command")
    commands.add_parser("tour", help="a short tour, in a few seconds (the default)")
    waiting = commands.add_parser(
        "wait",
        help="wait on saved jobs: exit 0 if all ended DONE, 1 if one failed, 124 on timeout",
        description="Restore the jobs saved in each FILE (what to_reference() gave, as JSON: "
        "one reference or a list) and wait on them all, with a monitor. Exit status: 0 when "
        "every job ended DONE, 1 when one ended ERROR or CANCELLED, 124 when the timeout came "
        "first, 2 for bad usage or a file that cannot be read.",
    )
    waiting.add_argument("files", nargs="+", metavar="FILE")
    waiting.add_argument("--timeout", type=_seconds, help="seconds to wait at most")
    waiting.add_argument(
        "--json", action="store_true", help="one JSON object per job on stdout, and nothing else"
    )
    asking = commands.add_parser(
        "status",
        help="print the status of saved jobs, each asked once",
        description=(
            "Restore the jobs saved in each FILE and print each one's status, asked once."
        ),
    )
    asking.add_argument("files", nargs="+", metavar="FILE")
    asking.add_argument("--json", action="store_true", help="one JSON object per job")
    arguments = parser.parse_args(argv)  # exits 0 for --help, 2 for what it does not know
    try:
        if arguments.command == "wait":
            from ._cli import wait_command

            return wait_command(
                arguments.files, arguments.timeout, arguments.json, sys.stdout, sys.stderr
            )
        if arguments.command == "status":
            from ._cli import status_command

            return status_command(arguments.files, arguments.json, sys.stdout, sys.stderr)
        status = tour()
        sys.stdout.flush()
    except BrokenPipeError:
        # Whoever read the output stopped reading: nothing more to say, to anyone.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        print()
        return 130  # 128 + SIGINT, as shells report it
    return status


if __name__ == "__main__":
    raise SystemExit(main())
