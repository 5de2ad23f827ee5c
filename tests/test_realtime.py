"""The few tests that run in real time, with generous margins: deadlines hold on the real clock."""

from __future__ import annotations

import time

import pytest

from jobv1 import JobStatus, JobTimeoutError
from jobv1.testing import FakeBackend, Hold

pytestmark = pytest.mark.realtime


def test_timeout_02_with_wait_1_raises_at_02_not_1() -> None:
    job = FakeBackend().run(script=[Hold(JobStatus.RUNNING)])
    start = time.monotonic()
    with pytest.raises(JobTimeoutError):
        job.wait_for_final_state(timeout=0.2, wait=1.0)
    elapsed = time.monotonic() - start
    assert 0.2 <= elapsed < 0.6  # Qiskit takes 1.0 s; benchmarks/ measures the exact overshoot
    assert job.queries[-1].time - job.queries[0].time >= 0.2


def test_a_job_that_ends_in_real_time_is_noticed_at_the_next_poll() -> None:
    job = FakeBackend().run(script=[Hold(JobStatus.RUNNING, seconds=0.15)])
    start = time.monotonic()
    job.wait_for_final_state(wait=0.1)
    assert 0.15 <= time.monotonic() - start < 1.0
    assert [q.status for q in job.queries] == [JobStatus.RUNNING] * 2 + [JobStatus.DONE]
