"""PerStatus: each job's delays follow its last status, on every wait and driver."""

from __future__ import annotations

import copy
import itertools
import pickle
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import jobv1
from conftest import completed, waited
from jobv1 import Backoff, JobStatus, PerStatus
from jobv1._policy import Fixed
from jobv1.testing import FakeBackend, FakeClock, Hold

Q, R = JobStatus.QUEUED, JobStatus.RUNNING
# Queued a minute, then running 10 s: every 20 s while queued, a backoff while running.
SCRIPT = [Hold(Q, seconds=60), Hold(R, seconds=10)]
PACE = PerStatus({Q: 20, R: Backoff(initial=1, multiplier=2, maximum=4)})
# 60: RUNNING, the backoff starts over: +1, +2, then +1 to land on its cap's multiple, +4...
TIMES = [0, 20, 40, 60, 61, 63, 64, 68, 72]


def times(job: Any) -> list[float]:
    return [query.time for query in job.queries]


def test_one_job_follows_its_status(fake_clock: FakeClock) -> None:
    job = FakeBackend().run(script=SCRIPT)
    job.wait_for_final_state(wait=PACE)
    assert times(job) == TIMES


def test_each_job_of_a_wait_follows_its_own_status(fake_clock: FakeClock, driver: str) -> None:
    backend = FakeBackend()
    first = backend.run(script=SCRIPT)
    fake_clock.advance(10)
    second = backend.run(script=[Hold(R, seconds=5)])  # running at once: the backoff
    waited(driver, [first, second], poll=PACE)
    assert times(first) == [10, 30, 50, 70]  # running at 60, done at 70 (made at 0)
    assert times(second) == [10, 11, 13, 14, 18]


def test_as_completed_follows_the_status_too(fake_clock: FakeClock, driver: str) -> None:
    job = FakeBackend().run(script=SCRIPT)
    assert completed(driver, [job], poll=PACE) == [job]
    assert times(job) == TIMES


def test_a_status_not_named_takes_the_default(fake_clock: FakeClock) -> None:
    job = FakeBackend().run(script=SCRIPT)
    job.wait_for_final_state(wait=PerStatus({R: 5}, default=30))
    assert times(job) == [0, 30, 60, 65, 70]


def test_coming_back_to_a_status_starts_its_policy_over(fake_clock: FakeClock) -> None:
    script = [Hold(R, seconds=3), Hold(Q, seconds=10), Hold(R, seconds=3)]
    job = FakeBackend().run(script=script)
    job.wait_for_final_state(wait=PerStatus({R: Backoff(1, 2, 8), Q: 10}))
    # running: +1 +2; queued at 3: +10; running again at 13: +1 +2 from the start
    assert times(job) == [0, 1, 3, 13, 14, 16]


def test_a_hint_still_comes_first(fake_clock: FakeClock) -> None:
    class Hinted(jobv1.testing.FakeJob):
        def poll_hint(self, status: JobStatus) -> float | None:
            return 7.0 if status is Q else None

    job = Hinted(FakeBackend(), "hinted", script=SCRIPT)
    job.submit()
    job.wait_for_final_state(wait=PACE)
    assert times(job)[:3] == [0, 7, 14]


def test_a_policy_for_a_status_that_runs_out_is_named(fake_clock: FakeClock) -> None:
    class Once:
        def delays(self) -> Any:
            return iter([1.0])

    job = FakeBackend().run(script=SCRIPT)
    with pytest.raises(ValueError, match=r"poll policy .*Once.* ran out of delays"):
        job.wait_for_final_state(wait=PerStatus({Q: Once()}))


def test_without_a_status_told_the_delays_are_the_defaults() -> None:
    delays = PerStatus({Q: 20}, default=Fixed(3)).delays()
    assert [next(delays) for _ in range(3)] == [3.0, 3.0, 3.0]


def test_the_arguments_are_checked() -> None:
    with pytest.raises(TypeError, match=r"policies must be a mapping .*, not \[1\]"):
        PerStatus([1])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"policies must be a mapping .*, not <class 'dict'>"):
        PerStatus(dict)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"policies: 'QUEUED' is not a JobStatus"):
        PerStatus({"QUEUED": 20})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match=r"policies: DONE is final"):
        PerStatus({JobStatus.DONE: 20})
    with pytest.raises(
        ValueError, match=r"policies\[QUEUED\] must be a finite number of seconds >= 0, got -1"
    ):
        PerStatus({Q: -1})
    with pytest.raises(TypeError, match=r"policies\[RUNNING\] must be a number of seconds"):
        PerStatus({R: "soon"})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match=r"default must be a number of seconds"):
        PerStatus({}, default=None)  # type: ignore[arg-type]


def test_qiskits_statuses_name_the_same_policies() -> None:
    qiskit = pytest.importorskip("qiskit.providers")
    ours = PerStatus({Q: 20, R: 5})
    assert PerStatus({qiskit.JobStatus.QUEUED: 20, qiskit.JobStatus.RUNNING: 5}) == ours


def test_it_is_an_immutable_value() -> None:
    policy = PerStatus({R: 5, Q: Backoff(maximum=60)}, default=2)
    assert policy.policies == ((Q, Backoff(maximum=60)), (R, Fixed(5)))  # in JobStatus order
    assert policy.default == Fixed(2)
    assert policy == PerStatus({Q: Backoff(maximum=60), R: 5.0}, default=Fixed(2))
    assert policy != PerStatus({Q: Backoff(maximum=60), R: 5.0})
    assert hash(policy) == hash(PerStatus({Q: Backoff(maximum=60), R: 5}, default=2))
    assert pickle.loads(pickle.dumps(policy)) == policy
    assert copy.deepcopy(policy) == policy
    with pytest.raises(AttributeError, match="immutable"):
        policy.default = Fixed(1)
    assert repr(PerStatus({R: 5}, default=1)) == (
        "PerStatus({JobStatus.RUNNING: Fixed(interval=5.0)}, default=Fixed(interval=1.0))"
    )
    assert repr(PerStatus({Q: 20, R: 5})) == (
        "PerStatus({JobStatus.QUEUED: Fixed(interval=20.0), JobStatus.RUNNING: "
        "Fixed(interval=5.0)}, default=Backoff(initial=0.05, multiplier=1.5, maximum=5.0, "
        "jitter=0.0, seed=None))"
    )
    assert policy.policy_for(R) == Fixed(5)
    assert policy.policy_for(JobStatus.INITIALIZING) == Fixed(2)


@given(
    queued=st.floats(0, 600),
    running=st.floats(0, 600),
    fixed=st.floats(0.5, 60),
)
def test_each_delay_is_the_one_of_the_status_before_it(
    queued: float, running: float, fixed: float
) -> None:
    pace = PerStatus({Q: fixed}, default=Backoff(maximum=10))
    with FakeClock():
        job = FakeBackend().run(script=[Hold(Q, seconds=queued), Hold(R, seconds=running)])
        job.wait_for_final_state(wait=pace)
    queries = job.queries
    for before, after in itertools.pairwise(queries):
        if before.status is Q:
            assert after.time - before.time == pytest.approx(fixed)
        else:
            assert after.time - before.time <= 10 + 1e-9
