"""RateLimit (issue 12): a limit on status requests that every wait given it honours together."""

from __future__ import annotations

import asyncio
import concurrent.futures
import copy
import itertools
import pickle
import threading
import time
from typing import Any

import pytest

import jobv1
from conftest import Recorder, ScriptedJob, completed, waited
from jobv1 import FutureJob, Interrupt, JobStatus, RateLimit, WaitInterruptedError, aio
from jobv1.testing import FakeBackend, FakeClock, Hold
from test_many import BatchBackend

R, D = JobStatus.RUNNING, JobStatus.DONE


class Timed(ScriptedJob):
    """Notes the clock's time at each of its status queries."""

    def __init__(self, statuses: list[Any], job_id: str, clock: Any, times: list[float]) -> None:
        super().__init__(statuses, job_id)
        self.clock, self.times = clock, times

    def status(self) -> JobStatus:
        self.times.append(self.clock.monotonic())
        return super().status()


def spaced(times: list[float], gap: float) -> bool:
    ordered = sorted(times)
    return all(b - a >= gap - 1e-9 for a, b in itertools.pairwise(ordered))


@pytest.mark.parametrize("max_in_flight", [1, 8])
def test_a_wait_makes_no_more_requests_than_the_limit_allows(
    fake_clock: FakeClock, max_in_flight: int
) -> None:
    times: list[float] = []
    jobs = [Timed([R, R, D], f"job-{n}", fake_clock, times) for n in range(10)]
    limit = RateLimit(2, per=1.0)
    done, _ = jobv1.wait(jobs, poll=1, rate_limit=limit, max_in_flight=max_in_flight)
    assert done == set(jobs)
    assert len(times) == 30
    assert spaced(times, 0.5)  # 2 a second, no burst
    assert times[:3] == [0, 0.5, 1.0]


@pytest.mark.parametrize("driver", ["blocking", "asyncio"])
@pytest.mark.parametrize("way", ["wait", "as_completed"])
def test_a_burst_goes_at_once_then_the_rate_holds(
    fake_clock: FakeClock, driver: str, way: str
) -> None:
    """Every wait on many jobs, of either driver, keeps the limit."""
    times: list[float] = []
    jobs = [Timed([D], f"job-{n}", fake_clock, times) for n in range(8)]
    limit = RateLimit(2, per=1.0, burst=4)
    if way == "wait":
        waited(driver, jobs, rate_limit=limit)
    else:
        assert set(completed(driver, jobs, rate_limit=limit)) == set(jobs)
    assert times == [0, 0, 0, 0, 0.5, 1.0, 1.5, 2.0]


@pytest.mark.realtime
def test_waits_in_several_threads_share_one_limit() -> None:
    """Real time: 2 threads x 10 jobs under 40 requests a second take about 0.5 s, spaced."""
    times: list[float] = []
    lock = threading.Lock()
    limit = RateLimit(40, per=1.0)

    class Clocked(ScriptedJob):
        def status(self) -> JobStatus:
            with lock:
                times.append(time.monotonic())
            return super().status()

    def one(name: str) -> None:
        jobv1.wait([Clocked([D], f"{name}-{n}") for n in range(10)], rate_limit=limit)

    threads = [threading.Thread(target=one, args=(name,)) for name in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(times) == 20
    times.sort()
    # the k-th request is made no sooner than its turn, k / 40 s after the first
    assert all(t - times[0] >= k * 0.025 - 0.002 for k, t in enumerate(times))


def test_asyncio_waits_share_one_limit(fake_clock: FakeClock) -> None:
    times: list[float] = []
    limit = RateLimit(4, per=1.0)

    async def main() -> None:
        await asyncio.gather(
            *(
                aio.wait(
                    [Timed([D], f"{name}-{n}", fake_clock, times) for n in range(3)],
                    rate_limit=limit,
                )
                for name in "ab"
            )
        )

    asyncio.run(main())
    assert len(times) == 6
    assert max(times) >= 1.25  # six requests at 4 a second need 1.25 s at least


def test_a_request_whose_turn_comes_after_the_deadline_is_not_made(fake_clock: FakeClock) -> None:
    times: list[float] = []
    jobs = [Timed([R], f"job-{n}", fake_clock, times) for n in range(3)]
    limit = RateLimit(1, per=10.0)
    done, not_done = jobv1.wait(jobs, timeout=5, poll=1, rate_limit=limit)
    assert (done, not_done) == (set(), set(jobs))
    assert times == [0]  # the next turns, at 10 and 20, are past the deadline at 5
    assert fake_clock.monotonic() == 5
    with pytest.raises(jobv1.JobTimeoutError):
        jobs[1].wait_for_final_state(timeout=3, rate_limit=limit)
    assert fake_clock.monotonic() == 8


def test_the_deadline_query_is_made_when_a_turn_is_free(fake_clock: FakeClock) -> None:
    times: list[float] = []
    job = Timed([R], "job", fake_clock, times)
    with pytest.raises(jobv1.JobTimeoutError):
        job.wait_for_final_state(timeout=10, wait=4, rate_limit=RateLimit(1, per=2.0))
    assert times == [0, 4, 8, 10]


def test_a_backend_declares_its_limit(fake_clock: FakeClock) -> None:
    class Limited(BatchBackend):
        status_rate_limit = RateLimit(1, per=2.0)

    backend = Limited()
    jobs = [backend.run(script=[Hold(R, seconds=3)]) for _ in range(3)]
    jobv1.wait(jobs, poll=1)
    assert backend.requests == [3, 3, 3]  # one batch request a turn
    assert [q.time for q in jobs[0].queries] == [0, 2, 4]


def test_a_backend_with_a_bad_limit_is_refused(fake_clock: FakeClock) -> None:
    class Bad(FakeBackend):
        status_rate_limit = 10

    job = Bad().run(script=[])
    with pytest.raises(
        TypeError, match=r"status_rate_limit of .* must be a RateLimit or None, not 10"
    ):
        job.wait_for_final_state()
    assert job.queries == []


def test_an_interrupt_ends_the_wait_for_a_turn() -> None:
    interrupt = Interrupt()

    class Interrupting(FakeClock):
        def sleep(self, seconds: float, wakeup: Any = None) -> bool:
            interrupt.set()
            return super().sleep(seconds, wakeup)

    clock = Interrupting()
    with clock:
        jobs = [ScriptedJob([R], f"job-{n}") for n in range(3)]
        with pytest.raises(WaitInterruptedError) as caught:
            jobv1.wait(jobs, rate_limit=RateLimit(1, per=10.0), interrupt=interrupt)
    assert [job.queries for job in jobs] == [1, 0, 0]
    assert str(caught.value) == "the wait for 3 of 3 jobs was interrupted"


@pytest.mark.parametrize("driver", ["blocking", "asyncio"])
def test_an_interrupt_set_in_a_query_ends_the_round_before_the_next_turn(
    fake_clock: FakeClock, driver: str
) -> None:
    """The queries of a round go together until one waits for a turn; none is begun after."""
    interrupt = Interrupt()

    class Interrupting(ScriptedJob):
        def status(self) -> JobStatus:
            answer = super().status()  # counted first: a query on a worker may be given up
            interrupt.set()
            return answer

    jobs = [Interrupting([R], "job-0"), ScriptedJob([R], "job-1"), ScriptedJob([R], "job-2")]
    limit = RateLimit(1, per=10.0)
    with pytest.raises(WaitInterruptedError, match="the wait for 3 of 3 jobs was interrupted"):
        waited(driver, jobs, rate_limit=limit, max_in_flight=8, interrupt=interrupt)
    assert [job.queries for job in jobs] == [1, 0, 0]
    assert fake_clock.monotonic() == 0  # not the 10 s to the next turn


def test_the_queries_of_a_burst_run_together(fake_clock: FakeClock) -> None:
    began: list[float] = []

    class Slow(ScriptedJob):
        def status(self) -> JobStatus:
            began.append(fake_clock.monotonic())
            fake_clock.sleep(1)  # a query that takes a second
            return super().status()

    jobs = [Slow([D], f"job-{n}") for n in range(4)]
    jobv1.wait(jobs, rate_limit=RateLimit(1, per=10.0, burst=3), max_in_flight=8)
    assert began == [0, 0, 0, 10]  # three turns at once, the fourth at the rate
    assert fake_clock.monotonic() == 11


def test_a_request_with_no_turn_left_holds_back_no_other_request(
    fake_clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    class Limited(FakeBackend):
        status_rate_limit = RateLimit(1, per=100.0)

    caplog.set_level(logging.DEBUG, logger="jobv1")
    limited, free = Limited(), FakeBackend()
    jobs = [limited.run(script=[Hold(R)]) for _ in range(2)]
    other = free.run(script=[Hold(R, seconds=2)])
    done, _ = jobv1.wait([*jobs, other], timeout=5, poll=1)
    assert done == {other}
    assert [q.time for q in other.queries] == [0, 1, 2]
    assert [len(job.queries) for job in jobs] == [1, 0]  # the next turn is at 100
    sleeps = [vars(r)["jobv1_seconds"] for r in caplog.records if hasattr(r, "jobv1_reason")]
    assert sleeps == [1, 1, 3]  # each round asked every job with a turn; then the deadline


def test_a_job_that_calls_back_while_the_wait_waits_for_a_turn_is_seen_at_once() -> None:
    future: concurrent.futures.Future[int] = concurrent.futures.Future()
    pushed = FutureJob(None, "pushed", future)

    class Ending(FakeClock):
        def sleep(self, seconds: float, wakeup: Any = None) -> bool:
            if not future.done():
                future.set_result(1)  # while the wait waits for a turn
            return super().sleep(seconds, wakeup)

    clock = Ending()
    with clock:
        polled = [ScriptedJob([R], f"job-{n}") for n in range(2)]
        order = []
        for job in jobv1.as_completed(
            [pushed, *polled], timeout=100, poll=50, rate_limit=RateLimit(1, per=1.0)
        ):
            order.append(job)
            break
    assert order == [pushed]
    assert clock.monotonic() == 1  # right after the turn it waited for, not at t=50


def test_a_limit_is_shared_when_copied_and_fresh_when_pickled() -> None:
    limit = RateLimit(5, per=2, burst=2)
    assert copy.copy(limit) is limit
    assert copy.deepcopy({"limit": limit})["limit"] is limit
    assert limit.reserve(0.0, 100.0) == 0.0
    thawed = pickle.loads(pickle.dumps(limit))
    assert thawed is not limit
    assert repr(thawed) == repr(limit) == "RateLimit(5, per=2.0, burst=2)"
    assert thawed.reserve(0.0, 100.0) == 0.0  # nothing reserved in the copy


def test_reserve_gives_turns_at_the_rate_and_refuses_past_until() -> None:
    limit = RateLimit(4, per=1.0, burst=2)
    assert [limit.reserve(0.0, 10.0) for _ in range(4)] == [0.0, 0.0, 0.25, 0.5]
    assert limit.reserve(0.0, 0.6) is None  # its turn would be 0.75
    assert limit.reserve(0.0, 0.75) == 0.75  # the refusal reserved nothing
    assert limit.reserve(5.0, 10.0) == 5.0  # a quiet spell refills the bucket


@pytest.mark.parametrize(
    ("arguments", "error", "words"),
    [
        ((0,), ValueError, "requests must be at least 1, got 0"),
        ((True,), TypeError, "requests must be an int, not True"),
        ((2.5,), TypeError, "requests must be an int, not 2.5"),
        ((1, 0), ValueError, "per must be a finite number of seconds > 0, got 0"),
        ((1, float("inf")), ValueError, "per must be a finite number of seconds > 0, got inf"),
        ((1, "1"), TypeError, "per must be a real number, not '1'"),
    ],
)
def test_bad_settings_are_refused(arguments: tuple[Any, ...], error: type, words: str) -> None:
    with pytest.raises(error, match=f"^{words}$"):
        RateLimit(*arguments)


def test_a_bad_burst_or_rate_limit_is_refused(fake_clock: FakeClock) -> None:
    with pytest.raises(ValueError, match=r"^burst must be at least 1, got 0$"):
        RateLimit(1, burst=0)
    job = ScriptedJob([D])
    with pytest.raises(TypeError, match=r"^rate_limit must be a RateLimit or None, not 5$"):
        jobv1.wait([job], rate_limit=5)  # type: ignore[arg-type]
    assert job.queries == 0


@pytest.mark.realtime
def test_slow_queries_given_up_at_the_deadline_end_the_round_and_the_rest_are_asked_there() -> None:
    """Issue 23: a job whose query the round never began is asked at the deadline's round."""
    from test_concurrency import Stuck

    release = threading.Event()
    stuck = [Stuck(f"stuck-{n}", release) for n in range(2)]
    later = ScriptedJob([D], "later")
    started = time.monotonic()
    try:
        # two turns at once, then one every 0.1 s: the third waits for the first two
        done, not_done = jobv1.wait(
            [*stuck, later], timeout=0.3, rate_limit=RateLimit(10, per=1.0, burst=2)
        )
        elapsed = time.monotonic() - started
    finally:
        release.set()
    assert (done, not_done) == ({later}, set(stuck))
    assert later.queries == 1
    assert elapsed < 1.5


def test_a_limit_declared_once_serves_test_after_test_each_on_its_own_clock() -> None:
    """Issue 24, 6: the limit kept the times of the last test's clock; the next test's wait
    made no query and timed out while its job was DONE (8 of a provider's 13 tests failed)."""
    from jobv1.testing import FakeBackend, FakeClock, Hold

    class Limited(FakeBackend):
        status_rate_limit = RateLimit(1, per=10.0)  # once for the process, as provider.md says

    for _ in range(3):  # three tests, each on a fresh clock from 0
        with FakeClock():
            job = Limited().run(script=[Hold(JobStatus.RUNNING, seconds=30)])
            job.wait_for_final_state(timeout=60, wait=1)  # queries at 0, 10, 20, 30
            assert [query.time for query in job.queries] == [0, 10, 20, 30]


def test_a_limit_keeps_the_buckets_of_the_clocks_used_last() -> None:
    limit = RateLimit(1, per=10.0)
    clocks = [object() for _ in range(17)]
    assert limit.reserve(0.0, 100.0, clocks[0]) == 0.0
    assert limit.reserve(0.0, 100.0, clocks[0]) == 10.0  # its bucket: the next turn
    assert limit.reserve(0.0, 100.0, clocks[1]) == 0.0  # another clock's bucket is full
    for clock in clocks[2:17]:
        limit.reserve(0.0, 100.0, clock)
    assert limit.reserve(0.0, 100.0, clocks[1]) == 10.0  # kept: 16 clocks
    assert limit.reserve(0.0, 100.0, clocks[0]) == 0.0  # the oldest was dropped: full again


def test_a_limit_drops_a_bucket_only_for_a_new_clock() -> None:
    limit = RateLimit(1, per=10.0)
    clocks = [object() for _ in range(16)]
    for clock in clocks:
        limit.reserve(0.0, 100.0, clock)
    limit.reserve(0.0, 100.0, clocks[5])  # known clocks, a turn and a pause: nothing dropped
    limit.hold(1.0, clocks[6])
    assert limit.reserve(0.0, 100.0, clocks[0]) == 10.0
    limit.hold(50.0, object())  # a pause told on a 17th clock drops the oldest: clocks[1]
    assert limit.reserve(0.0, 100.0, clocks[1]) == 0.0


# ------------------------------------------------- the service's backpressure (issue 25, 2)


class BusyError(ConnectionError):
    """A 429 or a 503 whose Retry-After asked for ``after`` seconds."""

    def __init__(self, after: float) -> None:
        super().__init__(f"429 Too Many Requests (Retry-After: {after})")
        self.after = after


HONOURS = jobv1.Retry(BusyError, retry_after=lambda failure: getattr(failure, "after", None))


class Clocked(ScriptedJob):
    """Notes the time of each of its status queries on ``clock``."""

    def __init__(self, clock: FakeClock, statuses: list[Any], job_id: str) -> None:
        super().__init__(statuses, job_id)
        self.clock = clock
        self.times: list[float] = []

    def status(self) -> JobStatus:
        self.times.append(self.clock.monotonic())
        return super().status()


class Told(Clocked):
    """A job whose first query is answered 429 with Retry-After: 5."""

    def status(self) -> JobStatus:
        if not self.times:
            self.times.append(self.clock.monotonic())
            raise BusyError(5)
        return super().status()


class Limited:
    status_rate_limit = RateLimit(100, per=1)
    status_retry = HONOURS


class Retrying:
    status_retry = HONOURS


@pytest.mark.parametrize("whose", ["backend's", "wait's"])
@pytest.mark.parametrize("driver", ["blocking", "asyncio"])
def test_a_retry_after_pauses_every_query_that_draws_from_the_limit(
    fake_clock: FakeClock, driver: str, whose: str
) -> None:
    """One job told to wait 5 s: the others, on the same limit, wait too (they asked at 1 s).

    The limit is the backend's ``status_rate_limit``, or the wait's ``rate_limit``.
    """
    backend = Limited() if whose == "backend's" else Retrying()
    options: dict[str, Any] = {"poll": 1}
    if whose == "wait's":
        options["rate_limit"] = RateLimit(100, per=1)
    told = Told(fake_clock, [R, D], "told")
    others = [Clocked(fake_clock, [R, R, D], f"j{n}") for n in range(3)]
    for job in [told, *others]:
        job._backend = backend  # type: ignore[assignment]
    jobs = [told, *others]
    if driver == "blocking":
        assert jobv1.wait(jobs, **options).done == set(jobs)
    else:
        assert asyncio.run(aio.wait(jobs, **options)).done == set(jobs)
    assert told.times[0] == 0
    assert 5 <= told.times[1] < 5.1  # with the others, 100 a second
    for job in others:
        assert job.times[0] < 0.1
        assert 5 <= job.times[1] < 5.1  # held with the told job, not asked at 1 s


def test_a_pause_holds_the_limit_for_later_waits_too(fake_clock: FakeClock) -> None:
    limit = RateLimit(100, per=1)
    limit.hold(5.0, fake_clock)
    job = Clocked(fake_clock, [D], "later")
    job.wait_for_final_state(rate_limit=limit)
    assert job.times == [5.0]


def test_a_limit_keeps_the_clock_used_last_even_if_made_first() -> None:
    limit = RateLimit(1, per=10.0)
    clocks = [object() for _ in range(17)]
    for clock in clocks[:16]:
        limit.reserve(0.0, 100.0, clock)
    assert limit.reserve(0.0, 100.0, clocks[0]) == 10.0  # used again: now the last used
    limit.reserve(0.0, 100.0, clocks[16])  # a 17th clock: the oldest, clocks[1], goes
    assert limit.reserve(0.0, 100.0, clocks[0]) == 20.0  # kept
    assert limit.reserve(0.0, 100.0, clocks[1]) == 0.0  # dropped: full again


def test_a_pause_holds_a_burst_too() -> None:
    limit = RateLimit(1, per=1.0, burst=5)
    clock = object()
    limit.hold(8.0, clock)
    assert limit.reserve(0.0, 100.0, clock) == 8.0  # not before the pause is over
    assert limit.reserve(0.0, 100.0, clock) == 9.0  # then the steady rate: no burst at once


def test_a_pause_never_brings_a_turn_forward() -> None:
    limit = RateLimit(1, per=10)
    clock = object()
    for _ in range(3):  # turns at 0, 10 and 20: the next is at 30
        limit.reserve(0.0, 100.0, clock)
    limit.hold(12.0, clock)  # a pause shorter than what is booked changes nothing
    assert limit.reserve(0.0, 100.0, clock) == 30.0
    limit.hold(45.0, object())  # another clock's pause is its own
    assert limit.reserve(0.0, 100.0, clock) == 40.0


@pytest.mark.parametrize("loop", ["one", "many"])
def test_a_sleep_to_the_deadline_that_ends_early_gives_up_the_requests_with_no_turn(
    loop: str,
) -> None:
    """The deadline is taken as come (nothing woke the sleep): no turn is left, nothing asked."""
    clock = Recorder([], scale=0.5)  # each sleep moves the clock half the time asked
    limit = RateLimit(1, per=100.0)  # the next turn, at 100 s, is past the deadline
    with clock:
        jobs = [ScriptedJob([R], f"job-{n}") for n in range(2 if loop == "many" else 1)]

        def wait() -> None:
            if loop == "one":
                jobs[0].wait_for_final_state(timeout=4, wait=10, rate_limit=limit)
            else:
                list(jobv1.as_completed(jobs, timeout=4, poll=10, rate_limit=limit))

        with pytest.raises(jobv1.JobTimeoutError):
            wait()
    assert [job.queries for job in jobs] == [1, 0][: len(jobs)]
    assert clock.monotonic() == 2.0  # half of the sleep to the deadline, then no other sleep


def test_a_fetch_whose_turn_is_now_sleeps_not_at_all() -> None:
    log: list[tuple[Any, ...]] = []
    with Recorder(log):
        job = FakeBackend().run(result=7)
        fetched = jobv1.result(job, rate_limit=RateLimit(1, per=10.0, burst=2))
        assert fetched == job.result()
    assert log == []  # the query and the fetch, both within the burst: no sleep, even of 0 s


def test_a_result_fetch_and_a_cancel_draw_from_the_limit(fake_clock: FakeClock) -> None:
    class Fetched(Clocked):
        fetched: list[float] = []  # noqa: RUF012 - one job

        def result(self) -> Any:
            self.fetched.append(self.clock.monotonic())
            return "ok"

        def cancel(self) -> bool:
            self.fetched.append(self.clock.monotonic())
            return True

    slow = RateLimit(1, per=10)
    job = Fetched(fake_clock, [D], "fetched")
    assert jobv1.result(job, rate_limit=slow) == "ok"
    assert (job.times, job.fetched) == ([0.0], [10.0])  # the fetch waited for its turn
    job = Fetched(fake_clock, [jobv1.JobStatus.CANCELLED], "cancelled")
    job.fetched = []
    assert jobv1.cancel(job, rate_limit=slow) is True
    assert (job.fetched, job.times) == ([20.0], [30.0])  # cancel, then the status query
    job = Fetched(fake_clock, [jobv1.JobStatus.CANCELLED], "aio")
    job.fetched = []
    assert asyncio.run(aio.cancel(job, rate_limit=slow)) is True
    assert (job.fetched, job.times) == ([40.0], [50.0])
    job = Fetched(fake_clock, [jobv1.JobStatus.ERROR], "failed")
    job.fetched = []
    with pytest.raises(jobv1.JobFailedError):  # the provider's own error is fetched at a turn
        jobv1.result(job, rate_limit=slow)
    assert (job.times, job.fetched) == ([60.0], [70.0])
    for run in (jobv1.result, lambda *a, **k: asyncio.run(aio.result(*a, **k))):
        job = Fetched(fake_clock, [jobv1.JobStatus.RUNNING], "given up")
        job.fetched = []
        start = fake_clock.monotonic()
        with pytest.raises(jobv1.JobTimeoutError):  # the cancel after the timeout, at its turn
            run(job, timeout=5, cancel_on_timeout=True, rate_limit=slow)
        # No query had a turn before the deadline; the cancel waits for the next turn.
        assert (job.times, [t - start for t in job.fetched]) == ([], [10.0])


def test_a_fetch_told_to_wait_holds_the_limit(fake_clock: FakeClock) -> None:
    class Refetched(Clocked):
        fetched: list[float] = []  # noqa: RUF012 - one job

        def result(self) -> Any:
            self.fetched.append(self.clock.monotonic())
            if len(self.fetched) == 1:
                raise BusyError(7)
            return "ok"

    class Noted(RateLimit):
        held: list[tuple[float, object]] = []  # noqa: RUF012 - one limit

        def hold(self, until: float, clock: object = None) -> None:
            self.held.append((until, clock))
            super().hold(until, clock)

    limit = Noted(100, per=1)
    job = Refetched(fake_clock, [D], "refetched")
    assert jobv1.result(job, rate_limit=limit, retry=HONOURS) == "ok"
    first, second = job.fetched
    assert first < 0.1  # its turn after the status query's
    assert 7 <= second < 7.1  # told to wait 7 s
    # Every wait on the limit with the same clock keeps the pause.
    [(until, clock)] = limit.held
    assert until == pytest.approx(first + 7)
    assert clock is fake_clock


def test_no_turn_before_the_deadline_is_a_timeout_for_a_fetch(fake_clock: FakeClock) -> None:
    job = Clocked(fake_clock, [D], "late")
    with pytest.raises(jobv1.JobTimeoutError, match="its rate limit had no turn for it"):
        jobv1.result(job, timeout=5, rate_limit=RateLimit(1, per=10))
