"""Properties of the wait under the fake clock, for random scripts, timeouts and intervals."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from jobv1 import JOB_FINAL_STATES, Backoff, JobStatus, JobTimeoutError, PollPolicy
from jobv1.testing import FakeBackend, FakeClock, Hold

NON_FINAL = [s for s in JobStatus if s not in JOB_FINAL_STATES]

steps = st.lists(
    st.builds(
        lambda status, seconds: Hold(status, seconds=seconds),
        st.sampled_from(NON_FINAL),
        st.floats(0, 100, allow_nan=False),
    ),
    max_size=6,
)
forever = st.booleans()
timeouts = st.none() | st.floats(-5, 300, allow_nan=False)
policies: st.SearchStrategy[float | PollPolicy] = st.floats(0.1, 50) | st.builds(
    Backoff,
    initial=st.floats(0.1, 5),
    multiplier=st.floats(1, 3),
    maximum=st.just(60.0),
    jitter=st.floats(0, 0.5),
    seed=st.integers(0, 2**32),
)


@given(script=steps, never_ends=forever, timeout=timeouts, wait=policies)
def test_the_wait_returns_iff_the_job_ends_before_the_deadline(
    script: list[Hold], never_ends: bool, timeout: float | None, wait: float | PollPolicy
) -> None:
    if never_ends:
        script = [*script, Hold(JobStatus.RUNNING)]
        if timeout is None:
            timeout = 300.0  # a job that never ends, with no deadline, would wait for ever
    end = math.inf if never_ends else sum(step.seconds or 0.0 for step in script)
    callbacks: list[JobStatus] = []
    with FakeClock() as clock:
        job = FakeBackend().run(script=script)
        try:
            job.wait_for_final_state(
                timeout=timeout,
                wait=wait,
                callback=lambda _id, status, _job: callbacks.append(status),
            )
            timed_out = False
        except JobTimeoutError:
            timed_out = True
        now = clock.monotonic()
    queries = job.queries
    deadline = math.inf if timeout is None else max(timeout, 0.0)
    # returns if and only if a final status was reached by the deadline
    assert timed_out is (end > deadline)
    assert (queries[-1].status in JOB_FINAL_STATES) is not timed_out
    # never sleeps past the deadline (but by the last bit of a float, where a step from
    # the time before cannot land on it); on a timeout, the last query is at the deadline
    assert now <= math.nextafter(deadline, math.inf)
    if timed_out:
        assert queries[-1].time == now
        assert deadline <= now <= math.nextafter(deadline, math.inf)
    # no more queries than the bound: one at the start, one after each sleep; a
    # backoff's delays are cut once a multiple of its cap besides (one more each)
    spent = min(now, deadline)
    if isinstance(wait, float):
        assert len(queries) <= 2 + spent / wait
    else:
        assert isinstance(wait, Backoff)
        smallest = wait.initial * (1 - wait.jitter)
        assert len(queries) <= 3 + spent / smallest + spent / (wait.maximum * (1 - wait.jitter))
    # callback once per non-final query, but not for the query that timed the wait out
    non_final = [q.status for q in queries if q.status not in JOB_FINAL_STATES]
    assert callbacks == (non_final[:-1] if timed_out else non_final)
    # the queries are in time order and only the last one can be final
    assert [q.time for q in queries] == sorted(q.time for q in queries)
    assert all(q.status not in JOB_FINAL_STATES for q in queries[:-1])
