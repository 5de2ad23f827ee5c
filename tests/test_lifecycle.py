"""A job's life after its wait: jobv1.result and jobv1.cancel, blocking and awaitable."""

from __future__ import annotations

import asyncio
import concurrent.futures
import math
import pickle
from collections.abc import Callable
from typing import Any

import pytest

import jobv1
from conftest import ScriptedJob
from jobv1 import (
    Backoff,
    JobCancelledError,
    JobError,
    JobFailedError,
    JobStatus,
    JobTimeoutError,
    JobV1,
    Retry,
    aio,
)
from jobv1.testing import FakeBackend, FakeClock, FakeJob, Hold

R, D = JobStatus.RUNNING, JobStatus.DONE


def blocking(call: str, job: Any, **options: Any) -> Any:
    return getattr(jobv1, call)(job, **options)


def awaited(call: str, job: Any, **options: Any) -> Any:
    return asyncio.run(getattr(aio, call)(job, **options))


DRIVERS = pytest.mark.parametrize("drive", [blocking, awaited], ids=["blocking", "asyncio"])
Drive = Callable[..., Any]


@DRIVERS
def test_the_result_of_a_job_that_ends_done(fake_clock: FakeClock, drive: Drive) -> None:
    job = FakeBackend().run(script=[Hold(R, seconds=7)], result={"counts": 3})
    seen: list[tuple[str, JobStatus]] = []
    got = drive("result", job, poll=2, callback=lambda i, s, j: seen.append((i, s)))
    assert got == {"counts": 3}
    assert fake_clock.monotonic() == 8  # queried at 0, 2, 4, 6, 8
    assert seen == [(job.job_id(), R)] * 4


@DRIVERS
def test_a_job_that_failed_raises_with_the_providers_error(
    fake_clock: FakeClock, drive: Drive
) -> None:
    cause = RuntimeError("the device overheated")
    job = FakeBackend().run(script=[Hold(R, seconds=1)], error=cause)
    with pytest.raises(JobFailedError) as caught:
        drive("result", job, poll=1)
    error = caught.value
    assert isinstance(error, JobError)
    assert (error.job, error.status) == (job, JobStatus.ERROR)
    assert str(error) == f"job {job.job_id()!r} ended in ERROR: it has no result"
    # FakeJob.result() raises a JobError from the job's error: both are kept
    assert isinstance(error.__cause__, JobError)
    assert error.__cause__.__cause__ is cause


def test_a_failed_job_whose_result_does_not_raise_has_no_cause(fake_clock: FakeClock) -> None:
    job = ScriptedJob([R, JobStatus.ERROR], "quiet")  # its result() returns None
    with pytest.raises(JobFailedError) as caught:
        jobv1.result(job, poll=1)
    assert caught.value.__cause__ is None
    assert caught.value.job is job


@DRIVERS
def test_a_cancelled_job_raises(fake_clock: FakeClock, drive: Drive) -> None:
    job = FakeBackend().run(script=[Hold(R, seconds=3)], end=JobStatus.CANCELLED)
    with pytest.raises(JobCancelledError) as caught:
        drive("result", job, poll=1)
    assert (caught.value.job, caught.value.status) == (job, JobStatus.CANCELLED)
    assert "was cancelled" in str(caught.value)
    assert caught.value.__cause__ is None


def test_the_errors_pickle_with_their_status() -> None:
    error = JobFailedError("boom", job="job-1", status=JobStatus.ERROR)
    copy = pickle.loads(pickle.dumps(error))
    assert (type(copy), str(copy), copy.job, copy.status) == (
        JobFailedError,
        "boom",
        "job-1",
        JobStatus.ERROR,
    )


@DRIVERS
def test_a_deadline_holds_and_leaves_the_job_running_by_default(
    fake_clock: FakeClock, drive: Drive
) -> None:
    job = FakeBackend().run(script=[Hold(R)])
    with pytest.raises(JobTimeoutError):
        drive("result", job, timeout=10, poll=3)
    assert fake_clock.monotonic() == 10
    assert job.status() is R


@DRIVERS
def test_cancel_on_timeout_cancels_the_job(fake_clock: FakeClock, drive: Drive) -> None:
    job = FakeBackend().run(script=[Hold(R)])
    with pytest.raises(JobTimeoutError):
        drive("result", job, timeout=10, poll=3, cancel_on_timeout=True)
    assert fake_clock.monotonic() == 10
    assert job.status() is JobStatus.CANCELLED


@DRIVERS
def test_a_cancel_that_fails_at_the_deadline_is_raised_with_the_timeout(
    fake_clock: FakeClock, drive: Drive
) -> None:
    job = ScriptedJob([R], "stuck")  # its class cannot cancel
    with pytest.raises(JobError, match="cannot be cancelled") as caught:
        drive("result", job, timeout=1, cancel_on_timeout=True)
    assert isinstance(caught.value.__cause__, NotImplementedError)
    chain: list[BaseException] = [caught.value]
    for link in chain:  # every cause and context, however linked
        chain += [e for e in (link.__cause__, link.__context__) if e is not None and e not in chain]
    assert any(isinstance(link, JobTimeoutError) for link in chain)  # raised meanwhile


class Flaky(ScriptedJob):
    """DONE at once; its result() fails as told, then returns 42."""

    def __init__(self, failures: list[Exception]) -> None:
        super().__init__([D], "flaky")
        self.failures = failures
        self.fetches: list[float] = []
        self.clock: FakeClock | None = None

    def result(self) -> Any:
        assert self.clock is not None
        self.fetches.append(self.clock.monotonic())
        if self.failures:
            raise self.failures.pop(0)
        return 42


class UnavailableError(Exception):
    def __init__(self, code: int, after: float | None = None) -> None:
        super().__init__(code)
        self.code, self.after = code, after


def flaky(clock: FakeClock, *failures: Exception) -> Flaky:
    job = Flaky(list(failures))
    job.clock = clock
    return job


@DRIVERS
def test_a_result_fetch_is_retried_with_the_backoff(fake_clock: FakeClock, drive: Drive) -> None:
    job = flaky(fake_clock, ConnectionError(), ConnectionError())
    retry = Retry(ConnectionError, backoff=Backoff(initial=1, multiplier=3))
    assert drive("result", job, retry=retry) == 42
    assert job.fetches == [0, 1, 4]


@DRIVERS
def test_a_result_fetch_reads_the_error(fake_clock: FakeClock, drive: Drive) -> None:
    retry = Retry(UnavailableError, predicate=transient, retry_after=server_delay, backoff=2)
    job = flaky(fake_clock, UnavailableError(429, after=30), UnavailableError(503))
    assert drive("result", job, retry=retry) == 42
    assert job.fetches == [0, 30, 32]  # the server's delay, then the backoff's
    missing = flaky(fake_clock, UnavailableError(404))
    with pytest.raises(UnavailableError):
        drive("result", missing, retry=retry)
    assert len(missing.fetches) == 1


@DRIVERS
def test_a_result_fetch_gives_up_after_max_failures(fake_clock: FakeClock, drive: Drive) -> None:
    first, second, third = ConnectionError(1), ConnectionError(2), ConnectionError(3)
    job = flaky(fake_clock, first, second, third)
    with pytest.raises(ConnectionError) as caught:
        drive("result", job, retry=Retry(ConnectionError, max_failures=2, backoff=1))
    assert caught.value is third
    assert third.__context__ is second
    assert second.__context__ is first


@DRIVERS
def test_a_result_fetch_keeps_the_deadline(fake_clock: FakeClock, drive: Drive) -> None:
    job = flaky(fake_clock, *[ConnectionError(n) for n in range(10)])
    with pytest.raises(JobTimeoutError) as caught:
        drive("result", job, timeout=5, retry=Retry(ConnectionError, max_failures=9, backoff=2))
    assert job.fetches == [0, 2, 4, 5]  # the last try at the deadline itself
    assert fake_clock.monotonic() == 5
    assert "could not be fetched before the deadline" in str(caught.value)
    assert isinstance(caught.value.__cause__, ConnectionError)


@DRIVERS
def test_a_failure_not_ridden_out_is_raised_at_once(fake_clock: FakeClock, drive: Drive) -> None:
    job = flaky(fake_clock, KeyError("no such result"))
    with pytest.raises(KeyError):
        drive("result", job, retry=Retry(ConnectionError))
    assert job.fetches == [0]


class Synchronous(ScriptedJob):
    """A job that is final when made, as Qiskit's synchronous jobs are."""

    _async = False


@pytest.mark.parametrize("status", [D, JobStatus.ERROR, JobStatus.CANCELLED])
@DRIVERS
def test_a_job_final_when_made_is_read_once(
    fake_clock: FakeClock, drive: Drive, status: JobStatus
) -> None:
    job = Synchronous([status], "sync")
    if status is D:
        assert drive("result", job, timeout=0) is None
        finished = Synchronous([status], "finished")
        finished.cancel = lambda: None  # type: ignore[method-assign]  # too late: it is final
        assert drive("cancel", finished) is False
        assert finished.queries == 1
    elif status is JobStatus.ERROR:
        with pytest.raises(JobFailedError):
            drive("result", job)
    else:
        with pytest.raises(JobCancelledError):
            drive("result", job)
    assert job.queries == 1


class Foreign:
    """A job of another library: names for statuses, a result(), no JobV1 base."""

    def __init__(self) -> None:
        self.answers = ["QUEUED", "RUNNING", "DONE"]

    def job_id(self) -> str:
        return "foreign-1"

    def status(self) -> str:
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]

    def result(self) -> str:
        return "theirs"


@DRIVERS
def test_a_foreign_job_is_waited_on_and_fetched(fake_clock: FakeClock, drive: Drive) -> None:
    seen: list[Any] = []
    got = drive("result", Foreign(), poll=1, on_status=lambda job, status: seen.append(job))
    assert got == "theirs"
    assert fake_clock.monotonic() == 2
    assert all(isinstance(job, Foreign) for job in seen)  # hooks see the job as given


class Cancellable(ScriptedJob):
    """Cancelled on request: its next answer is CANCELLED."""

    def __init__(self, statuses: list[Any]) -> None:
        super().__init__(statuses, "cancellable")
        self.requests = 0

    def cancel(self) -> None:
        self.requests += 1
        self._statuses = [JobStatus.CANCELLED]


@DRIVERS
def test_cancel_confirms_the_cancel(fake_clock: FakeClock, drive: Drive) -> None:
    job = FakeBackend().run(script=[Hold(R)])
    assert drive("cancel", job) is True
    assert job.status() is JobStatus.CANCELLED
    slow = Cancellable([R])
    slow.cancel = lambda: None  # type: ignore[method-assign]  # the service takes its time
    slow._statuses = [R, R, JobStatus.CANCELLED]
    assert drive("cancel", slow, poll=1) is True
    assert fake_clock.monotonic() == 2


@DRIVERS
def test_cancel_says_false_when_the_job_finished_first(fake_clock: FakeClock, drive: Drive) -> None:
    job = FakeBackend().run(script=[Hold(R, seconds=5)], cancellable=False)
    assert drive("cancel", job, poll=2) is False
    assert job.status() is D
    assert fake_clock.monotonic() == 6


@DRIVERS
def test_cancel_of_a_job_that_cannot_cancel_says_so(fake_clock: FakeClock, drive: Drive) -> None:
    job = ScriptedJob([R], "plain")
    with pytest.raises(JobError, match=r"job 'plain' cannot be cancelled: ScriptedJob") as caught:
        drive("cancel", job)
    assert isinstance(caught.value.__cause__, NotImplementedError)
    assert job.queries == 0


@DRIVERS
def test_cancel_keeps_its_deadline(fake_clock: FakeClock, drive: Drive) -> None:
    job = FakeJob(None, "stubborn", script=[Hold(R)], cancellable=False)
    job.submit()
    with pytest.raises(JobTimeoutError):
        drive("cancel", job, timeout=4, poll=1)
    assert fake_clock.monotonic() == 4


class Failing(ScriptedJob):
    """Its status() raises the failures given, one per query, then answers DONE."""

    def __init__(self, clock: FakeClock, failures: list[Exception]) -> None:
        super().__init__([D], "failing")
        self.clock, self.failures = clock, failures
        self.times: list[float] = []

    def status(self) -> JobStatus:
        self.times.append(self.clock.monotonic())
        if self.failures:
            raise self.failures.pop(0)
        return super().status()


def transient(error: Exception) -> bool:
    return isinstance(error, UnavailableError) and error.code in (429, 503)


def server_delay(error: Exception) -> float | None:
    return error.after if isinstance(error, UnavailableError) else None


READING = Retry(
    UnavailableError,
    predicate=transient,
    retry_after=server_delay,
    backoff=Backoff(initial=1, multiplier=2),
)


@pytest.mark.parametrize("many", [False, True], ids=["one job", "many jobs"])
def test_status_queries_are_retried_by_what_the_error_says(
    fake_clock: FakeClock, many: bool
) -> None:
    failures: list[Exception] = [
        UnavailableError(503),
        UnavailableError(429, after=20),
        UnavailableError(503),
    ]
    job = Failing(fake_clock, failures)
    if many:
        jobv1.wait([job], retry=READING)
    else:
        job.wait_for_final_state(retry=READING)
    # backoff 1, then the server's 20 s (which spends no step of it), then backoff 2
    assert job.times == [0, 1, 21, 23]


def test_a_status_error_the_predicate_refuses_is_raised(fake_clock: FakeClock) -> None:
    job = Failing(fake_clock, [UnavailableError(404)])
    with pytest.raises(UnavailableError):
        job.wait_for_final_state(retry=READING)
    assert job.times == [0]


def test_errors_in_the_retry_functions_are_raised(fake_clock: FakeClock) -> None:
    def broken(error: Exception) -> bool:
        raise LookupError("the predicate itself failed")

    with pytest.raises(LookupError):
        Failing(fake_clock, [ConnectionError()]).wait_for_final_state(
            retry=Retry(ConnectionError, predicate=broken)
        )
    for bad, kind, words in [
        ("soon", TypeError, "retry_after(ConnectionError()) must be a real number, not 'soon'"),
        (
            -1,
            ValueError,
            "retry_after(ConnectionError()) must be a finite number of seconds >= 0, got -1",
        ),
    ]:
        retry = Retry(ConnectionError, retry_after=lambda error, bad=bad: bad)  # type: ignore[misc]
        with pytest.raises(kind, match=words.replace("(", r"\(").replace(")", r"\)")):
            Failing(fake_clock, [ConnectionError()]).wait_for_final_state(retry=retry)


def test_a_retry_shows_its_functions() -> None:
    def is_transient(error: Exception) -> bool:
        return True

    shown = repr(Retry(OSError, predicate=is_transient))
    assert shown.startswith("Retry(OSError, max_failures=5, backoff=Backoff(")
    assert "predicate=<function test_a_retry_shows_its_functions.<locals>.is_transient" in shown
    assert "retry_after" not in shown
    assert Retry(OSError, predicate=is_transient) == Retry(OSError, predicate=is_transient)


class Pushing(JobV1[None]):
    """RUNNING until ``end`` on the clock, then DONE; it says it calls back when it ends.

    Its call backs are lost (it never makes them), except a spurious one
    made right after each query numbered in ``wake_after``.
    """

    def __init__(self, clock: FakeClock, end: float, wake_after: tuple[int, ...] = ()) -> None:
        super().__init__(None, f"push-{end:g}")
        self.clock, self.end, self.wake_after = clock, end, wake_after
        self.times: list[float] = []
        self.wakeup: Callable[[], object] | None = None

    def submit(self) -> None:
        """Nothing to submit."""

    def result(self) -> None:
        """No result."""

    def status(self) -> JobStatus:
        self.times.append(self.clock.monotonic())
        if len(self.times) in self.wake_after:
            assert self.wakeup is not None
            self.wakeup()
        return D if self.clock.monotonic() >= self.end else R

    def watch(self, wakeup: Callable[[], object]) -> Callable[[], object]:
        self.wakeup = wakeup
        return lambda: None


@pytest.mark.parametrize("many", [False, True], ids=["one job", "many jobs"])
def test_a_lost_call_back_costs_one_resync_interval(fake_clock: FakeClock, many: bool) -> None:
    job = Pushing(fake_clock, end=25)
    job.resync_interval = 10
    if many:
        done, _ = jobv1.wait([job, Pushing(fake_clock, end=12)], timeout=1000)
        assert len(done) == 2
    else:
        job.wait_for_final_state(timeout=1000)
    assert job.times == [0, 10, 20, 30]


def test_the_default_resync_is_a_minute_and_none_trusts_the_call_back(
    fake_clock: FakeClock,
) -> None:
    job = Pushing(fake_clock, end=90)
    job.wait_for_final_state(timeout=1000)
    assert job.times == [0, 60, 120]
    trusting = Pushing(fake_clock, end=fake_clock.monotonic() + 90)
    trusting.resync_interval = None
    trusting.wait_for_final_state(timeout=500)
    assert trusting.times == [120, 620]  # its end is learned only at the deadline


def test_a_call_back_moves_the_next_resync(fake_clock: FakeClock) -> None:
    job = Pushing(fake_clock, end=25, wake_after=(1, 2))
    job.resync_interval = 10
    other = Pushing(fake_clock, end=5, wake_after=(1,))  # ends between two resyncs
    other.resync_interval = 10
    done, _ = jobv1.wait([job, other])
    assert done == {job, other}
    # woken right after its first and second queries: asked again at once, each
    # time planned 10 s on; the times planned before are not kept
    assert job.times == [0, 0, 0, 10, 20, 30]
    assert other.times == [0, 0, 10]


@pytest.mark.parametrize(
    ("bad", "error", "words"),
    [
        ("1 min", TypeError, "must be a real number, not '1 min'"),
        (0, ValueError, "must be None or finite seconds > 0, got 0"),
        (math.inf, ValueError, "must be None or finite seconds > 0, got inf"),
    ],
)
def test_a_bad_resync_interval_is_refused_before_any_query(
    fake_clock: FakeClock, bad: object, error: type[Exception], words: str
) -> None:
    job = Pushing(fake_clock, end=5)
    job.resync_interval = bad  # type: ignore[assignment]
    with pytest.raises(error, match=f"resync_interval of <Pushing job_id='push-5'> {words}"):
        job.wait_for_final_state()
    assert job.times == []


@DRIVERS
def test_what_a_providers_cancel_or_status_raises_is_raised(
    fake_clock: FakeClock, drive: Drive
) -> None:
    refusing = Cancellable([R])
    refusing.cancel = lambda: (_ for _ in ()).throw(PermissionError("not yours"))  # type: ignore[method-assign]
    with pytest.raises(PermissionError, match="not yours"):
        drive("cancel", refusing)
    with pytest.raises(PermissionError, match="not yours"):
        drive("result", refusing, timeout=0, cancel_on_timeout=True)

    class Unreadable(Synchronous):
        def status(self) -> JobStatus:
            raise OSError("the service is down")

    with pytest.raises(OSError, match="the service is down"):
        drive("result", Unreadable([D], "unreadable"))


@DRIVERS
def test_fetch_gives_the_result_in_place_of_the_jobs_own(
    fake_clock: FakeClock, drive: Drive
) -> None:
    job = FakeBackend().run(script=[Hold(R, seconds=2)], result="the job's own")
    assert drive("result", job, poll=1, fetch=lambda: "fetched") == "fetched"
    failed = FakeBackend().run(error=ValueError("bad circuit"))
    raised = KeyError("no result for a failed job")
    with pytest.raises(JobFailedError) as caught:
        drive("result", failed, fetch=lambda: (_ for _ in ()).throw(raised))
    assert caught.value.__cause__ is raised


def test_the_pacing_argument_is_poll_everywhere_and_the_old_names_still_work(
    fake_clock: FakeClock,
) -> None:
    """Issue 23: ``wait=`` on result and cancel, ``interval=`` on job_monitor, ``poll=`` elsewhere.

    The old names give the same wait with a DeprecationWarning; both at once
    is an error naming both.
    """
    import io

    from jobv1 import aio, sharded
    from jobv1.monitor import job_monitor

    def job() -> Any:
        return FakeBackend().run(script=[Hold(R, seconds=1)], result=7)

    def times(run: Any) -> list[float]:
        made = job()
        start = fake_clock.monotonic()
        run(made)
        return [round(query.time - start, 6) for query in made.queries]

    expected = times(lambda made: jobv1.result(made, poll=0.25))
    assert expected[:5] == [0, 0.25, 0.5, 0.75, 1.0]
    with pytest.warns(DeprecationWarning, match=r"^wait= is deprecated; it is called poll= now$"):
        assert times(lambda made: jobv1.result(made, wait=0.25)) == expected
    with pytest.warns(DeprecationWarning, match="wait= is deprecated"):
        assert times(lambda made: asyncio.run(aio.result(made, wait=0.25))) == expected
    with pytest.warns(DeprecationWarning, match="wait= is deprecated"):
        assert jobv1.cancel(job(), wait=0.25) is True
    with pytest.warns(DeprecationWarning, match="wait= is deprecated"):
        assert asyncio.run(aio.cancel(job(), wait=0.25)) is True
    output = io.StringIO()
    with pytest.warns(DeprecationWarning, match=r"^interval= is deprecated; it is called poll="):
        assert times(lambda made: job_monitor(made, 0.25, output=output)) == expected[:5]
    with pytest.warns(DeprecationWarning, match="wait= is deprecated"):
        assert sharded.gather([], concurrent.futures.ThreadPoolExecutor(1), shards=1, wait=1) == []
    with pytest.raises(TypeError, match=r"^wait= is the old name of poll=: give poll= alone"):
        jobv1.result(job(), poll=1, wait=1)
    with pytest.raises(TypeError, match="interval= is the old name of poll="):
        job_monitor(job(), 1, poll=2, output=output)
