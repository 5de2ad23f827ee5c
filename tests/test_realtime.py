"""The few tests that run in real time, with generous margins: deadlines hold on the real clock."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

import jobv1
from jobv1 import JobStatus, JobTimeoutError
from jobv1.testing import FakeBackend, Hold

pytestmark = pytest.mark.realtime


def test_timeout_02_with_wait_1_raises_at_02_not_1(monkeypatch: pytest.MonkeyPatch) -> None:
    from jobv1._clock import SystemClock

    slept: list[float] = []
    sleep = SystemClock.sleep

    def noted(self: SystemClock, seconds: float, wakeup: Any = None) -> bool:
        slept.append(seconds)
        return sleep(self, seconds, wakeup)

    monkeypatch.setattr(SystemClock, "sleep", noted)
    job = FakeBackend().run(script=[Hold(JobStatus.RUNNING)])
    start = time.monotonic()
    with pytest.raises(JobTimeoutError):
        job.wait_for_final_state(timeout=0.2, wait=1.0)
    elapsed = time.monotonic() - start
    # Qiskit sleeps 1.0 s: this wait sleeps up to the deadline only, whatever the machine's
    # load adds to the elapsed time (benchmarks/ measures the exact overshoot).
    assert 0 < sum(slept) <= 0.2
    assert 0.2 <= elapsed < 0.9
    assert job.queries[-1].time - job.queries[0].time >= 0.2


def test_a_job_that_ends_in_real_time_is_noticed_at_the_next_poll() -> None:
    job = FakeBackend().run(script=[Hold(JobStatus.RUNNING, seconds=0.15)])
    start = time.monotonic()
    job.wait_for_final_state(wait=0.1)
    assert 0.15 <= time.monotonic() - start < 1.0
    assert [q.status for q in job.queries] == [JobStatus.RUNNING] * 2 + [JobStatus.DONE]


def test_wait_and_as_completed_keep_their_deadline() -> None:
    backend = FakeBackend()
    jobs = [backend.run(script=[Hold(JobStatus.RUNNING)]) for _ in range(3)]
    start = time.monotonic()
    done, not_done = jobv1.wait(jobs, timeout=0.2, poll=1.0)
    assert 0.2 <= time.monotonic() - start < 0.6
    assert (done, not_done) == (set(), set(jobs))
    start = time.monotonic()
    with pytest.raises(JobTimeoutError):
        list(jobv1.as_completed(jobs, timeout=0.2, poll=1.0))
    assert 0.2 <= time.monotonic() - start < 0.6


@pytest.mark.parametrize(
    "wait_an_hour",
    [
        # a timeout, so that a SIGINT that never comes fails the test instead of hanging it
        lambda job: job.wait_for_final_state(timeout=60, wait=3600),
        lambda job: jobv1.wait([job], timeout=60, poll=3600, interrupt=jobv1.Interrupt()),
    ],
    ids=["wait_for_final_state", "interruptible-wait"],
)
def test_ctrl_c_interrupts_a_wait_at_once(wait_an_hour: Callable[[Any], object]) -> None:
    """A real SIGINT, sent while the wait sleeps for an hour, ends it with KeyboardInterrupt."""
    job = FakeBackend().run(script=[Hold(JobStatus.RUNNING)])
    # Python's own handler, even where SIGINT is ignored (a run started with & or nohup)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    sender = threading.Timer(0.1, os.kill, args=(os.getpid(), signal.SIGINT))
    start = time.monotonic()
    sender.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            wait_an_hour(job)
    finally:
        sender.cancel()
        sender.join()
        signal.signal(signal.SIGINT, previous)
    assert time.monotonic() - start < 5
    assert len(job.queries) == 1
