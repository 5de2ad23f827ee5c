"""The promises of Backoff(), checked exactly in virtual time with the benchmark's own code."""

from __future__ import annotations

import inspect

from hypothesis import given, settings
from hypothesis import strategies as st

import jobv1
from benchmarks import pacing
from conftest import examples
from jobv1 import Backoff
from jobv1._options import DEFAULT_POLL


def test_backoff_notices_a_short_job_at_once_and_costs_little_on_a_long_one() -> None:
    rows = {row[0]: row for row in pacing.rows()}
    _, _, _, _, _, short_mean, short_worst, _, _ = rows["0.1 s"]
    assert short_worst <= 0.15  # a job ending after about 0.1 s is noticed within 0.15 s
    assert short_mean <= 0.05
    *_, hour_extra, _ = rows["3600 s"]
    assert hour_extra <= 0.02  # an hour-long job costs under 2% more queries than 5 s polling


def test_a_single_measure_is_exact() -> None:
    queries, delay = pacing.measure(0.1, Backoff())
    assert queries == 3  # at 0, 0.05 and 0.125 s
    assert abs(delay - 0.025) < 1e-9


def test_the_table_never_finds_backoff_later_than_fixed_polling() -> None:
    for label, *_, later in pacing.rows():
        assert later <= 1e-9, label


@settings(max_examples=examples(300))
@given(length=st.floats(1, 3600))
def test_the_default_pacing_is_never_dominated_by_fixed_5_s_polling(length: float) -> None:
    # It asks more often (while it grows), so it must never notice a job's end later:
    # then at no job length does it both make more queries and notice later.
    assert Backoff() == DEFAULT_POLL  # every wait's default but wait_for_final_state's
    _, fixed = pacing.measure(length, 5)
    queries, delay = pacing.measure(length, DEFAULT_POLL)
    assert delay <= fixed + 1e-9
    assert queries <= length / 5 + 13  # and over an hour at most a dozen queries more


def test_result_and_the_waits_default_to_that_pacing() -> None:
    for function in (jobv1.result, jobv1.cancel, jobv1.wait, jobv1.as_completed):
        assert inspect.signature(function).parameters["poll"].default is DEFAULT_POLL
