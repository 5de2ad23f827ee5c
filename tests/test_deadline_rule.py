"""One rule at the deadline and on an interrupt, on every loop and both drivers (issue 23, 4).

Each test runs over the blocking driver on both of its loops (the ``loop``
fixture) and over the asyncio driver, on the real clock where queries take
real time (``realtime``, generous margins), and in virtual time where a
query takes virtual time. The rule is :mod:`jobv1._deadline`'s docstring.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import jobv1
from conftest import ScriptedJob
from jobv1 import (
    Interrupt,
    JobStatus,
    JobTimeoutError,
    JobV1,
    WaitInterruptedError,
    _aiodrive,
    _clock,
    _deadline,
    aio,
)
from jobv1.testing import FakeClock

R, D = JobStatus.RUNNING, JobStatus.DONE
DRIVERS = ["blocking", "asyncio"]


class Timed(JobV1):
    """A job whose status() takes ``seconds`` of real time, answers ``status``, and notes when."""

    def __init__(
        self,
        job_id: str,
        seconds: float,
        status: JobStatus = D,
        release: threading.Event | None = None,
    ) -> None:
        super().__init__(None, job_id)
        self.seconds = seconds
        self.answer = status
        self.release = release
        self.begun: list[float] = []
        self.answered: list[float] = []

    def submit(self) -> None:
        """Submitted when made."""

    def status(self) -> JobStatus:
        self.begun.append(time.monotonic())
        if self.release is not None:
            self.release.wait(10)
        else:
            time.sleep(self.seconds)
        self.answered.append(time.monotonic())
        return self.answer

    def result(self) -> None:
        """No result."""


def _wait(driver: str, jobs: list[Any], **options: Any) -> jobv1.DoneAndNotDone[Any]:
    if driver == "blocking":
        return jobv1.wait(jobs, **options)
    return asyncio.run(aio.wait(jobs, **options))


def _as_completed(driver: str, jobs: list[Any], **options: Any) -> list[Any]:
    """The jobs as_completed yields."""
    if driver == "blocking":
        return list(jobv1.as_completed(jobs, **options))

    async def main() -> list[Any]:
        return [job async for job in aio.as_completed(jobs, **options)]

    return asyncio.run(main())


@pytest.mark.realtime
@pytest.mark.parametrize("driver", DRIVERS)
@pytest.mark.parametrize("bound", [1, 8])
def test_a_job_that_answered_final_before_the_wait_returned_is_done(
    driver: str, bound: int, loop: str
) -> None:
    """The issue's case: 30 DONE jobs whose status() takes 0.1 s, timeout=0.25.

    ``done`` held 30 (blocking, one in flight, after 3 s), 16 (blocking, 8
    in flight) or 2 (asyncio, one in flight): it now holds every job whose
    answer came before the wait returned, on every path.
    """
    jobs = [Timed(f"j{n}", 0.1) for n in range(30)]
    started = time.monotonic()
    done, not_done = _wait(driver, jobs, timeout=0.25, max_in_flight=bound)
    returned = time.monotonic()
    answered = {job for job in jobs if job.answered and job.answered[0] < returned - 0.05}
    assert answered <= done
    assert done | not_done == set(jobs)
    assert all(len(job.begun) <= 1 for job in jobs)  # each asked once at most
    # Past the deadline, the deadline's round takes at most LAST_QUERY_SECONDS (1 s)
    # and the queries under way then; a round of 30 in turn would take 3 s.
    assert returned - started < 2.0
    if bound == 8:  # the jobs not begun in the round the deadline cut are asked at it
        assert len(done) == 30


@pytest.mark.realtime
@pytest.mark.parametrize("driver", DRIVERS)
@pytest.mark.parametrize("bound", [1, 8])
def test_an_interrupt_takes_effect_within_one_query(driver: str, bound: int, loop: str) -> None:
    """40 jobs of 0.1 s queries, the interrupt set at 0.2 s: the wait stopped at 4.06 s."""
    jobs = [Timed(f"j{n}", 0.1, R) for n in range(40)]
    interrupt = Interrupt()
    timer = threading.Timer(0.2, interrupt.set)
    timer.start()
    started = time.monotonic()
    try:
        with pytest.raises(WaitInterruptedError):
            _wait(driver, jobs, max_in_flight=bound, interrupt=interrupt)
    finally:
        timer.join()
    assert time.monotonic() - started < 1.5  # the interrupt, a query, and a busy machine
    assert sum(len(job.begun) for job in jobs) < 40  # the round was not seen to its end


@pytest.mark.realtime
@pytest.mark.parametrize("driver", DRIVERS)
def test_given_up_and_unbegun_queries_at_the_deadline(driver: str, loop: str) -> None:
    """Two in flight: two queries given up at the deadline, two never begun in that round.

    The two never begun are asked at the deadline's round; the one given up
    that answers while that round runs counts; the stuck one is not asked
    again, and its job is not done.
    """
    release = threading.Event()
    given_up = Timed("given up", 0.3)  # answers at 0.3, during the deadline's round
    stuck = Timed("stuck", 0.0, release=release)
    slow = Timed("slow", 0.8)  # asked at the deadline, answers before its round's end
    fast = Timed("fast", 0.0)
    jobs = [given_up, stuck, slow, fast]
    started = time.monotonic()
    try:
        # An interrupt never set: the asyncio driver then also watches its waker.
        done, not_done = _wait(driver, jobs, timeout=0.2, max_in_flight=2, interrupt=Interrupt())
        elapsed = time.monotonic() - started
    finally:
        release.set()
    assert (done, not_done) == ({given_up, slow, fast}, {stuck})
    assert [len(job.begun) for job in jobs] == [1, 1, 1, 1]
    assert slow.begun[0] - started >= 0.2  # asked at the deadline's round
    assert elapsed < 1.5


@pytest.mark.realtime
@pytest.mark.parametrize("driver", DRIVERS)
def test_the_deadlines_own_round_has_last_query_seconds(driver: str, loop: str) -> None:
    """One in flight, 0.3 s queries: the deadline's round begins none after 1 s more."""
    jobs = [Timed(f"j{n}", 0.3, R) for n in range(12)]
    started = time.monotonic()
    done, not_done = _wait(driver, jobs, timeout=0.1, max_in_flight=1)
    elapsed = time.monotonic() - started
    assert (done, not_done) == (set(), set(jobs))
    asked = [job for job in jobs if job.begun]
    assert 3 <= len(asked) < 12  # some at the deadline's round, not all of them
    # None begun after the round's second, but for what a busy machine adds to it.
    assert all(job.begun[0] - started < 0.1 + 1.0 + 0.6 for job in asked)
    assert elapsed < 3.0


class Blocking(JobV1):
    """A job RUNNING at its first query, whose later ones block until released."""

    def __init__(self, job_id: str, release: threading.Event) -> None:
        super().__init__(None, job_id)
        self.release = release
        self.queries = 0

    def submit(self) -> None:
        """Submitted when made."""

    def status(self) -> JobStatus:
        self.queries += 1
        if self.queries > 1:
            self.release.wait(10)
        return R

    def result(self) -> None:
        """No result."""


@pytest.mark.realtime
@pytest.mark.parametrize("driver", DRIVERS)
def test_the_deadlines_round_out_of_time_begins_no_other_query(
    driver: str, loop: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no time for the deadline's round, its queries not begun are not asked."""
    monkeypatch.setattr(_deadline, "LAST_QUERY_SECONDS", 0.0)
    release = threading.Event()
    jobs = [Blocking(f"j{n}", release) for n in range(5)]
    try:
        done, not_done = _wait(driver, jobs, timeout=0.05, poll=1, max_in_flight=2)
    finally:
        release.set()
    assert (done, not_done) == (set(), set(jobs))
    asked_at_the_deadline = sum(job.queries - 1 for job in jobs)
    assert asked_at_the_deadline <= 2  # the two workers' first, given up; no other


@pytest.mark.realtime
@pytest.mark.parametrize("driver", DRIVERS)
def test_the_deadlines_round_out_of_time_reads_no_other_future(
    driver: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same, for FutureJobs asked one at a time: the futures loop and the general one."""
    import concurrent.futures

    monkeypatch.setattr(_deadline, "LAST_QUERY_SECONDS", 0.0)
    futures: list[concurrent.futures.Future[None]] = [concurrent.futures.Future() for _ in range(3)]
    jobs = [jobv1.FutureJob(None, f"f{n}", future) for n, future in enumerate(futures)]
    done, not_done = _wait(driver, jobs, timeout=0.05, max_in_flight=1, poll=1)
    assert (done, not_done) == (set(), set(jobs))


# ---------------------------------------------------------------- virtual time


class Slow(ScriptedJob):
    """A scripted job whose status() takes ``seconds`` of virtual time."""

    def __init__(self, clock: FakeClock, statuses: list[Any], job_id: str, seconds: float) -> None:
        super().__init__(statuses, job_id)
        self.clock = clock
        self.seconds = seconds
        self.times: list[float] = []

    def status(self) -> JobStatus:
        self.times.append(self.clock.monotonic())
        self.clock.advance(self.seconds)
        return super().status()


def test_a_round_in_turn_stops_at_the_deadline_and_asks_the_rest_there(
    fake_clock: FakeClock, loop: str
) -> None:
    """One in flight, in the waiting thread: a query that crosses the deadline.

    The jobs after it in the round are asked at the deadline's round, not
    in the round that crossed it; a job found final before is yielded
    before the timeout, and the order of the jobs' queries is kept.
    """
    first = Slow(fake_clock, [D], "first", 0.0)
    crossing = Slow(fake_clock, [R], "crossing", 3.0)
    later = [Slow(fake_clock, [R, D], f"later-{n}", 0.0) for n in range(3)]
    jobs = [first, crossing, *later]
    seen: list[Any] = []
    with pytest.raises(JobTimeoutError, match="4 of 5 jobs"):
        seen.extend(jobv1.as_completed(jobs, timeout=2, poll=1, max_in_flight=1))
    assert seen == [first]
    assert crossing.times == [0.0]
    assert [job.times for job in later] == [[3.0]] * 3  # at the deadline's round, once


def test_an_interrupt_in_a_round_in_turn_stops_it_after_the_query_under_way(
    fake_clock: FakeClock, loop: str
) -> None:
    interrupt = Interrupt()

    class Interrupting(Slow):
        def status(self) -> JobStatus:
            interrupt.set()
            return super().status()

    jobs = [Slow(fake_clock, [D], "a", 0.0), Interrupting(fake_clock, [R], "b", 1.0)]
    jobs += [Slow(fake_clock, [R], f"c{n}", 1.0) for n in range(3)]
    seen: list[Any] = []
    with pytest.raises(WaitInterruptedError):
        seen.extend(jobv1.as_completed(jobs, max_in_flight=1, interrupt=interrupt))
    assert seen == [jobs[0]]  # what the round found final is yielded first
    assert [len(job.times) for job in jobs] == [1, 1, 0, 0, 0]
    assert fake_clock.monotonic() == 1.0


# ------------------------------------------------------------ huge timeouts


@pytest.mark.parametrize("timeout", [math.inf, 1e10, 1e300])
@pytest.mark.parametrize("bound", [1, 8])
def test_a_huge_timeout_is_no_deadline_on_every_path(timeout: float, bound: int, loop: str) -> None:
    """``OverflowError`` came from the system wait for a round's queries (real clock)."""
    jobs = [ScriptedJob([D], f"j{n}") for n in range(3)]
    assert _wait("blocking", jobs, timeout=timeout, max_in_flight=bound).done == set(jobs)
    assert set(_as_completed("blocking", jobs, timeout=timeout, max_in_flight=bound)) == set(jobs)
    assert _wait("asyncio", jobs, timeout=timeout, max_in_flight=bound).done == set(jobs)
    ScriptedJob([D]).wait_for_final_state(timeout=timeout)
    asyncio.run(aio.wait_for_final_state(ScriptedJob([D]), timeout=timeout))


class _Time:
    """A stand-in for the time module in jobv1._clock: monotonic() reads ``now``."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now


def test_a_system_wait_longer_than_the_system_takes_is_made_of_several(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = _Time()
    monkeypatch.setattr(_clock, "time", fake)
    monkeypatch.setattr(_clock, "_LONGEST", 10.0)
    asked: list[float | None] = []

    def wait(seconds: float | None) -> bool:
        asked.append(seconds)
        assert seconds is not None
        fake.now += seconds
        return False

    assert _clock.waited(wait, 25.0) is False
    assert asked == [10.0, 10.0, 5.0]
    asked.clear()
    assert _clock.waited(wait, 4.0) is False
    assert asked == [4.0]

    def woken_second(seconds: float | None) -> bool:
        asked.append(seconds)
        fake.now += 1
        return len(asked) == 2

    asked.clear()
    assert _clock.waited(woken_second, 100.0) is True
    assert asked == [10.0, 10.0]
    asked.clear()
    assert _clock.waited(woken_second, math.inf) is False  # one endless wait: wait(None)
    assert asked == [None]
    assert _clock.waited(woken_second, None) is True


# ------------------------------------------- the asyncio driver's sleeps off the loop


class _Stop(BaseException):
    """Neither an Exception nor a Ctrl-C: what only a worker's BaseException path carries."""


def test_an_asyncio_sleep_on_another_clock_raises_what_the_clock_raised() -> None:
    class Breaking(FakeClock):
        def sleep(self, seconds: float, wakeup: Any = None) -> bool:
            raise _Stop

    with Breaking(), pytest.raises(_Stop):
        asyncio.run(aio.wait_for_final_state(ScriptedJob([R, D]), wait=1))


def test_a_worker_raising_a_base_exception_ends_an_asyncio_round(fake_clock: FakeClock) -> None:
    class Stopping(ScriptedJob):
        def status(self) -> JobStatus:
            raise _Stop

    jobs = [Stopping([R], "a"), Stopping([R], "b"), ScriptedJob([D], "c")]
    with pytest.raises(_Stop):
        asyncio.run(aio.wait(jobs, max_in_flight=2))


@pytest.mark.realtime
def test_an_asyncio_sleep_given_up_on_another_clock_is_left_to_end_alone() -> None:
    entered, release, returned = threading.Event(), threading.Event(), threading.Event()

    class Holding(FakeClock):
        def sleep(self, seconds: float, wakeup: Any = None) -> bool:
            entered.set()
            release.wait(10)
            returned.set()
            return False

    async def main() -> None:
        task = asyncio.ensure_future(aio.wait_for_final_state(ScriptedJob([R, D]), wait=1))
        assert await asyncio.to_thread(entered.wait, 10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        release.set()
        assert await asyncio.to_thread(returned.wait, 10)
        await asyncio.sleep(0.1)  # the worker hands its outcome to a wait that is gone

    with Holding():
        asyncio.run(main())


def test_a_round_told_over_twice_is_over_once() -> None:
    """Two workers that both meet a Ctrl-C each say the round is over."""

    async def main() -> None:
        finished = _aiodrive.Finished(asyncio.get_running_loop())
        finished.set()
        finished.set()
        await finished.future
        await asyncio.sleep(0)  # the second word arrives at a round already over

    asyncio.run(main())


# ------------------------------------------------------- the errors that end a wait


def test_a_wait_on_many_jobs_raises_the_errors_their_classes_name(
    fake_clock: FakeClock, loop: str
) -> None:
    """Only the one-job waits raised jobv1.qiskit's errors; the waits on many raised jobv1's."""
    qiskit = pytest.importorskip("jobv1.qiskit")

    class Both(qiskit.JobV1):  # type: ignore[misc, name-defined]
        def submit(self) -> None:
            """Submitted when made."""

        def status(self) -> JobStatus:
            return R

        def result(self) -> None:
            """No result."""

    jobs = [Both(None, "a"), Both(None, "b")]
    with pytest.raises(qiskit.JobTimeoutError, match="2 of 2 jobs"):
        list(jobv1.as_completed(jobs, timeout=1))
    interrupt = Interrupt()
    interrupt.set()
    with pytest.raises(qiskit.WaitInterruptedError):
        jobv1.wait(jobs, interrupt=interrupt)

    async def main() -> None:
        with pytest.raises(qiskit.JobTimeoutError):
            [job async for job in aio.as_completed(jobs, timeout=1)]

    asyncio.run(main())
    mixed = [Both(None, "a"), ScriptedJob([R], "b")]
    with pytest.raises(JobTimeoutError) as raised:
        list(jobv1.as_completed(mixed, timeout=1))
    assert not isinstance(raised.value, qiskit.JobTimeoutError)  # the classes disagree


# ------------------------------------------- one query of a job in flight at most


class Counting(JobV1):
    """A job whose status() blocks until released, counting the calls under way."""

    def __init__(self, job_id: str, release: threading.Event) -> None:
        super().__init__(None, job_id)
        self.release = release
        self.calls = 0
        self.most = 0
        self.under_way = 0
        self.lock = threading.Lock()

    def submit(self) -> None:
        """Submitted when made."""

    def status(self) -> JobStatus:
        with self.lock:
            self.calls += 1
            self.under_way += 1
            self.most = max(self.most, self.under_way)
        try:
            self.release.wait(10)
            return D
        finally:
            with self.lock:
                self.under_way -= 1

    def result(self) -> None:
        """No result."""


@pytest.mark.realtime
@pytest.mark.parametrize("driver", DRIVERS)
def test_waits_on_a_job_whose_query_hangs_start_no_other(driver: str, loop: str) -> None:
    """Issue 23: 50 waits with a status() stuck on a dead connection: 50 calls, 52 threads.

    A wait gives the query up at its deadline; the next waits on the job see
    it still running and do not ask again; once it has answered, the job is
    asked as usual.
    """
    release = threading.Event()
    stuck = Counting("stuck", release)
    fast = [ScriptedJob([D], f"fast-{n}") for n in range(2)]
    threads = threading.active_count()
    try:
        for _ in range(15):
            done, not_done = _wait(driver, [stuck, *fast], timeout=0.02)
            assert (done, not_done) == (set(fast), {stuck})
        with pytest.raises(JobTimeoutError):
            stuck.wait_for_final_state(timeout=0.02)  # the one-job path waits too
        assert (stuck.calls, stuck.most) == (1, 1)
        assert threading.active_count() <= threads + 8 + 1
    finally:
        release.set()
    deadline = time.monotonic() + 5
    while stuck.under_way and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _wait(driver, [stuck, *fast], timeout=5).done == {stuck, *fast}
    assert stuck.calls == 2  # asked again once the first query had ended


@pytest.mark.realtime
@pytest.mark.parametrize("driver", DRIVERS)
def test_a_round_with_only_busy_jobs_ends_at_once(driver: str, loop: str) -> None:
    """The plain loop made a round of no query wait out the last round's whole second."""
    release = threading.Event()
    stuck = [Counting(f"stuck-{n}", release) for n in range(2)]
    try:
        _wait(driver, stuck, timeout=0.02)  # both queries given up
        started = time.monotonic()
        assert _wait(driver, stuck, timeout=0.05).not_done == set(stuck)
        elapsed = time.monotonic() - started
    finally:
        release.set()
    assert elapsed < 0.5  # the deadline, not LAST_QUERY_SECONDS more
    assert [job.calls for job in stuck] == [1, 1]


class Cancellable(Timed):
    """A Timed job that notes whether a status() query was under way when cancel() came."""

    def __init__(self, seconds: float) -> None:
        super().__init__("c", seconds, R)
        self.cancelled_during_a_query: list[bool] = []

    def cancel(self) -> None:
        self.cancelled_during_a_query.append(len(self.begun) > len(self.answered))


@pytest.mark.realtime
@pytest.mark.parametrize("driver", DRIVERS)
def test_cancel_on_timeout_never_overlaps_the_query_given_up(driver: str) -> None:
    """Issue 23: aio.result(cancel_on_timeout=True) called cancel() during its own status().

    The asyncio wait gives up the query under way at its deadline; the
    cancel waits for it to end, as the blocking wait (which makes the query
    in its own thread) always did.
    """
    job = Cancellable(0.6)
    started = time.monotonic()

    def result() -> None:
        if driver == "blocking":
            jobv1.result(job, timeout=0.1, cancel_on_timeout=True)
        else:
            asyncio.run(aio.result(job, timeout=0.1, cancel_on_timeout=True))

    with pytest.raises(JobTimeoutError):
        result()
    assert job.cancelled_during_a_query == [False]
    assert len(job.begun) == 1
    assert time.monotonic() - started < 5.0  # the query's 0.6 s, and a busy machine


@pytest.mark.realtime
def test_one_at_a_time_under_a_hook_a_query_is_given_up_at_the_deadline() -> None:
    """asyncio, one in flight, a hook: each query is its own hand-over, given up at the deadline."""
    jobs = [Timed(f"j{n}", 0.5, R) for n in range(3)]
    seen: list[Any] = []
    started = time.monotonic()
    done, not_done = _wait(
        "asyncio", jobs, timeout=0.2, max_in_flight=1, on_status=lambda *told: seen.append(told)
    )
    assert (done, not_done) == (set(), set(jobs))
    assert time.monotonic() - started < 3.0  # the deadline, a query given up, a busy machine
    # The query under way at the deadline is given up; the others are asked at the
    # deadline's own round; none is asked twice.
    assert [len(job.begun) for job in jobs] == [1, 1, 1]


@given(now=st.floats(0, 1e9), ahead=st.floats(0, 1e6))
def test_a_step_to_the_deadline_reaches_it_and_passes_it_by_a_bit_at_most(
    now: float, ahead: float
) -> None:
    at = now + ahead
    step = _deadline.step_to(now, at)
    assert at <= now + step <= math.nextafter(at, math.inf)
    assert _deadline.step_to(at, now) == 0  # already there, or past it
