"""Status queries and noticing delay of Backoff() against fixed 5 s polling, in virtual time."""

from __future__ import annotations

from jobv1 import Backoff, JobStatus, PollPolicy
from jobv1.testing import FakeBackend, FakeClock, Hold

DURATIONS = (0.1, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0, 3600.0)


def measure(duration: float, wait: float | PollPolicy) -> tuple[int, float]:
    """Queries made and seconds between the job's end and the wait noticing it."""
    with FakeClock() as clock:
        job = FakeBackend().run(script=[Hold(JobStatus.RUNNING, seconds=duration)])
        job.wait_for_final_state(wait=wait)
        return len(job.queries), clock.monotonic() - duration


def runs(duration: float, wait: float | PollPolicy, samples: int = 50) -> list[tuple[int, float]]:
    """:func:`measure` over ``samples`` job lengths within 10% of ``duration``.

    A single length can flatter fixed polling (a 10 s job polled every 5 s is noticed at
    once): the spread averages over where the job's end falls between two queries.
    """
    return [measure(duration * (0.9 + 0.2 * n / (samples - 1)), wait) for n in range(samples)]


def spread(measured: list[tuple[int, float]]) -> tuple[float, float, float]:
    """Mean queries, mean and worst noticing delay of :func:`runs`."""
    delays = [delay for _, delay in measured]
    return sum(q for q, _ in measured) / len(measured), sum(delays) / len(delays), max(delays)


Row = tuple[str, float, float, float, float, float, float, float, float]


def rows() -> list[Row]:
    """One row a job length: fixed 5 s and Backoff() mean queries, mean and worst delays.

    Then the extra queries of Backoff(), and how much later than fixed 5 s it noticed a
    job's end at worst, over the same lengths (0 or less: never later).
    """
    table = []
    for duration in DURATIONS:
        fixed, backoff = runs(duration, 5), runs(duration, Backoff())
        fixed_row, backoff_row = spread(fixed), spread(backoff)
        later = max(b - f for (_, b), (_, f) in zip(backoff, fixed, strict=True))
        extra = backoff_row[0] / fixed_row[0] - 1
        table.append((f"{duration:g} s", *fixed_row, *backoff_row, extra, later))
    return table


def main() -> None:
    """Print the table."""
    print("Pacing (virtual time), job lengths within 10% of each: fixed 5 s against Backoff()")
    for label, fq, fd, fw, bq, bd, bw, extra, later in rows():
        print(
            f"{label:>8} | 5 s: {fq:6.1f} queries, noticed after {fd:.3f} s (worst {fw:.3f} s) "
            f"| Backoff(): {bq:6.1f} queries, {bd:.3f} s (worst {bw:.3f} s) | {extra:+.1%} "
            f"| later at worst: {later:+.3f} s"
        )


if __name__ == "__main__":
    main()
