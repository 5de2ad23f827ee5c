"""jobv1.wait and jobv1.as_completed: many jobs, one deadline, one thread, in virtual time."""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from typing import Any

import pytest

import jobv1
from conftest import ScriptedJob
from jobv1 import (
    ALL_COMPLETED,
    FIRST_COMPLETED,
    FIRST_EXCEPTION,
    Backoff,
    JobStatus,
    JobTimeoutError,
    JobV1,
    Retry,
    as_completed,
    wait,
)
from jobv1._clock import current_clock
from jobv1.testing import FakeBackend, FakeClock, FakeJob, Hold

Q, R, D, E, C = (
    JobStatus.QUEUED,
    JobStatus.RUNNING,
    JobStatus.DONE,
    JobStatus.ERROR,
    JobStatus.CANCELLED,
)


def ending_at(backend: FakeBackend, *seconds: float, **kwargs: Any) -> list[FakeJob]:
    return [backend.run(script=[Hold(R, seconds=s)], **kwargs) for s in seconds]


def test_as_completed_yields_in_the_order_jobs_end(
    fake_clock: FakeClock, fake_backend: FakeBackend
) -> None:
    jobs = ending_at(fake_backend, 30, 10, 20)
    assert list(as_completed(jobs, poll=1)) == [jobs[1], jobs[2], jobs[0]]
    assert fake_clock.monotonic() == 30


def test_as_completed_raises_at_the_deadline_after_yielding_what_ended(
    fake_clock: FakeClock, fake_backend: FakeBackend
) -> None:
    jobs = ending_at(fake_backend, 5, 100, 200)
    seen: list[FakeJob] = []
    with pytest.raises(JobTimeoutError, match="2 of 3 jobs did not reach a final state") as caught:
        seen.extend(as_completed(jobs, timeout=50, poll=7))
    assert seen == [jobs[0]]
    assert fake_clock.monotonic() == 50
    assert "50" in str(caught.value)
    # at most one query per 7 s for each job, plus the last one at the deadline
    assert [q.time for q in jobs[1].queries] == [0, 7, 14, 21, 28, 35, 42, 49, 50]


def test_as_completed_checks_its_arguments_and_sets_the_deadline_when_called(
    fake_clock: FakeClock, fake_backend: FakeBackend
) -> None:
    with pytest.raises(TypeError, match="not 3"):
        as_completed([fake_backend.run(), 3])
    job = ending_at(fake_backend, 100)[0]
    iterator = as_completed([job], timeout=10)
    fake_clock.advance(20)
    with pytest.raises(JobTimeoutError):
        next(iterator)
    assert len(job.queries) == 1


def test_a_job_given_twice_counts_once(fake_clock: FakeClock, fake_backend: FakeBackend) -> None:
    job, other = ending_at(fake_backend, 3, 4)
    assert list(as_completed([job, job, other, job], poll=1)) == [job, other]
    done, not_done = wait([job, job])
    assert (done, not_done) == ({job}, set())


def test_no_jobs_return_at_once(fake_clock: FakeClock) -> None:
    assert wait([]) == (set(), set())
    assert list(as_completed(iter([]), timeout=0)) == []


def test_wait_all_completed(fake_clock: FakeClock, fake_backend: FakeBackend) -> None:
    jobs = ending_at(fake_backend, 1, 2, 3)
    done, not_done = wait(jobs, poll=0.5)
    assert done == set(jobs)
    assert not_done == set()
    assert fake_clock.monotonic() == 3


def test_wait_first_completed_returns_every_job_found_final_in_that_round(
    fake_clock: FakeClock, fake_backend: FakeBackend
) -> None:
    jobs = ending_at(fake_backend, 10, 2, 2, 50)
    done, not_done = wait(jobs, return_when=FIRST_COMPLETED, poll=1)
    assert done == {jobs[1], jobs[2]}
    assert not_done == {jobs[0], jobs[3]}
    assert fake_clock.monotonic() == 2


def test_wait_first_exception_stops_at_the_first_error(
    fake_clock: FakeClock, fake_backend: FakeBackend
) -> None:
    ok = ending_at(fake_backend, 1)[0]
    bad = fake_backend.run(script=[Hold(R, seconds=4)], error=RuntimeError("x"))
    slow = ending_at(fake_backend, 100)[0]
    done, not_done = wait([ok, bad, slow], return_when=FIRST_EXCEPTION, poll=1)
    assert done == {ok, bad}
    assert not_done == {slow}
    assert fake_clock.monotonic() == 4


def test_wait_first_exception_without_errors_waits_for_all(
    fake_clock: FakeClock, fake_backend: FakeBackend
) -> None:
    jobs = ending_at(fake_backend, 1, 6)
    assert wait(jobs, return_when=FIRST_EXCEPTION, poll=1) == (set(jobs), set())


def test_wait_never_raises_on_timeout(fake_clock: FakeClock, fake_backend: FakeBackend) -> None:
    jobs = ending_at(fake_backend, 1, 100)
    done, not_done = wait(jobs, timeout=10, poll=3)
    assert (done, not_done) == ({jobs[0]}, {jobs[1]})
    assert fake_clock.monotonic() == 10
    done, not_done = wait(jobs, timeout=0)
    assert (done, not_done) == ({jobs[0]}, {jobs[1]})
    assert fake_clock.monotonic() == 10


def test_the_default_poll_is_backoff(fake_clock: FakeClock, fake_backend: FakeBackend) -> None:
    job = ending_at(fake_backend, 0.1)[0]
    wait([job])
    times = [q.time for q in job.queries]
    assert times == pytest.approx([0, 0.05, 0.125])


def test_each_job_keeps_its_own_schedule(fake_clock: FakeClock, fake_backend: FakeBackend) -> None:
    early = ending_at(fake_backend, 1000)[0]
    fake_clock.advance(0.3)
    late = ending_at(fake_backend, 1000)[0]
    wait([early, late], timeout=10, poll=Backoff(initial=1, multiplier=2, maximum=4))
    assert [q.time for q in early.queries] == pytest.approx([0.3, 1.3, 3.3, 4.3, 8.3, 10.3])
    assert [q.time for q in late.queries] == pytest.approx([0.3, 1.3, 3.3, 4.3, 8.3, 10.3])


def test_on_status_sees_every_distinct_status_of_every_job(
    fake_clock: FakeClock, fake_backend: FakeBackend
) -> None:
    a = fake_backend.run(script=[Hold(Q, seconds=2), Hold(R, seconds=2)])
    b = fake_backend.run(script=[Hold(R, seconds=3)], end=C)
    seen: list[tuple[str, JobStatus]] = []
    wait([a, b], poll=1, on_status=lambda job, status: seen.append((job.job_id(), status)))
    assert seen == [
        ("fake-1", Q),
        ("fake-2", R),
        ("fake-1", R),
        ("fake-2", C),
        ("fake-1", D),
    ]


# The table calls through untyped names: it passes what the signatures forbid, on purpose.
untyped_wait: Any = wait
untyped_as_completed: Any = as_completed


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (
            lambda j: untyped_wait(j[0]),
            TypeError,
            "jobs must be an iterable of jobs, not <FakeJob",
        ),
        (lambda j: untyped_wait("abc"), TypeError, "jobs must be an iterable of jobs, not 'abc'"),
        (lambda j: untyped_wait(42), TypeError, "jobs must be an iterable of jobs, not 42"),
        (
            lambda j: untyped_wait([*j, None]),
            TypeError,
            "jobs must hold only jobs (a JobV1, a Qiskit job, or any object with callable job_id() and status()), not None",
        ),
        (
            lambda j: untyped_wait(j, return_when="ANY"),
            ValueError,
            "return_when must be FIRST_COMPLETED",
        ),
        (lambda j: untyped_wait(j, timeout=math.nan), ValueError, "timeout must not be NaN"),
        (lambda j: untyped_wait(j, poll=-1), ValueError, "poll must be a finite number of seconds"),
        (
            lambda j: untyped_wait(j, poll="x"),
            TypeError,
            "poll must be a number of seconds or a poll",
        ),
        (
            lambda j: untyped_wait(j, on_status=1),
            TypeError,
            "on_status must be callable or None, not 1",
        ),
        (lambda j: untyped_wait(j, retry=3), TypeError, "retry must be a Retry or None, not 3"),
        (
            lambda j: untyped_wait(j, interrupt=True),
            TypeError,
            "interrupt must be an Interrupt or None",
        ),
        (
            lambda j: untyped_as_completed(j, timeout="1"),
            TypeError,
            "timeout must be a real number",
        ),
        (
            lambda j: untyped_as_completed({1: 2}),
            TypeError,
            "jobs must hold only jobs (a JobV1, a Qiskit job, or any object with callable job_id() and status()), not 1",
        ),
    ],
)
def test_bad_arguments_are_refused_before_any_query(
    fake_clock: FakeClock, fake_backend: FakeBackend, call: Any, error: type[Exception], words: str
) -> None:
    jobs = ending_at(fake_backend, 10)
    with pytest.raises(error, match=re.escape(words)):
        call(jobs)
    assert jobs[0].queries == []


class BatchBackend(FakeBackend):
    """A backend that answers many statuses in one request."""

    def __init__(self) -> None:
        super().__init__("batch")
        self.requests: list[int] = []

    def job_statuses(self, jobs: Sequence[JobV1]) -> list[JobStatus]:
        self.requests.append(len(jobs))
        return [job.status() for job in jobs]


def test_jobs_of_a_batch_backend_cost_one_request_per_round(
    fake_clock: FakeClock, fake_backend: FakeBackend
) -> None:
    batch = BatchBackend()
    jobs = ending_at(batch, 3, 3, 5, 5)
    loner = ending_at(fake_backend, 4)[0]
    done, _ = wait([*jobs, loner], poll=1)
    assert done == {*jobs, loner}
    assert batch.requests == [4, 4, 4, 4, 2, 2]
    assert len(loner.queries) == 5


def test_a_batch_that_answers_the_wrong_number_is_an_error(fake_clock: FakeClock) -> None:
    class Short(BatchBackend):
        def job_statuses(self, jobs: Sequence[JobV1]) -> list[JobStatus]:
            return [R]

    jobs = ending_at(Short(), 3, 3)
    with pytest.raises(ValueError, match="answered 1 statuses for 2 jobs"):
        wait(jobs)


def test_a_batch_answer_that_is_not_a_status_fails_its_jobs(fake_clock: FakeClock) -> None:
    class Odd(BatchBackend):
        def job_statuses(self, jobs: Sequence[JobV1]) -> list[Any]:
            return ["DONE"] * len(jobs)

    jobs = ending_at(Odd(), 3, 3)
    outcome = wait(jobs)
    assert outcome.done == set(jobs)
    for job in jobs:
        error = outcome.exception(job)
        assert isinstance(error, TypeError)
        assert "returned 'DONE', which is not a JobStatus" in str(error)


def test_a_failing_status_fails_its_job_alone_in_many_job_waits(fake_clock: FakeClock) -> None:
    class Broken(ScriptedJob):
        def status(self) -> JobStatus:
            raise KeyError("unknown state 'PAUSED'")

    fine, broken = ScriptedJob([R, D]), Broken([R])
    outcome = wait([fine, broken])
    assert (outcome.done, outcome.not_done) == ({fine, broken}, set())
    assert list(outcome.failures) == [broken]
    assert "PAUSED" in str(outcome.failures[broken])
    ended = as_completed([Broken([R])])
    (job,) = ended
    assert isinstance(ended.exception(job), KeyError)


def test_the_package_exports_the_many_job_names() -> None:
    assert (jobv1.FIRST_COMPLETED, jobv1.FIRST_EXCEPTION, jobv1.ALL_COMPLETED) == (
        "FIRST_COMPLETED",
        "FIRST_EXCEPTION",
        "ALL_COMPLETED",
    )
    assert ALL_COMPLETED == "ALL_COMPLETED"


def test_jobs_without_a_backend_attribute_or_with_an_odd_one_are_queried_one_by_one(
    fake_clock: FakeClock,
) -> None:
    class Bare(ScriptedJob):
        def __init__(self) -> None:  # never calls JobV1.__init__: no _backend at all
            self._statuses = [R, D]
            self.queries = 0
            self._job_id = "bare"

    class Odd:
        job_statuses = "not a method"

    odd = [ScriptedJob([R, D], job_id=f"odd-{n}") for n in range(2)]
    for job in odd:
        job._backend = Odd()  # type: ignore[assignment]
    done, _ = wait([Bare(), Bare(), *odd], poll=1)
    assert len(done) == 4


def test_a_lone_job_of_a_batch_backend_is_asked_directly(fake_clock: FakeClock) -> None:
    batch = BatchBackend()
    short, long = ending_at(batch, 2, 5)
    wait([short, long], poll=1)
    assert batch.requests == [2, 2, 2]  # at 0, 1 and 2 s; then the long job alone, by status()
    assert len(long.queries) == 6


def test_a_failed_batch_is_retried_for_every_job_in_it(fake_clock: FakeClock) -> None:
    class Flaky(BatchBackend):
        failures = 1

        def job_statuses(self, jobs: Sequence[JobV1]) -> list[JobStatus]:
            if self.failures:
                self.failures -= 1
                raise ConnectionError("batch endpoint down")
            return super().job_statuses(jobs)

    backend = Flaky()
    jobs = ending_at(backend, 3, 3, 3)
    done, _ = wait(jobs, timeout=100, poll=1, retry=Retry(ConnectionError, backoff=1))
    assert done == set(jobs)
    assert fake_clock.monotonic() == 3  # every job was asked again, not only the first


def test_one_job_from_each_of_two_batch_backends_is_asked_directly(fake_clock: FakeClock) -> None:
    first, second = BatchBackend(), BatchBackend()
    jobs = [*ending_at(first, 2), *ending_at(second, 2)]
    wait(jobs, poll=1)
    assert first.requests == second.requests == []  # a batch of one is just status()


class SlowHintedJob(FakeJob):
    """A fake job that asks to be polled again after ``hint`` s; its queries take ``latency``."""

    latency = 0.0
    hint: float | None = 100.0

    def poll_hint(self, status: JobStatus) -> float | None:
        return self.hint

    def status(self) -> JobStatus:
        if self.latency:
            clock = current_clock()
            assert isinstance(clock, FakeClock)
            clock.advance(self.latency)  # the service takes its time to answer
        return super().status()


def hinted(
    backend: FakeBackend, seconds: float, latency: float = 0.0, hint: float | None = 100.0
) -> SlowHintedJob:
    job = SlowHintedJob(backend, f"hinted-{seconds}", script=[Hold(R, seconds=seconds)])
    job.latency, job.hint = latency, hint
    job.submit()
    return job


def test_a_batch_asks_its_jobs_hints_but_not_at_the_deadline(fake_clock: FakeClock) -> None:
    """As a job asked alone: a hint is of no use at the deadline, which ends the wait."""
    asked: list[tuple[str, float]] = []

    class Counted(SlowHintedJob):
        def poll_hint(self, status: JobStatus) -> float | None:
            asked.append((self.job_id(), fake_clock.monotonic()))
            return 2.0

    batch = BatchBackend()
    jobs = [Counted(batch, f"job{n}", script=[Hold(R)]) for n in range(2)]
    for job in jobs:
        job.submit()
    done, not_done = wait(jobs, timeout=3, poll=10)
    assert (done, not_done) == (set(), set(jobs))
    assert batch.requests == [2, 2, 2]  # at 0, at the hint's 2 s, at the deadline
    assert asked == [("job0", 0), ("job1", 0), ("job0", 2), ("job1", 2)]


class EndsAtTheDeadline(FakeClock):
    """A clock whose long sleep ends with a future completing, as a worker thread would then."""

    def __init__(self, future: Any, at: float) -> None:
        super().__init__()
        self.future, self.at = future, at

    def sleep(self, seconds: float, wakeup: Any = None) -> bool:
        woken = super().sleep(seconds, wakeup)
        if self.monotonic() >= self.at and not self.future.done():
            self.future.set_result("done")
            return wakeup is not None and wakeup.is_set()
        return woken


def test_a_wake_up_at_the_deadline_still_queries_the_polled_jobs() -> None:
    """Issue 11, 5: the woken sleep cleared the deadline flag, and a DONE job was reported pending."""
    import concurrent.futures

    from jobv1 import FutureJob

    future: concurrent.futures.Future[str] = concurrent.futures.Future()
    with EndsAtTheDeadline(future, at=10) as clock:
        polled = hinted(FakeBackend(), 5)  # DONE since t=5, but asks to be polled at t=100
        pushed = FutureJob(None, "pushed", future)
        done, not_done = wait([polled, pushed], timeout=10)
        assert clock.monotonic() == 10
    assert (done, not_done) == ({polled, pushed}, set())
    assert [(q.time, q.status) for q in polled.queries] == [(0, R), (10, D)]


def test_a_query_that_crosses_the_deadline_does_not_skip_the_others(
    fake_clock: FakeClock,
) -> None:
    """Issue 11, 5: the jobs not asked in the round that crossed the deadline were never asked."""
    backend = FakeBackend()
    early = hinted(backend, 5)  # DONE from t=5; next due at t=100
    slow = hinted(backend, 1000, latency=3.0, hint=None)  # each query takes 3 s; polled every 5
    late = hinted(backend, 1000)
    done, not_done = wait([early, slow, late], timeout=10, poll=5)
    assert (done, not_done) == ({early}, {slow, late})
    # t=8: slow's query starts, and ends at 11, past the deadline; the others are asked then
    assert [q.time for q in slow.queries] == [3, 11]
    assert [q.time for q in early.queries] == [0, 11]
    assert [q.status for q in early.queries] == [R, D]
    assert [q.time for q in late.queries] == [3, 11]
    assert fake_clock.monotonic() == 11


def test_jobs_that_cannot_be_hashed_are_refused_before_any_query() -> None:
    """Issue 11, 8: the TypeError came after the waiting, and the result was lost."""

    class Comparable(ScriptedJob):
        def __eq__(self, other: object) -> bool:
            return isinstance(other, Comparable) and other.job_id() == self.job_id()

        __hash__ = None  # type: ignore[assignment]

    job = Comparable([D])
    with pytest.raises(TypeError, match="cannot be in one: its class defines __eq__"):
        wait([job])
    assert job.queries == 0
    assert list(as_completed([job])) == [job]  # as_completed needs no hash
    other = Comparable([D], "other")  # told apart by identity: each once, in the order given
    assert list(as_completed([job, other, job])) == [job, other]


def test_wait_returns_a_named_pair_as_concurrent_futures_does(
    fake_clock: FakeClock, fake_backend: FakeBackend
) -> None:
    import pickle

    from jobv1 import DoneAndNotDone

    done_job, pending = ending_at(fake_backend, 1, 100)
    result = wait([done_job, pending], timeout=10)
    assert type(result) is DoneAndNotDone
    assert (result.done, result.not_done) == ({done_job}, {pending})
    assert result == ({done_job}, {pending})
    done, not_done = result
    assert (done, not_done) == result
    pair = DoneAndNotDone({1}, {2})
    assert repr(pair) == "DoneAndNotDone(done={1}, not_done={2})"
    assert pickle.loads(pickle.dumps(pair)) == pair
    assert type(pickle.loads(pickle.dumps(pair))) is DoneAndNotDone


def test_the_asyncio_wait_returns_the_named_pair_too(fake_clock: FakeClock) -> None:
    import asyncio

    from jobv1 import DoneAndNotDone, aio

    job = FakeBackend().run(result=1)
    result = asyncio.run(aio.wait([job]))
    assert type(result) is DoneAndNotDone
    assert result.done == {job}


@pytest.mark.parametrize("hint", [2.5, 3.9, 0.0])
def test_a_job_a_hint_paces_joins_its_batchs_next_request(
    fake_clock: FakeClock, hint: float
) -> None:
    """Issue 25, 3: a hinted job of a batch backend was asked alone, a request each time."""

    def requests(hinted_too: bool) -> list[int]:
        batch = BatchBackend()
        plain = [batch.run(script=[Hold(R, seconds=10)]) for _ in range(5)]
        paced = [hinted(batch, 10, hint=hint if hinted_too else None) for _ in range(5)]
        batch.requests.clear()
        started = fake_clock.monotonic()
        assert jobv1.wait([*plain, *paced], poll=2).done == {*plain, *paced}
        for job in paced if hinted_too else []:  # never before its hint
            times = [query.time - started for query in job.queries]
            assert all(b - a >= hint for a, b in itertools.pairwise(times[:-1]))
        return batch.requests

    off, on = requests(hinted_too=False), requests(hinted_too=True)
    assert off == [10] * 6  # at 0, 2, 4, 6, 8 and 10
    assert len(on) <= 1.3 * len(off)  # it was 11 requests against 6 with a hint of 2.5


def test_a_hinted_job_joins_only_its_own_batchs_requests(fake_clock: FakeClock) -> None:
    """Jobs of another batch backend, due a little earlier, keep their own time."""
    first, second = BatchBackend(), BatchBackend()
    late = [hinted(first, 10, hint=4) for _ in range(2)]
    early = [hinted(second, 10, hint=3.5) for _ in range(2)]
    started = fake_clock.monotonic()
    assert jobv1.wait([*late, *early], poll=20).done == {*late, *early}
    assert {job.queries[1].time - started for job in late} == {4}
    assert {job.queries[1].time - started for job in early} == {3.5}


def test_a_jittered_retry_keeps_a_batch_together(fake_clock: FakeClock) -> None:
    """After a failed batch request, its jobs are asked again in one request, not scattered."""

    class Failing(BatchBackend):
        def job_statuses(self, jobs: Sequence[JobV1]) -> list[JobStatus]:
            if not self.requests:
                self.requests.append(len(jobs))
                raise ConnectionError("the service is busy")
            return super().job_statuses(jobs)

    batch = Failing()
    jobs = [batch.run(script=[Hold(R, seconds=1)]) for _ in range(6)]
    retry = Retry(ConnectionError, backoff=Backoff(initial=1, jitter=0.9, seed=7))
    assert jobv1.wait(jobs, poll=60, retry=retry).done == set(jobs)
    assert batch.requests == [6, 6, 6]  # failed; asked again together (RUNNING); DONE


class Starting(FakeJob):
    """A queued job whose hint is the time left until it starts, as a service would say."""

    starts_at = 0.0

    def poll_hint(self, status: JobStatus) -> float | None:
        if status is Q and self.hints:
            return max(0.0, self.starts_at - current_clock().monotonic())
        return None

    hints = True


@pytest.mark.parametrize("poll", [None, 1.0])
def test_jobs_their_hints_scatter_are_still_asked_in_batches(
    fake_clock: FakeClock, poll: float | None
) -> None:
    """Issue 25, 3: every job of a batch queued, each hinted to its own start a moment apart.

    Each hinted job made a request of its own, then took up the Backoff from its start
    (31 requests against 17 with hints off, on the reference HTTP service).
    """

    def requests(hints: bool) -> int:
        batch = BatchBackend()
        jobs = []
        for n in range(200):
            queue = 0.5 + (n % 7) / 5 + n * 0.001  # submitted a millisecond apart
            job = Starting(batch, f"s{n}", script=[Hold(Q, seconds=queue), Hold(R, seconds=0.3)])
            job.starts_at, job.hints = fake_clock.monotonic() + queue, hints
            job.submit()
            jobs.append(job)
        options: dict[str, Any] = {} if poll is None else {"poll": poll}
        assert jobv1.wait(jobs, **options).done == set(jobs)
        for job in jobs if hints else []:  # never asked before its start once hinted
            assert job.queries[1].time >= job.starts_at  # the first, at the start, told it
        return len(batch.requests)

    off, on = requests(hints=False), requests(hints=True)
    assert on <= 1.3 * off, (on, off)
