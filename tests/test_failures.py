"""A job whose status cannot be read fails alone in a wait on many jobs (issue 25, 5).

Each test runs on both loops a wait on plain polled jobs may take (``loop``)
and under both drivers (``driver``): the blocking waits and their ``aio``
twins must report a job's own failure the same way.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import pickle
from collections.abc import Sequence
from typing import Any

import pytest

import jobv1
from conftest import ScriptedJob, waited
from jobv1 import (
    FIRST_EXCEPTION,
    AsCompleted,
    DoneAndNotDone,
    JobStatus,
    JobV1,
    Retry,
    aio,
)
from jobv1.testing import FakeBackend, FakeClock, Hold

Q, R, D, E = JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.DONE, JobStatus.ERROR


class Lost(ScriptedJob):
    """A job the service no longer knows: its status() raises, after ``good`` answers."""

    def __init__(self, job_id: str, good: int = 0) -> None:
        super().__init__([R], job_id)
        self.good = good

    def status(self) -> JobStatus:
        answer = super().status()
        if self.queries > self.good:
            raise KeyError(f"unknown job {self.job_id()}")
        return answer


def completed(driver: str, jobs: list[Any], **options: Any) -> list[tuple[Any, Any]]:
    """``as_completed`` under ``driver``: each job yielded, with what ``exception()`` said of it."""
    if driver == "blocking":
        ended = jobv1.as_completed(jobs, **options)
        return [(job, ended.exception(job)) for job in ended]

    async def collect() -> list[tuple[Any, Any]]:
        ended = aio.as_completed(jobs, **options)
        return [(job, ended.exception(job)) async for job in ended]

    return asyncio.run(collect())


@pytest.mark.usefixtures("loop")
class TestAJobFailsAlone:
    """Both loops, both drivers: the same report of a job's own failure."""

    @pytest.mark.parametrize("max_in_flight", [1, 8])
    def test_the_others_are_waited_on_and_the_failure_is_reported(
        self, fake_clock: FakeClock, driver: str, max_in_flight: int
    ) -> None:
        seen: list[tuple[str, JobStatus]] = []
        fine, lost, late = ScriptedJob([R, R, D], "fine"), Lost("lost"), Lost("late", good=1)
        outcome = waited(
            driver,
            [fine, lost, late],
            poll=1,
            max_in_flight=max_in_flight,
            on_status=lambda job, status: seen.append((job.job_id(), status)),
        )
        assert outcome.done == {fine, lost, late}
        assert outcome.not_done == set()
        assert set(outcome.failures) == {lost, late}
        assert str(outcome.exception(lost)) == "'unknown job lost'"
        assert outcome.exception(fine) is None
        assert seen == [("fine", R), ("lost", E), ("late", R), ("late", E), ("fine", D)]
        assert [fine.queries, lost.queries, late.queries] == [3, 1, 2]
        assert fake_clock.monotonic() == 2

    def test_as_completed_yields_it_with_its_error(
        self, fake_clock: FakeClock, driver: str
    ) -> None:
        fine, lost = ScriptedJob([R, D], "fine"), Lost("lost", good=2)
        yielded = completed(driver, [fine, lost], poll=1)
        assert [(job.job_id(), type(error)) for job, error in yielded] == [
            ("fine", type(None)),
            ("lost", KeyError),
        ]

    def test_first_exception_returns_at_it(self, fake_clock: FakeClock, driver: str) -> None:
        never, lost = ScriptedJob([R], "never"), Lost("lost", good=3)
        outcome = waited(driver, [never, lost], poll=1, return_when=FIRST_EXCEPTION)
        assert (outcome.done, outcome.not_done) == ({lost}, {never})
        assert fake_clock.monotonic() == 3

    def test_an_answer_that_is_not_a_status_fails_its_job(
        self, fake_clock: FakeClock, driver: str
    ) -> None:
        odd = ScriptedJob([R, "PAUSED"], "odd")
        fine = ScriptedJob([R, R, D], "fine")
        outcome = waited(driver, [fine, odd], poll=1)
        assert outcome.done == {fine, odd}
        assert isinstance(outcome.failures[odd], TypeError)
        assert "returned 'PAUSED'" in str(outcome.failures[odd])

    def test_one_more_failure_than_the_retry_rides_out_fails_the_job(
        self, fake_clock: FakeClock, driver: str
    ) -> None:
        lost, fine = Lost("lost"), ScriptedJob([R, R, R, R, R, D], "fine")
        outcome = waited(
            driver, [lost, fine], poll=1, retry=Retry(KeyError, max_failures=2, backoff=1)
        )
        assert outcome.done == {lost, fine}
        error = outcome.failures[lost]
        assert isinstance(error, KeyError)
        assert isinstance(error.__context__, KeyError)  # the failures before, chained
        assert lost.queries == 3

    def test_a_thousand_jobs_and_one_in_an_unknown_state(
        self, fake_clock: FakeClock, driver: str
    ) -> None:
        """The acceptance figure of issue 25: one bad job leaves the 999 others waited on."""
        jobs: list[Any] = [ScriptedJob([R] * (n % 4) + [D], f"j{n}") for n in range(999)]
        jobs.insert(500, ScriptedJob([R, "DELETED"], "deleted"))
        outcome = waited(driver, jobs, poll=1)
        assert outcome.done == set(jobs)
        assert [job.job_id() for job in outcome.failures] == ["deleted"]
        assert fake_clock.monotonic() == 3


class Batch(FakeBackend):
    """A backend that answers many statuses at once, an exception in place of a lost job's."""

    def __init__(self) -> None:
        super().__init__("batch")
        self.requests: list[int] = []
        self.lost: dict[str, int] = {}

    def job_statuses(self, jobs: Sequence[JobV1]) -> list[Any]:
        self.requests.append(len(jobs))
        answers: list[Any] = []
        for job in jobs:
            left = self.lost.get(job.job_id())
            if left:
                self.lost[job.job_id()] = left - 1
                answers.append(LookupError(f"no job {job.job_id()}"))
            else:
                answers.append(job.status())
        return answers


@pytest.mark.parametrize("driver_", ["blocking", "asyncio"])
def test_a_batch_answers_one_jobs_error_in_its_place(fake_clock: FakeClock, driver_: str) -> None:
    batch = Batch()
    jobs = [batch.run(script=[Hold(R, seconds=2)]) for _ in range(3)]
    batch.lost[jobs[1].job_id()] = 99
    outcome = waited(driver_, jobs, poll=1)
    assert outcome.done == set(jobs)
    assert list(outcome.failures) == [jobs[1]]
    assert str(outcome.failures[jobs[1]]) == f"no job {jobs[1].job_id()}"
    assert batch.requests == [3, 2, 2]
    assert [job.status() for job in jobs] == [D, D, D]


@pytest.mark.parametrize(
    ("backoff", "requests", "asked"),
    [
        (1.0, [3, 3, 3], [1.0, 2.0]),
        (0.9, [3, 3, 3], [1.0, 2.0]),
        (0.8, [3, 3, 3], [1.0, 2.0]),  # the batch's next request, at 1.0, is 0.8 / 4 later
        (0.7, [3, 2, 2], [0.7, 1.7, 2.7]),  # too much later: asked alone, at its own pace
    ],
)
def test_a_retry_rides_out_one_jobs_error_in_a_batch(
    fake_clock: FakeClock, backoff: float, requests: list[int], asked: list[float]
) -> None:
    """The job asked again after its error joins the batch's next request, if a little later."""
    batch = Batch()
    jobs = [batch.run(script=[Hold(R, seconds=2)]) for _ in range(3)]
    batch.lost[jobs[1].job_id()] = 1
    outcome = jobv1.wait(jobs, poll=1, retry=Retry(LookupError, backoff=backoff))
    assert (outcome.done, outcome.failures) == (set(jobs), {})
    assert batch.requests == requests
    assert [query.time for query in jobs[1].queries] == asked


def test_what_a_wait_returns_keeps_its_failures_through_a_pickle(fake_clock: FakeClock) -> None:
    fine, lost = "fine", "lost"  # any hashable, picklable jobs
    outcome = DoneAndNotDone({fine, lost}, set(), {lost: KeyError("gone")})
    assert repr(outcome).endswith("failures={'lost': KeyError('gone')})")
    assert "failures" not in repr(DoneAndNotDone({fine}, set()))
    copied = pickle.loads(pickle.dumps(outcome))
    assert copied == outcome
    (job,) = copied.failures
    assert job == "lost"
    assert isinstance(copied.exception(job), KeyError)
    assert DoneAndNotDone({fine}, set()).failures == {}


def test_as_completed_says_what_it_is_and_stops_when_closed(fake_clock: FakeClock) -> None:
    jobs = [ScriptedJob([R, D], "a"), ScriptedJob([R, R, D], "b")]
    ended = jobv1.as_completed(jobs, poll=1)
    assert isinstance(ended, AsCompleted)
    assert iter(ended) is ended
    assert repr(ended) == "<AsCompleted: 2 jobs not done>"
    assert next(ended) is jobs[0]
    ended.close()
    with pytest.raises(StopIteration):
        next(ended)
    assert [job.queries for job in jobs] == [2, 2]


def test_the_async_as_completed_says_what_it_is_and_stops_when_closed(
    fake_clock: FakeClock,
) -> None:
    jobs = [ScriptedJob([R, D], "a"), ScriptedJob([R, R, D], "b")]

    async def first_then_close() -> None:
        ended = aio.as_completed(jobs, poll=1)
        assert isinstance(ended, aio.AsCompleted)
        assert ended.__aiter__() is ended
        assert repr(ended) == "<AsCompleted: 2 jobs not done>"
        assert await ended.__anext__() is jobs[0]
        assert ended.exception(jobs[0]) is None
        await ended.aclose()
        with pytest.raises(StopAsyncIteration):
            await ended.__anext__()

    asyncio.run(first_then_close())
    assert [job.queries for job in jobs] == [2, 2]


@pytest.mark.parametrize(("count", "others"), [(3, " and 2 others"), (2, " and 1 other")])
def test_a_failed_batch_request_is_one_warning(
    fake_clock: FakeClock, caplog: pytest.LogCaptureFixture, count: int, others: str
) -> None:
    class Refusing(Batch):
        refusals = 1

        def job_statuses(self, jobs: Sequence[JobV1]) -> list[Any]:
            if self.refusals:
                self.refusals -= 1
                raise ConnectionError("refused")
            return super().job_statuses(jobs)

    batch = Refusing()
    jobs = [batch.run(script=[Hold(R, seconds=1)]) for _ in range(count)]
    outcome = jobv1.wait(jobs, poll=1, retry=Retry(ConnectionError, backoff=1))
    assert (outcome.done, outcome.failures) == (set(jobs), {})
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warned == [
        (
            f"a batch status query of job {jobs[0].job_id()}{others} failed "
            "(1 of 5 failures allowed): ConnectionError('refused')"
        )
    ]


@pytest.mark.parametrize("loop", ["plain", "futures"])
def test_a_hook_raising_stop_iteration_on_the_plain_loops_says_where(
    fake_clock: FakeClock, loop: str
) -> None:
    """The plain and futures loops' on_status is shielded under its own name, as the general's."""
    raised = StopIteration()

    def stop(job: Any, status: JobStatus) -> None:
        raise raised

    jobs: list[Any] = [ScriptedJob([R], "a"), ScriptedJob([R], "b")]
    if loop == "futures":
        jobs = [jobv1.FutureJob(None, name, concurrent.futures.Future()) for name in "ab"]
    with pytest.raises(RuntimeError, match=r"^on_status raised StopIteration$") as carried:
        next(iter(jobv1.as_completed(jobs, poll=1, on_status=stop)))
    assert carried.value.__cause__ is raised
