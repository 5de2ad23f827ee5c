"""Answers used as they arrive: a slow query holds back no other job's news (issue 25, 4).

A wait that returns or yields at one job's end (``FIRST_COMPLETED``,
``FIRST_EXCEPTION``, ``as_completed``) reads each answer worth it (a final
status, a failure, what is not a status) as it comes, on the system's
clock, while the other queries of the same round run on. The tests hold one
job's ``status()`` on an event that only the test sets, after the wait has
answered, and checks that the wait answered while that query was still
running (a wait that held the round for it answers only once the query
ends, which the test never lets happen first). Each runs on both loops a wait on plain polled
jobs may take (``loop``), under both drivers (``driver``), and on a batch
backend for the general loop's batch queries.
"""

from __future__ import annotations

import asyncio
import enum
import threading
from types import SimpleNamespace
from typing import Any

import pytest

import jobv1
from conftest import ScriptedJob, completed, waited
from jobv1 import (
    FIRST_COMPLETED,
    FIRST_EXCEPTION,
    JobStatus,
    JobTimeoutError,
    JobV1,
    _deadline,
    aio,
)
from jobv1 import _flight as flight
from jobv1._aiodrive import LoopWaker, launched
from jobv1._blocking import run_until
from jobv1._clock import SystemClock
from jobv1._requests import EARLY
from jobv1._workers import Run
from jobv1.testing import FakeClock

Q, R, D, E = JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.DONE, JobStatus.ERROR

#: Seconds a test waits at most: far more than any wait here takes, unless it is wrong.
FAR = 60.0


class Held(ScriptedJob):
    """A job whose status() blocks, after ``free`` quick answers, until ``release`` is set."""

    def __init__(self, job_id: str, release: threading.Event, free: int = 0) -> None:
        super().__init__([R], job_id)
        self.release = release
        self.free = free
        self.asking = threading.Event()
        self.answered = threading.Event()

    def status(self) -> JobStatus:
        answer = super().status()
        if self.queries > self.free:
            self.asking.set()
            try:
                assert self.release.wait(FAR), "the test never let the held query answer"
            finally:
                self.answered.set()
        return answer

    def under_way(self) -> bool:
        """Whether its held query was begun and has not ended."""
        return self.asking.is_set() and not self.answered.is_set()


class Broken(ScriptedJob):
    """A job whose status() raises from its second query on."""

    def status(self) -> JobStatus:
        answer = super().status()
        if self.queries > 1:
            raise ConnectionError(f"{self.job_id()} is gone")
        return answer


@pytest.fixture
def release() -> Any:
    """The event a held job waits for: set when the test ends, whatever happened."""
    event = threading.Event()
    yield event
    event.set()


def first(
    driver: str, jobs: list[Any], added: tuple[Any, ...] = (), **options: Any
) -> tuple[Any, Exception | None]:
    """The first job ``as_completed`` yields under ``driver``, with its exception; then closed.

    The jobs ``added`` are given to its ``add()`` before the first is asked for.
    """
    if driver == "blocking":
        ended = jobv1.as_completed(jobs, **options)
        for job in added:
            ended.add(job)
        job = next(ended)
        ended.close()
        return job, ended.exception(job)

    async def take() -> tuple[Any, Exception | None]:
        ended = aio.as_completed(jobs, **options)
        for job in added:
            ended.add(job)
        job = await ended.__anext__()
        await ended.aclose()
        return job, ended.exception(job)

    return asyncio.run(take())


@pytest.fixture
def never_carried(monkeypatch: pytest.MonkeyPatch) -> None:
    """No round carries a slow query over: only news read as it comes answers before it ends.

    A round that waits for every query carries one still running after
    ``SLOW_QUERY_SECONDS`` over to a later round, and reads the others then:
    the held query would then hold back no job's end for long either way.
    """
    monkeypatch.setattr(_deadline, "SLOW_QUERY_SECONDS", FAR)


@pytest.mark.usefixtures("loop", "never_carried")
class TestNewsComesFirst:
    """Both loops, both drivers: a job's end is acted on while a slow query runs."""

    def test_first_completed_returns_while_another_query_is_held(
        self, driver: str, release: threading.Event
    ) -> None:
        held = Held("held", release, free=1)
        quick = ScriptedJob([Q, D], "quick")
        done, not_done = waited(driver, [held, quick], return_when=FIRST_COMPLETED, poll=0.01)
        assert held.under_way()
        assert done == {quick}
        assert not_done == {held}
        release.set()

    @pytest.mark.parametrize("how", ["given", "windowed", "moved by add()"])
    def test_as_completed_yields_while_another_query_is_held(
        self, driver: str, release: threading.Event, how: str
    ) -> None:
        """The job given, drawn through a window, or added (which moves a plain wait)."""
        held = Held("held", release, free=1)
        quick = ScriptedJob([Q, D], "quick")
        if how == "given":
            job, error = first(driver, [held, quick], poll=0.01)
        elif how == "windowed":
            job, error = first(driver, [held, quick], poll=0.01, max_pending=2)
        else:
            job, error = first(driver, [held, ScriptedJob([R], "idle")], (quick,), poll=0.01)
        assert held.under_way()
        assert job is quick
        assert error is None

    def test_first_exception_returns_at_a_failure_while_another_query_is_held(
        self, driver: str, release: threading.Event
    ) -> None:
        held = Held("held", release, free=1)
        broken = Broken([R], "broken")
        result = waited(driver, [held, broken], return_when=FIRST_EXCEPTION, poll=0.01)
        assert held.under_way()
        assert result.done == {broken}
        assert isinstance(result.exception(broken), ConnectionError)

    def test_a_hook_that_raises_on_the_news_ends_the_wait_at_once(
        self, driver: str, release: threading.Event
    ) -> None:
        def on_status(job: Any, status: JobStatus) -> None:
            if status is D:
                raise LookupError(job.job_id())

        held = Held("held", release, free=1)
        with pytest.raises(LookupError, match="quick"):
            waited(
                driver,
                [held, ScriptedJob([Q, D], "quick")],
                return_when=FIRST_COMPLETED,
                poll=0.01,
                on_status=on_status,
            )
        assert held.under_way()

    def test_the_held_query_is_given_up_and_not_made_twice(
        self, driver: str, release: threading.Event
    ) -> None:
        held = Held("held", release, free=1)
        waited(
            driver,
            [held, ScriptedJob([Q, D], "quick")],
            return_when=FIRST_COMPLETED,
            poll=0.01,
        )
        assert held.under_way()
        assert flight.busy(held)  # noted: the next wait does not ask it again meanwhile
        asked = held.queries
        waited(driver, [held, ScriptedJob([D], "other")], timeout=0, return_when=FIRST_COMPLETED)
        assert held.queries == asked
        with pytest.raises(JobTimeoutError):  # nor a wait on it alone
            held.wait_for_final_state(timeout=0)
        assert held.queries == asked
        release.set()

    def test_news_read_while_a_query_is_held_is_not_read_again_when_it_answers(
        self, driver: str, release: threading.Event
    ) -> None:
        held = Held("held", release, free=1)
        held._statuses = [Q, R, D]  # its held query answers RUNNING; the next, DONE
        quick = ScriptedJob([Q, D], "quick")  # before it: read first, and skipped at the end
        seen: list[tuple[str, JobStatus]] = []

        def on_status(job: Any, status: JobStatus) -> None:
            seen.append((job.job_id(), status))
            if job is quick and status is D:  # read as news: the held query cannot have ended
                assert not held.answered.is_set()
                assert held.asking.wait(FAR)  # begun by its worker, however busy the machine
                release.set()

        assert completed(driver, [quick, held], poll=0.01, on_status=on_status) == [quick, held]
        assert seen == [("quick", Q), ("held", Q), ("quick", D), ("held", R), ("held", D)]

    def test_every_answer_is_read_once_news_first_or_at_the_rounds_end(self, driver: str) -> None:
        # No query held: each job's statuses are told once each, in its own order, and
        # each job is yielded once, whether its end was read as news or with the round.
        seen: dict[str, list[JobStatus]] = {}
        jobs = [ScriptedJob([Q, R, D], f"job{k}") for k in range(5)]

        def on_status(job: Any, status: JobStatus) -> None:
            seen.setdefault(job.job_id(), []).append(status)

        yielded = completed(driver, jobs, poll=0.01, on_status=on_status)
        assert sorted(job.job_id() for job in yielded) == [f"job{k}" for k in range(5)]
        assert seen == {f"job{k}": [Q, R, D] for k in range(5)}


def test_all_completed_reads_each_round_in_the_jobs_order() -> None:
    # A wait on every job has nothing to act on early: hooks see the jobs' order.
    seen: list[str] = []
    jobs = [ScriptedJob([Q, D], f"job{k}") for k in range(8)]
    jobv1.wait(jobs, poll=0.01, on_status=lambda job, status: seen.append(job.job_id()))
    assert seen == [f"job{k}" for k in range(8)] * 2


class Batched(JobV1):
    """A job of a batch backend: :class:`BatchBackend` answers for it."""

    def __init__(self, backend: BatchBackend, job_id: str) -> None:
        super().__init__(backend, job_id)
        self.batches = backend

    def submit(self) -> None:
        """Nothing to submit."""

    def status(self) -> JobStatus:
        return self.batches.job_statuses([self])[0]

    def result(self) -> None:
        """No result."""


class BatchBackend:
    """Answers batches of at most two jobs; a batch with ``held`` in it waits for ``release``."""

    max_status_batch = 2
    name = "batches"

    def __init__(self, release: threading.Event, answers: dict[str, list[JobStatus]]) -> None:
        self.release = release
        self.answers = answers
        self.asking = threading.Event()
        self.answered = threading.Event()

    def run(self, run_input: Any, /, **options: Any) -> JobV1[Any]:
        raise NotImplementedError("the test makes its jobs itself")

    def job_statuses(self, jobs: list[Any]) -> list[JobStatus]:
        ids = [job.job_id() for job in jobs]
        statuses = [
            self.answers[name].pop(0) if len(self.answers[name]) > 1 else self.answers[name][0]
            for name in ids
        ]
        if "held" in ids and statuses[ids.index("held")] is R:
            self.asking.set()
            try:
                assert self.release.wait(FAR), "the test never let the held batch answer"
            finally:
                self.answered.set()
        return statuses


def test_a_batch_that_ends_a_job_is_read_while_another_batch_is_held(
    driver: str, release: threading.Event
) -> None:
    backend = BatchBackend(release, {"held": [Q, R], "a": [Q], "b": [Q, D], "c": [Q]})
    jobs = [Batched(backend, name) for name in ("held", "a", "b", "c")]
    done, not_done = waited(driver, jobs, return_when=FIRST_COMPLETED, poll=0.01)
    assert backend.asking.is_set()
    assert not backend.answered.is_set()
    assert {job.job_id() for job in done} == {"b"}
    assert {job.job_id() for job in not_done} == {"held", "a", "c"}


class LookAlike(enum.Enum):
    """Stands for Qiskit's JobStatus, met for the first time: new members in each test."""

    QUEUED = "job is queued"
    RUNNING = "job is actively running"


def fresh_statuses() -> type[LookAlike]:
    """Members no wait has met yet, read as Qiskit's: news at first sight, though pending."""
    made = enum.Enum("JobStatus", {m.name: m.value for m in LookAlike})  # type: ignore[misc]
    made.__module__ = "qiskit.providers.jobstatus"
    return made  # type: ignore[return-value]


@pytest.mark.usefixtures("loop")
def test_news_that_ends_no_job_is_read_and_the_wait_goes_on(
    driver: str, release: threading.Event
) -> None:
    # A status met for the first time is read as news, though it says pending: the
    # wait reads it, ends nothing, and waits on (here, for the quick job, which
    # answers only once that news was read).
    statuses = fresh_statuses()
    read = threading.Event()

    class Fresh(ScriptedJob):
        def status(self) -> JobStatus:
            return statuses.RUNNING  # type: ignore[return-value]

    class Quick(ScriptedJob):
        def status(self) -> JobStatus:
            assert read.wait(FAR), "the fresh status was never read"
            return D

    def on_status(job: Any, status: JobStatus) -> None:
        if job.job_id() == "fresh":
            read.set()

    held = Held("held", release)
    quick = Quick([D], "quick")
    done, _ = waited(
        driver,
        [held, Fresh([R], "fresh"), quick],
        return_when=FIRST_COMPLETED,
        poll=0.01,
        on_status=on_status,
    )
    assert held.under_way()
    assert done == {quick}


class Patient(Run):
    """A run whose driver is woken once more after it told the news: nothing new, it waits on.

    The set that wakes it stands for a worker's that comes after the driver's
    look. The slow call answers once the driver has looked again.
    """

    def __init__(self, gate: threading.Event) -> None:
        def slow() -> tuple[JobStatus, None, float]:
            assert gate.wait(FAR), "the driver never looked again"
            return R, None, 0.0

        super().__init__([lambda: (D, None, 0.0), slow], [0, 1], [None, None])
        self.eager = True
        self.gate = gate
        self.moves: list[bool | None] = []

    def woken(self, interrupted: bool) -> bool | None:
        move = super().woken(interrupted)
        self.moves.append(move)
        if len(self.moves) == 1:
            self.finished.set()  # a set after the look
        elif len(self.moves) == 2:
            self.gate.set()
        return move


def test_a_wake_with_no_news_waits_on_blocking(release: threading.Event) -> None:
    run = Patient(release)
    assert run_until(run, 2, SystemClock(), None, None) is EARLY
    assert run.news == [0]
    assert run_until(run, 2, SystemClock(), None, None) == []
    assert run.moves == [True, None, False]
    assert run.outcomes == [(True, (D, None, 0.0)), (True, (R, None, 0.0))]


def test_a_wake_with_no_news_waits_on_asyncio(release: threading.Event) -> None:
    layout = SimpleNamespace(
        clock=SystemClock(), deadline=None, max_in_flight=2, interrupted=lambda: False
    )

    async def drive() -> list[object]:
        waker = LoopWaker(asyncio.get_running_loop())  # as an interrupt's: never set here
        run = Patient(release)
        first = await launched(layout, run, waker)
        second = await launched(layout, run, waker)
        assert run.moves == [True, None, False]
        return [first, second]

    assert asyncio.run(drive()) == [EARLY, []]


@pytest.mark.usefixtures("loop")
class TestASlowQueryIsCarriedOver:
    """Both loops, both drivers: a round waits for a slow query at most SLOW_QUERY_SECONDS.

    Then the round ends without it: its job is not asked again until it
    answers, the other jobs are polled on, and its answer is read at the
    first round after it came.
    """

    def test_the_others_are_polled_on_while_it_runs(
        self, driver: str, release: threading.Event
    ) -> None:
        held = Held("held", release, free=1)
        quick = ScriptedJob([Q, Q, Q, D], "quick")
        done, _ = waited(driver, [held, quick], return_when=FIRST_COMPLETED, poll=0.01)
        assert held.under_way()
        assert done == {quick}
        assert quick.queries == 4
        assert held.queries == 2  # not asked again while its query runs

    def test_its_answer_is_read_when_it_comes(self, driver: str, release: threading.Event) -> None:
        held = Held("held", release, free=1)
        held._statuses = [R, D]
        quick = ScriptedJob([Q, Q, D], "quick")
        seen: list[tuple[str, JobStatus]] = []

        def on_status(job: Any, status: JobStatus) -> None:
            seen.append((job.job_id(), status))
            if job is quick and status is D:
                release.set()  # the held query answers only once the other job is done

        result = waited(driver, [held, quick], poll=0.01, on_status=on_status)
        assert result.done == {held, quick}
        assert held.queries == 2  # its answer was the carried query's
        assert [status for name, status in seen if name == "held"] == [R, D]
        assert seen.index(("quick", D)) < seen.index(("held", D))

    def test_a_carried_query_that_raises_fails_its_job(
        self, driver: str, release: threading.Event
    ) -> None:
        class Gone(Held):
            def status(self) -> JobStatus:
                answer = super().status()
                if self.queries > self.free:
                    raise ConnectionError("reset by peer")
                return answer

        held = Gone("held", release, free=1)
        quick = ScriptedJob([Q, Q, D], "quick")

        def on_status(job: Any, status: JobStatus) -> None:
            if job is quick and status is D:
                release.set()

        result = waited(driver, [held, quick], poll=0.01, on_status=on_status)
        assert result.done == {held, quick}
        assert isinstance(result.exception(held), ConnectionError)

    def test_a_fake_clock_waits_for_every_query(self, fake_clock: FakeClock) -> None:
        # Virtual time does not pass while a query runs: nothing is carried over.
        gate = threading.Event()

        class Slow(ScriptedJob):
            def status(self) -> JobStatus:
                answer = super().status()
                if self.queries == 2:
                    threading.Timer(0.05, gate.set).start()  # ends in real time, by itself
                    assert gate.wait(FAR)
                return answer

        slow = Slow([R, R, R, R, D], "slow")
        quick = ScriptedJob([Q, Q, Q, D], "quick")
        done, _ = jobv1.wait([slow, quick], return_when=FIRST_COMPLETED, poll=1)
        assert done == {quick}
        assert slow.queries == 4  # asked in every round: never carried
        assert fake_clock.monotonic() == 3


def test_a_slow_batch_is_carried_over(driver: str, release: threading.Event) -> None:
    backend = BatchBackend(release, {"held": [Q, R], "a": [Q], "b": [Q, Q, Q, D], "c": [Q]})
    jobs = [Batched(backend, name) for name in ("held", "a", "b", "c")]
    done, _ = waited(driver, jobs, return_when=FIRST_COMPLETED, poll=0.01)
    assert backend.asking.is_set()
    assert not backend.answered.is_set()
    assert {job.job_id() for job in done} == {"b"}
    assert backend.answers["a"] == [Q]  # asked no more while its batch ran


def test_the_answers_of_carried_queries_are_read_by_what_came() -> None:
    # A carried query still running stays carried; one that raised ends its job; one
    # taken by a worker as its sweep stopped (never asked) is dropped: its job is asked
    # again as any pending job is.
    from jobv1._answers import Answers
    from jobv1._status import check_status
    from jobv1._workers import FAILED, SKIPPED, UNASKED, Sweep

    jobs = [ScriptedJob([R], f"job{k}") for k in range(4)]
    sweep = Sweep(jobs, lambda: 0.0, float("inf"))
    sweep.answers[:] = [UNASKED, FAILED, SKIPPED, D]
    sweep.failures[1] = ConnectionError("reset")
    answers = Answers(jobs, check_status, None)
    finished: list[tuple[Any, JobStatus]] = []
    carried = [(sweep, k, k) for k in range(4)]
    assert answers.late(carried, finished) == [(sweep, 0, 0)]
    assert finished == [(jobs[1], E), (jobs[3], D)]
    assert isinstance(answers.failures[id(jobs[1])], ConnectionError)


def test_what_is_news_an_eager_wait_reads_at_once() -> None:
    # Called in worker threads; asked here directly, as the drivers' workers ask it.
    from jobv1._workers import worth_reading

    when = 0.0
    assert worth_reading((False, ConnectionError("reset")))  # a query that raised
    assert worth_reading((True, (JobStatus.DONE, None, when)))  # an end
    assert worth_reading((True, ("BROKEN", None, when)))  # not a status: the loop raises it
    assert not worth_reading((True, (JobStatus.RUNNING, 1.0, when)))  # still pending
    assert not worth_reading((True, ([JobStatus.QUEUED, JobStatus.RUNNING], [None, None], when)))
    assert worth_reading((True, ([JobStatus.RUNNING, JobStatus.ERROR], [None, None], when)))
