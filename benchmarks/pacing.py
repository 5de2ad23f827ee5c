"""Status queries and noticing delay of Backoff() against fixed 5 s polling, in virtual time."""

from __future__ import annotations

from jobv1 import Backoff, JobStatus, PollPolicy
from jobv1.testing import FakeBackend, FakeClock, Hold

DURATIONS = (0.1, 1.0, 10.0, 100.0, 1000.0, 3600.0)


def measure(duration: float, wait: float | PollPolicy) -> tuple[int, float]:
    """Queries made and seconds between the job's end and the wait noticing it."""
    with FakeClock() as clock:
        job = FakeBackend().run(script=[Hold(JobStatus.RUNNING, seconds=duration)])
        job.wait_for_final_state(wait=wait)
        return len(job.queries), clock.monotonic() - duration


def rows() -> list[tuple[str, int, float, int, float, float]]:
    """One row a job duration: fixed 5 s and Backoff() queries and delays, and the query ratio."""
    table = []
    for duration in DURATIONS:
        fixed_queries, fixed_delay = measure(duration, 5)
        backoff_queries, backoff_delay = measure(duration, Backoff())
        table.append(
            (
                f"{duration:g} s",
                fixed_queries,
                fixed_delay,
                backoff_queries,
                backoff_delay,
                backoff_queries / fixed_queries - 1,
            )
        )
    return table


def main() -> None:
    """Print the table."""
    print("Pacing (virtual time): fixed 5 s polling (Qiskit's default) against Backoff()")
    print(
        f"{'job':>8} | {'5 s queries':>11} {'noticed after':>13} | "
        f"{'Backoff queries':>15} {'noticed after':>13} | {'extra queries':>13}"
    )
    for label, fq, fd, bq, bd, extra in rows():
        print(f"{label:>8} | {fq:>11} {fd:>11.3f} s | {bq:>15} {bd:>11.3f} s | {extra:>+12.1%}")


if __name__ == "__main__":
    main()
