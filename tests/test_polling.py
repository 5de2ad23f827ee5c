"""The poll loop itself, over several jobs at once, in virtual time."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from jobv1 import JobStatus, JobTimeoutError
from jobv1._arguments import Checked, Options
from jobv1._clock import current_clock
from jobv1._interop import as_job
from jobv1._policy import Fixed
from jobv1._polling import Poller, general
from jobv1.testing import FakeBackend, FakeClock, FakeJob, Hold

if TYPE_CHECKING:
    from jobv1._traits import Pollable

Q, R, D, E = JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.DONE, JobStatus.ERROR


def poller(jobs: list[Pollable], timeout: float | None = None, **kwargs: Any) -> Poller[Pollable]:
    clock = current_clock()
    options = Options(timeout, Fixed(1), **kwargs)
    wait = Checked(jobs, set(map(type, jobs)), options, clock=clock, started=clock.monotonic())
    return Poller(wait)


def flat(rounds: Poller[Pollable]) -> Iterator[Pollable]:
    return (job for finished in rounds for job, _ in finished)


def test_jobs_come_out_in_the_order_they_end(
    fake_clock: FakeClock, fake_backend: FakeBackend
) -> None:
    slow = fake_backend.run(script=[Hold(R, seconds=5)])
    fast = fake_backend.run(script=[Hold(R, seconds=2)], error=OSError())
    assert list(poller([slow, fast])) == [[(fast, E)], [(slow, D)]]
    assert fake_clock.monotonic() == 5


def test_no_jobs_means_nothing_to_wait_for(fake_clock: FakeClock) -> None:
    assert list(poller([], timeout=0)) == []


def test_on_status_sees_each_distinct_status_once_the_final_one_included(
    fake_clock: FakeClock, fake_backend: FakeBackend
) -> None:
    job = fake_backend.run(script=[Hold(Q, seconds=2), Hold(R, seconds=2)])
    seen: list[tuple[object, JobStatus]] = []
    list(poller([job], on_status=lambda j, s: seen.append((j, s))))
    assert seen == [(job, Q), (job, R), (job, D)]
    assert len(job.queries) == 5


def test_a_timeout_over_many_jobs_names_how_many(
    fake_clock: FakeClock, fake_backend: FakeBackend
) -> None:
    jobs = [fake_backend.run(script=[Hold(R, seconds=s)]) for s in (1, 10, 10)]
    finished: list[Pollable] = []
    with pytest.raises(JobTimeoutError) as caught:
        finished.extend(flat(poller(list(jobs), timeout=3)))
    assert str(caught.value) == "2 of 3 jobs did not reach a final state within the timeout of 3 s"
    assert finished == [jobs[0]]
    # at the deadline every pending job is queried one last time
    assert [q.time for q in jobs[1].queries] == [0, 1, 2, 3]


def test_with_own_failures_a_jobs_failure_ends_it_alone(
    fake_clock: FakeClock, fake_backend: FakeBackend
) -> None:
    """What the sharded settle waits with: the failure is the job's, the wait goes on."""
    from jobv1 import Retry

    class Down:
        def job_id(self) -> str:
            return "down"

        def status(self) -> JobStatus:
            raise ConnectionError("refused")

    ending = fake_backend.run(script=[Hold(R, seconds=3)])
    down = Down()
    options = Options(
        None, Fixed(1), retry=Retry(ConnectionError, max_failures=1, backoff=1), own_failures=True
    )
    jobs: list[Any] = [down, ending]
    rounds = general(
        Checked(jobs, {Down, type(ending)}, options, clock=fake_clock, started=0.0, adapt=as_job)
    )
    assert list(rounds) == [[(down, E)], [(ending, D)]]
    failure = rounds.failure_of(down)
    assert isinstance(failure, ConnectionError)
    assert isinstance(failure.__context__, ConnectionError)  # the one ridden out
    assert rounds.failure_of(ending) is None


def test_with_own_failures_a_batch_that_fails_too_often_ends_all_its_jobs(
    fake_clock: FakeClock,
) -> None:
    from jobv1 import JobV1, Retry

    class Down:
        def job_statuses(self, jobs: Any) -> Any:
            raise ConnectionError("refused")

    class OnDown(JobV1):
        def submit(self) -> None: ...
        def result(self) -> None: ...
        def status(self) -> JobStatus:
            raise AssertionError("asked in batches only")

    backend = Down()
    jobs: list[Any] = [OnDown(backend, f"b{n}") for n in range(3)]  # type: ignore[arg-type]
    options = Options(
        None, Fixed(1), retry=Retry(ConnectionError, max_failures=1, backoff=1), own_failures=True
    )
    rounds = general(Checked(jobs, {OnDown}, options, clock=fake_clock, started=0.0, adapt=as_job))
    assert list(rounds) == [[(job, E) for job in jobs]]
    assert all(isinstance(rounds.failure_of(job), ConnectionError) for job in jobs)


def test_by_default_the_loop_takes_every_jobs_hints(
    fake_clock: FakeClock, fake_backend: FakeBackend
) -> None:
    """A loop told nothing of the jobs' traits asks each job's poll_hint(), as the docs say."""

    class Hinted(FakeJob):
        def poll_hint(self, status: JobStatus) -> float | None:
            return 0.25

    job = Hinted(fake_backend, "hinted", script=[Hold(R, seconds=1)])
    job.submit()
    assert list(flat(poller([job]))) == [job]
    assert [query.time for query in job.queries] == [0, 0.25, 0.5, 0.75, 1]
