"""The deadline's promises, for random policies, hints, latencies and wake-ups (issue 11).

In virtual time, with several jobs in one wait: no job is queried after the
deadline but once, in the deadline's round; no job still pending when the
wait ends missed its query at the deadline (or had one in flight then); and
the wait always ends.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

import jobv1
from jobv1 import Backoff, JobStatus, JobV1, PollPolicy
from jobv1.testing import FakeClock

R, D = JobStatus.RUNNING, JobStatus.DONE
#: Far below any time that matters, far above the few ulps float sums drift by.
ROUNDING = 1e-9


class WakingClock(FakeClock):
    """A FakeClock on which events happen at set times: a sleep they fall in ends there, woken."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[tuple[float, Callable[[], object]]] = []

    def sleep(self, seconds: float, wakeup: Any = None) -> bool:
        target = self.monotonic() + seconds
        due = sorted((t, n) for n, (t, _) in enumerate(self.events) if t <= target)
        if not due or wakeup is None:
            return super().sleep(seconds, wakeup)
        when = due[0][0]
        self.advance(max(0.0, when - self.monotonic()))
        for t, n in due:
            if t == when:
                self.events[n][1]()
        self.events = [event for event in self.events if event[0] != when]
        return bool(wakeup.is_set()) or super().sleep(0, wakeup)


class Remote(JobV1):
    """A job that ends at ``ends`` (or never), whose queries take ``latency``, maybe pushed."""

    def __init__(  # noqa: PLR0917 - a test double: every field, in order
        self,
        clock: WakingClock,
        n: int,
        ends: float,
        latency: float,
        hint: float | None,
        pushed: bool,
    ) -> None:
        super().__init__(None, f"job-{n}")
        self.clock, self.ends, self.latency, self.hint, self.pushed = (
            clock,
            ends,
            latency,
            hint,
            pushed,
        )
        self.queries: list[tuple[float, float, JobStatus]] = []  # start, end, answer

    def submit(self) -> None:
        """Submitted when made."""

    def result(self) -> None:
        """No result."""

    def status(self) -> JobStatus:
        start = self.clock.monotonic()
        self.clock.advance(self.latency)
        answer = D if start >= self.ends else R
        self.queries.append((start, self.clock.monotonic(), answer))
        return answer

    def poll_hint(self, status: JobStatus) -> float | None:
        return self.hint

    def watch(self, wakeup: Callable[[], object]) -> Callable[[], object] | None:
        if not self.pushed or self.ends == math.inf:
            return None
        self.clock.events.append((self.ends, wakeup))
        return lambda: None


jobs_ = st.lists(
    st.tuples(
        st.one_of(st.just(math.inf), st.floats(0, 40)),  # when it ends
        st.sampled_from([0.0, 0.0, 0.5, 3.0]),  # how long a query takes
        st.none() | st.floats(0.5, 30),  # the service's hint
        st.booleans(),  # whether it tells when it ends
    ),
    min_size=1,
    max_size=4,
)
policies: st.SearchStrategy[float | PollPolicy] = st.floats(0.5, 20) | st.builds(
    Backoff, initial=st.floats(0.1, 2), multiplier=st.floats(1, 3), maximum=st.just(30.0)
)


@example(  # found by hypothesis: the sleep to the deadline ended 2 ulps short of it
    jobs=[(9.0, 0.0, None, True), (0.39728204074790785, 0.0, None, True)],
    timeout=8.971402515174065,
    poll=1.0,
)
@given(jobs=jobs_, timeout=st.floats(0, 30), poll=policies)
def test_the_deadline_is_kept_and_its_last_queries_made(
    jobs: list[tuple[float, float, float | None, bool]], timeout: float, poll: float | PollPolicy
) -> None:
    clock = WakingClock()
    with clock:
        made = [Remote(clock, n, *job) for n, job in enumerate(jobs)]
        done, not_done = jobv1.wait(made, timeout=timeout, poll=poll)
        ended = clock.monotonic()
    deadline = timeout
    assert done | not_done == set(made)
    for job in made:
        late = [query for query in job.queries if query[0] > deadline]
        # at most one query begins after the deadline: the deadline's round, if a slow
        # query pushed it there
        assert len(late) <= 1, job.queries
        if job in not_done:
            # its last query began at the deadline, or was in flight when it came (give or
            # take the rounding of a sum of floats: now + (deadline - now) may miss by an ulp)
            last_start, last_end, _ = job.queries[-1]
            assert max(last_start, last_end) >= deadline - ROUNDING, (job.queries, deadline)
        else:
            assert job.queries[-1][2] is D
    # the wait ends: no later than one round of queries after the deadline
    assert ended <= deadline + sum(job.latency for job in made) * 2 + 1e-9
