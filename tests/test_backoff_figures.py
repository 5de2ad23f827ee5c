"""The promises of Backoff(), checked exactly in virtual time with the benchmark's own code."""

from __future__ import annotations

from benchmarks import pacing
from jobv1 import Backoff


def test_backoff_notices_a_short_job_at_once_and_costs_little_on_a_long_one() -> None:
    rows = {row[0]: row for row in pacing.rows()}
    _, _, _, _, _, short_mean, short_worst, _ = rows["0.1 s"]
    assert short_worst <= 0.15  # a job ending after about 0.1 s is noticed within 0.15 s
    assert short_mean <= 0.05
    *_, hour_extra = rows["3600 s"]
    assert hour_extra <= 0.03  # an hour-long job costs at most 3% more queries than 5 s polling


def test_a_single_measure_is_exact() -> None:
    queries, delay = pacing.measure(0.1, Backoff())
    assert queries == 3  # at 0, 0.05 and 0.125 s
    assert abs(delay - 0.025) < 1e-9
