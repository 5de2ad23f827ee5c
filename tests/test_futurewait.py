"""The asyncio loop of FutureJobs behaves exactly as the general loop.

``jobv1.aio.wait`` and ``jobv1.aio.as_completed`` take their own loop
(``jobv1._futurewait``) when every job is a FutureJob. Here both loops run
the same futures in virtual time, ended by the hooks, and everything the
futures, the hook and the clock see is recorded and compared: which
queries, in which order, at which times, what the wait returned and how it
ended. Then: which wait takes which loop, what the loop keeps, and what it
leaves behind.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import gc
import threading
from typing import Any
from unittest import mock

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import jobv1
from conftest import Listening, Recorder, ScriptedJob, completed, examples, unheard, waited
from jobv1 import (
    FIRST_COMPLETED,
    FIRST_EXCEPTION,
    FutureJob,
    Interrupt,
    JobStatus,
    JobTimeoutError,
    RateLimit,
    Retry,
    WaitInterruptedError,
    _aiodrive,
    _choose,
    _futures,
    _futurewait,
    _many,
    _options,
    _polling,
    aio,
)
from jobv1._futurewait import FutureWait
from jobv1._polling import Poller
from jobv1._requests import StopIterationError
from jobv1.testing import FakeClock

R, Q, D, C, E = (
    JobStatus.RUNNING,
    JobStatus.QUEUED,
    JobStatus.DONE,
    JobStatus.CANCELLED,
    JobStatus.ERROR,
)


def _end(future: concurrent.futures.Future[Any], how: str) -> None:
    """End ``future`` as ``how`` says, if it can still end so."""
    if how == "run":
        if not future.running() and not future.done():
            future.set_running_or_notify_cancel()
    elif how == "cancelled":
        future.cancel()  # a running or ended future stays as it is
    elif not future.done():
        if how == "done":
            future.set_result(1)
        else:
            future.set_exception(OSError("failed"))


#: What a hook does when it sees its job in its status: ("advance", s),
#: ("end", future, how), ("later", future, how) on the next turn of the event
#: loop, ("interrupt",), ("raise",) or ("stop",).
actions = st.one_of(
    st.tuples(st.just("advance"), st.sampled_from([0.25, 1.0, 5.0])),
    st.tuples(
        st.sampled_from(["end", "later"]),
        st.integers(0, 3),
        st.sampled_from(["run", "done", "error", "cancelled"]),
    ),
    st.tuples(st.sampled_from(["interrupt", "raise", "stop"])),
)


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    futures = draw(st.integers(1, 4))
    jobs = draw(st.integers(1, 5))
    return {
        "states": draw(
            st.lists(
                st.sampled_from(["pending", "run", "done", "error", "cancelled"]),
                min_size=futures,
                max_size=futures,
            )
        ),
        # Job n runs on future_of[n]: two jobs may share one.
        "future_of": draw(st.lists(st.integers(0, futures - 1), min_size=jobs, max_size=jobs)),
        # The jobs as the wait is given them: a job may be there twice.
        "given": draw(st.lists(st.integers(0, jobs - 1), min_size=2, max_size=7)),
        "triggers": draw(
            st.lists(
                st.tuples(st.integers(0, jobs - 1), st.sampled_from([Q, R, D, C, E]), actions),
                max_size=5,
            )
        ),
    }


def _run(
    path: str,
    way: str,
    scenario: dict[str, Any],
    timeout: float | None,
    bound: int,
    *,
    listen: bool = False,
    driver: str = "asyncio",
) -> list[tuple[Any, ...]]:
    log: list[tuple[Any, ...]] = []
    clock = Recorder(log)
    interrupt = Interrupt()
    futures: list[concurrent.futures.Future[int]] = []
    for state in scenario["states"]:
        future: concurrent.futures.Future[int] = concurrent.futures.Future()
        if state != "pending":
            _end(future, state)
        futures.append(future)
    names = {id(future): f"F{n}" for n, future in enumerate(futures)}
    jobs = [FutureJob(None, f"j{n}", futures[k]) for n, k in enumerate(scenario["future_of"])]
    given = [jobs[n] for n in scenario["given"]]
    triggers = list(scenario["triggers"])
    real_status = _futures.future_status

    def status(future: concurrent.futures.Future[Any]) -> JobStatus:
        answer = real_status(future)
        log.append(("status", names[id(future)], answer, clock.monotonic()))
        return answer

    def on_status(job: Any, seen: JobStatus) -> None:
        log.append(("on_status", job.job_id(), seen, clock.monotonic()))
        for trigger in triggers:
            if jobs[trigger[0]] is job and trigger[1] is seen:
                triggers.remove(trigger)
                _act(trigger[2])
                return

    def _act(action: tuple[Any, ...]) -> None:
        kind = action[0]
        if kind == "advance":
            clock.advance(action[1])
        elif kind == "end":
            _end(futures[action[1] % len(futures)], action[2])
        elif kind == "later" and driver == "asyncio":
            target = futures[action[1] % len(futures)]
            asyncio.get_running_loop().call_soon(_end, target, action[2])
        elif kind == "later":  # no event loop: it ends at once
            _end(futures[action[1] % len(futures)], action[2])
        elif kind == "interrupt":
            interrupt.set()
        elif kind == "raise":
            raise LookupError("hook")
        else:
            raise StopIteration

    options: dict[str, Any] = {
        "timeout": timeout,
        "max_in_flight": bound,
        "on_status": on_status,
        "interrupt": interrupt,
    }

    async def main() -> None:
        if timeout is None:  # a wait without a deadline must end: the futures left end
            loop = asyncio.get_running_loop()

            def spin(turns: int) -> None:
                # Only a wait asleep with nothing to do lets the event loop turn
                # over: both loops are then at the same point.
                if turns:
                    loop.call_soon(spin, turns - 1)
                    return
                log.append(("all end", clock.monotonic()))
                for future in futures:
                    _end(future, "done")

            loop.call_soon(spin, 20)
        if way == "as_completed":
            log.extend(
                [
                    ("yielded", job.job_id(), clock.monotonic())
                    async for job in aio.as_completed(given, **options)
                ]
            )
            log.append(("returned",))
            return
        return_when = {"wait": jobv1.ALL_COMPLETED, "first": FIRST_COMPLETED}.get(
            way, FIRST_EXCEPTION
        )
        done, not_done = await aio.wait(given, return_when=return_when, **options)
        log.append(
            ("returned", sorted(j.job_id() for j in done), sorted(j.job_id() for j in not_done))
        )

    def blocking() -> None:
        assert timeout is not None  # no event loop turns over to end the futures left
        if way == "as_completed":
            log.extend(
                ("yielded", job.job_id(), clock.monotonic())
                for job in jobv1.as_completed(given, **options)
            )
            log.append(("returned",))
            return
        return_when = {"wait": jobv1.ALL_COMPLETED, "first": FIRST_COMPLETED}.get(
            way, FIRST_EXCEPTION
        )
        done, not_done = jobv1.wait(given, return_when=return_when, **options)
        log.append(
            ("returned", sorted(j.job_id() for j in done), sorted(j.job_id() for j in not_done))
        )

    taken: list[object] = []
    real_layout = _choose.layout

    def spy(wait: Any) -> Any:
        made = _polling.general(wait) if path == "general" else real_layout(wait)
        taken.append(made)
        return made

    with (
        clock,
        mock.patch.object(_choose, "layout", spy),  # the aio waits' too
        mock.patch.object(_futures, "future_status", status),
        mock.patch.object(_futurewait, "future_status", status),
        Listening(log, clock, listen=listen),
    ):
        try:
            if driver == "asyncio":
                asyncio.run(main())
            else:
                blocking()
        except (
            JobTimeoutError,
            WaitInterruptedError,
            LookupError,
            StopIteration,
            StopIterationError,
        ) as error:
            if isinstance(error, StopIterationError):  # what an iterator or a coroutine raises
                error = error.__cause__  # type: ignore[assignment]
            log.append(("raised", type(error), str(error), clock.monotonic()))
    assert [type(made) for made in taken] == [Poller if path == "general" else FutureWait]
    assert _futures._listeners == ()  # the wait listens no more
    log.append(("ended at", clock.monotonic()))
    return log


def _compare(way: str, scenario: dict[str, Any], timeout: float | None, bound: int) -> None:
    """The same queries, hooks and outcome on both loops, heard or not; the same log records.

    Issue 23: listening took the general loop; it no longer picks the loop,
    nor changes what either does.
    """
    ours = _run("futures", way, scenario, timeout, bound)
    general = _run("general", way, scenario, timeout, bound)
    assert ours == general
    assert ours[-2][0] in ("raised", "returned")
    heard = _run("futures", way, scenario, timeout, bound, listen=True)
    assert heard == _run("general", way, scenario, timeout, bound, listen=True)
    assert unheard(heard) == ours


ways = st.sampled_from(["wait", "first", "exception", "as_completed"])
timeouts = st.none() | st.sampled_from([0.0, 0.5, 3.0])


# A hook runs the second future and ends the first after the first round; the
# second future ends on the next turn of the event loop.
@example(
    way="as_completed",
    scenario={
        "states": ["pending", "pending"],
        "future_of": [0, 1],
        "given": [0, 1, 0],
        "triggers": [(0, Q, ("end", 1, "run")), (1, R, ("later", 1, "done"))],
    },
    timeout=None,
    bound=8,
)
# A slow hook crosses the deadline in the first round: the jobs it left are
# asked again at the deadline.
@example(
    way="wait",
    scenario={
        "states": ["pending", "pending", "pending"],
        "future_of": [0, 1, 2],
        "given": [0, 1, 2],
        "triggers": [(1, Q, ("advance", 1.0))],
    },
    timeout=0.5,
    bound=1,
)
# One at a time, the first job's hook ends the second's future before the second
# is asked: the second ends in this round, and its call back is for a job ended.
@example(
    way="as_completed",
    scenario={
        "states": ["pending", "pending", "pending"],
        "future_of": [0, 1, 2],
        "given": [0, 1, 2],
        "triggers": [(0, Q, ("end", 1, "done"))],
    },
    timeout=2.0,
    bound=1,
)
# A future ends on the next turn of the event loop, as the wait goes to sleep
# until its deadline: the sleep is cut short, and it is not the deadline's.
@example(
    way="wait",
    scenario={
        "states": ["pending", "pending"],
        "future_of": [0, 1],
        "given": [0, 1],
        "triggers": [(0, Q, ("later", 0, "done"))],
    },
    timeout=3.0,
    bound=8,
)
# One at a time, the first job's hook sets the interrupt: the round stops there,
# and what it found final is yielded before the error (issue 23).
@example(
    way="as_completed",
    scenario={
        "states": ["done", "pending", "pending"],
        "future_of": [0, 1, 2],
        "given": [0, 1, 2],
        "triggers": [(0, D, ("interrupt",))],
    },
    timeout=None,
    bound=1,
)
# One at a time, a slow hook crosses the deadline in the first round, and another
# in the deadline's own round, past that round's second: the jobs left are not asked.
@example(
    way="wait",
    scenario={
        "states": ["pending", "pending", "pending"],
        "future_of": [0, 1, 2],
        "given": [0, 1, 2],
        "triggers": [
            (0, Q, ("end", 0, "run")),
            (1, Q, ("advance", 1.0)),
            (0, R, ("advance", 1.0)),
        ],
    },
    timeout=0.5,
    bound=1,
)
# At once, a hook sets the interrupt in a round that ends past the deadline: the
# interrupt, not the deadline, ends the wait.
@example(
    way="as_completed",
    scenario={
        "states": ["pending", "pending"],
        "future_of": [0, 1],
        "given": [0, 1],
        "triggers": [(0, Q, ("interrupt",))],
    },
    timeout=0.0,
    bound=8,
)
# One job given twice: the general loop takes the wait over, and says what is not done.
@example(
    way="wait",
    scenario={"states": ["pending"], "future_of": [0], "given": [0, 0], "triggers": []},
    timeout=None,
    bound=1,
)
@settings(max_examples=examples(300), deadline=None)
@given(
    way=ways,
    scenario=scenarios(),
    timeout=timeouts,
    bound=st.sampled_from([1, 8]),
)
def test_the_futures_loop_makes_the_general_loops_queries_at_its_times(
    way: str, scenario: dict[str, Any], timeout: float | None, bound: int
) -> None:
    _compare(way, scenario, timeout, bound)


@settings(max_examples=examples(200), deadline=None)
@given(
    way=ways,
    scenario=scenarios(),
    timeout=st.sampled_from([0.0, 0.5, 3.0]),
    bound=st.sampled_from([1, 8]),
)
def test_under_the_blocking_driver_the_futures_loop_makes_the_general_loops_queries(
    way: str, scenario: dict[str, Any], timeout: float, bound: int
) -> None:
    """Issue 23: each layout runs under both drivers; FutureJobs get theirs blocking too."""
    ours = _run("futures", way, scenario, timeout, bound, driver="blocking")
    assert ours == _run("general", way, scenario, timeout, bound, driver="blocking")
    assert ours[-2][0] in ("raised", "returned")
    heard = _run("futures", way, scenario, timeout, bound, listen=True, driver="blocking")
    assert unheard(heard) == ours


def _jobs(count: int, backend: Any = None) -> list[FutureJob[int]]:
    return [FutureJob(backend, f"f{n}", concurrent.futures.Future()) for n in range(count)]


class Batching:
    def job_statuses(self, jobs: Any) -> list[JobStatus]:
        return [job.status() for job in jobs]


class Limited:
    status_rate_limit = RateLimit(1000)


class Polled(FutureJob[int]):
    def status(self) -> JobStatus:
        return R


class Watchless(FutureJob[int]):
    def watch(self, wakeup: Any) -> Any:
        return None


class OwnFuture(concurrent.futures.Future[int]):
    pass


def _loop_of(jobs: list[Any], **options: Any) -> str:
    """Which loop an aio wait on ``jobs`` runs: ``"futures"`` or ``"general"``."""
    wait = _options.check_many(
        jobs,
        timeout=0,
        poll=_many.DEFAULT_POLL,
        on_status=None,
        retry=options.get("retry"),
        interrupt=None,
        max_in_flight=8,
        rate_limit=None,
    )
    made = _choose.layout(wait)
    if not isinstance(made, FutureWait):
        return "general"
    handed: list[object] = []
    real = _polling.general

    def spy(wait: Any) -> Any:
        handed.append(wait)
        return real(wait)

    async def run() -> None:
        with mock.patch.object(_futurewait, "general", spy):
            async for _ in _aiodrive.drive(made):
                pass

    with contextlib.suppress(JobTimeoutError):
        asyncio.run(run())
    return "general" if handed else "futures"


def test_future_jobs_take_the_futures_loop_and_every_other_wait_the_general_one(
    fake_clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    # The comparison above proves nothing if the futures loop were never taken,
    # or taken where it does not apply.
    assert _loop_of(_jobs(2)) == "futures"
    assert _loop_of(_jobs(1)) == "general"  # one job: its timeout message names it
    one = _jobs(1)
    assert _loop_of([one[0], one[0]]) == "general"  # given twice, it is still one job
    three = _jobs(3)
    assert _loop_of([*three, three[0]]) == "futures"  # one given twice among three: three jobs
    assert _loop_of(_jobs(2), retry=Retry(OSError)) == "general"
    assert _loop_of([*_jobs(1), Polled(None, "p", concurrent.futures.Future())]) == "general"
    assert _loop_of([*_jobs(1), Watchless(None, "w", concurrent.futures.Future())]) == "general"
    assert _loop_of([*_jobs(1), FutureJob(None, "o", OwnFuture())]) == "general"
    resynced = _jobs(2)
    resynced[1].resync_interval = 30.0  # type: ignore[assignment]
    assert _loop_of(resynced) == "general"
    assert _loop_of(_jobs(2, Batching())) == "general"
    assert _loop_of(_jobs(2, Limited())) == "general"
    assert _loop_of([*_jobs(1500), *_jobs(1, Batching())]) == "general"  # found past a slice
    with caplog.at_level("DEBUG", logger="jobv1"):
        assert _loop_of(_jobs(2)) == "futures"  # issue 23: a listener no longer picks the loop


def test_a_job_the_futures_loop_hands_over_is_waited_on_by_the_general_loop(
    fake_clock: FakeClock,
) -> None:
    batching = Batching()
    calls: list[int] = []
    real = batching.job_statuses

    def counted(jobs: Any) -> list[JobStatus]:
        calls.append(len(jobs))
        return real(jobs)

    batching.job_statuses = counted  # type: ignore[method-assign]
    jobs = _jobs(3, batching)
    jobs[0].future.set_result(0)
    done, not_done = asyncio.run(aio.wait(jobs, timeout=1))
    assert (done, not_done) == ({jobs[0]}, set(jobs[1:]))
    assert calls == [3, 2]  # one request a round: at the start and at the deadline
    assert fake_clock.monotonic() == 1
    assert _futures._listeners == ()


def test_waits_made_again_and_again_give_a_future_one_done_callback(
    fake_clock: FakeClock,
) -> None:
    jobs = _jobs(3)

    async def main() -> None:
        for _ in range(20):
            assert await aio.wait(jobs, timeout=0.5) == (set(), set(jobs))
            with pytest.raises(JobTimeoutError, match="3 of 3 jobs"):
                async for _ in aio.as_completed(jobs, timeout=0.5):
                    pass  # pragma: no cover - no job ends

    asyncio.run(main())
    for job in jobs:
        assert job.future._done_callbacks == [_futures._ended]  # type: ignore[attr-defined]
    assert _futures._listeners == ()
    seen: list[object] = []
    tell = seen.append
    _futures.listen(tell)
    try:
        jobs[1].future.set_result(1)  # ends with no wait listening: nothing is told but us
    finally:
        _futures.forget(tell)
    assert seen == [jobs[1].future]


def test_fresh_wrappers_over_one_future_hook_it_once(fake_clock: FakeClock) -> None:
    """Issue 23: 500 waits over new FutureJobs on one pending future left 1,000 callbacks."""
    import concurrent.futures

    shared: concurrent.futures.Future[int] = concurrent.futures.Future()
    other: concurrent.futures.Future[int] = concurrent.futures.Future()
    for _ in range(50):
        jobs = [FutureJob(None, "a", shared), FutureJob(None, "b", other)]
        assert asyncio.run(aio.wait(jobs, timeout=0)).not_done == set(jobs)
    assert shared._done_callbacks == [_futures._ended]  # type: ignore[attr-defined]
    assert other._done_callbacks == [_futures._ended]  # type: ignore[attr-defined]


def test_a_future_done_already_is_not_hooked(fake_clock: FakeClock) -> None:
    jobs = _jobs(2)
    jobs[0].future.set_result(0)
    assert asyncio.run(aio.wait(jobs, timeout=0)) == ({jobs[0]}, {jobs[1]})
    assert jobs[0].future._done_callbacks == []  # type: ignore[attr-defined]


def test_the_wait_stops_listening_however_it_ends(fake_clock: FakeClock) -> None:
    jobs = _jobs(3)
    stop = Interrupt()

    async def broken_off() -> None:
        async for _ in aio.as_completed(jobs):
            break

    async def cancelled() -> None:
        task = asyncio.ensure_future(aio.wait(jobs))
        for _ in range(10):
            await asyncio.sleep(0)
        assert _futures._listeners != ()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    async def interrupted() -> None:
        asyncio.get_running_loop().call_soon(stop.set)
        await aio.wait(jobs, interrupt=stop)

    async def failing_hook() -> None:
        def on_status(job: Any, status: JobStatus) -> None:
            raise LookupError(job.job_id())

        await aio.wait(jobs, on_status=on_status)

    jobs[1].future.set_result(1)
    asyncio.run(broken_off())
    asyncio.run(cancelled())
    with pytest.raises(WaitInterruptedError, match="the wait for 2 of 3 jobs was interrupted"):
        asyncio.run(interrupted())
    with pytest.raises(LookupError, match="f0"):
        asyncio.run(failing_hook())
    assert _futures._listeners == ()
    assert stop._listeners == set()


def test_two_waits_at_once_each_hear_of_their_own_futures(fake_clock: FakeClock) -> None:
    first, second = _jobs(2), _jobs(2)

    async def main() -> list[Any]:
        seen: list[Any] = []

        async def one(jobs: list[Any]) -> None:
            async for job in aio.as_completed(jobs):
                seen.append(job)  # noqa: PERF401 - in the order they end, across both waits

        tasks = [asyncio.ensure_future(one(first)), asyncio.ensure_future(one(second))]
        for _ in range(5):
            await asyncio.sleep(0)
        assert len(_futures._listeners) == 2
        for job in (second[1], first[0], first[1], second[0]):
            job.future.set_result(1)
            await asyncio.sleep(0)
            await asyncio.sleep(0)
        await asyncio.gather(*tasks)
        return seen

    assert asyncio.run(main()) == [second[1], first[0], first[1], second[0]]


def test_futures_that_end_while_the_wait_watches_them_are_seen(fake_clock: FakeClock) -> None:
    # 3,000 jobs are watched in three slices, the event loop turning in between:
    # one future ends once it is watched, one before, and one is ended twice over.
    jobs = _jobs(3000)

    async def main() -> list[Any]:
        loop = asyncio.get_running_loop()
        loop.call_soon(jobs[10].future.set_result, 10)  # hooked: it calls back
        loop.call_soon(jobs[2500].future.set_result, 2500)  # not watched yet
        seen = []
        async for job in aio.as_completed(jobs, timeout=5):
            seen.append(job)
            if len(seen) == 2:
                break
        return seen

    assert asyncio.run(main()) == [jobs[10], jobs[2500]]


def test_a_wait_keeps_no_object_per_job(fake_clock: FakeClock) -> None:
    jobs = _jobs(20_000)

    async def main() -> int:
        gc.collect()
        before = len(gc.get_objects())
        task = asyncio.ensure_future(aio.wait(jobs))
        for _ in range(100):  # the watches and the first round, in slices
            await asyncio.sleep(0)
        gc.collect()
        during = len(gc.get_objects())
        for job in jobs:
            job.future.set_result(1)
        done, _ = await task
        assert len(done) == 20_000
        return during - before

    assert asyncio.run(main()) < 200  # the general loop keeps 7 objects a job


def test_futures_ended_from_another_thread_are_each_yielded_once(
    fake_clock: FakeClock,
) -> None:
    jobs = _jobs(5000)

    def finish() -> None:
        for job in jobs[:0:-1]:  # the first ended already
            job.future.set_result(1)

    async def main() -> list[Any]:
        seen: list[Any] = []
        thread = threading.Thread(target=finish)
        async for job in aio.as_completed(jobs):
            if not seen:  # the first job ended before the wait: the others end now
                thread.start()
            seen.append(job)
        thread.join()
        return seen

    jobs[0].future.set_result(0)
    seen = asyncio.run(main())
    assert len(seen) == 5000
    assert set(seen) == set(jobs)


def test_a_future_cancelled_while_it_is_asked_about_is_cancelled() -> None:
    # done() is asked first: a future cancelled between two questions is never
    # taken for a finished one, whose exception() would raise CancelledError.
    class Cancelled(concurrent.futures.Future[int]):
        def done(self) -> bool:
            self.cancel()  # as if another thread cancelled it just now
            return super().done()

    assert _futures.future_status(Cancelled()) is C


def test_a_round_of_thousands_with_a_hook_is_read_whole_then_told_on_both_loops() -> None:
    """With a hook, both loops read a whole round (breathing every slice), then tell the hook."""
    count = 2500
    scenario = {
        "states": ["pending"] * (count - 1) + ["done"],
        "future_of": list(range(count)),
        "given": list(range(count)),
        "triggers": [(0, Q, ("end", count - 2, "done"))],  # read already: seen next round
    }
    _compare("as_completed", scenario, 3.0, 8)


@pytest.mark.parametrize("driver", ["blocking", "asyncio"])
def test_a_job_given_twice_counts_once_in_the_futures_loops_timeout(
    fake_clock: FakeClock, driver: str
) -> None:
    """Four places, three jobs: the message counts the jobs, as the general loop's does."""
    three = _jobs(3)
    given = [*three, three[0]]
    with pytest.raises(JobTimeoutError, match=r"^3 of 3 jobs did not reach a final state"):
        completed(driver, given, timeout=1)


class ShortSleeps(FakeClock):
    """A stand-in clock whose sleeps move it half the time asked: they all end early."""

    def sleep(self, seconds: float, wakeup: Any = None) -> bool:
        return super().sleep(seconds / 2, wakeup)


@pytest.mark.parametrize("bound", [1, 8])
@pytest.mark.parametrize("path", ["futures", "general", "plain"])
@pytest.mark.parametrize("driver", ["blocking", "asyncio"])
def test_a_sleep_to_the_deadline_that_ends_early_ends_the_wait_as_the_deadline(
    path: str, driver: str, bound: int
) -> None:
    """Nothing woke the sleep: the deadline is taken as come, whatever the clock reads.

    Each loop then has the deadline's round and raises, rather than sleep on
    for what is left, and again, half of it each time. (``"plain"``: polled
    jobs, which the plain loop waits on.)
    """
    jobs: list[Any] = _jobs(2) if path != "plain" else [ScriptedJob([Q], f"f{n}") for n in range(2)]
    statuses: list[tuple[str, JobStatus, float]] = []
    clock = ShortSleeps()
    options: dict[str, Any] = {
        "timeout": 4,
        "max_in_flight": bound,
        "on_status": lambda job, status: statuses.append((job.job_id(), status, clock.monotonic())),
    }

    if path == "plain":
        options["poll"] = 10  # its first sleep is to the deadline, as the futures' is
    layout = _polling.general if path == "general" else _choose.layout
    with (
        clock,
        mock.patch.object(_choose, "layout", layout),
        pytest.raises(JobTimeoutError, match=r"^2 of 2 jobs"),
    ):
        completed(driver, jobs, **options)
    assert clock.monotonic() == 2.0  # half of the sleep to the deadline, then no other sleep
    assert statuses == [("f0", Q, 0.0), ("f1", Q, 0.0)]  # each told once: the same status


@pytest.mark.parametrize("path", ["futures", "general"])
def test_a_round_told_to_a_hook_hands_the_event_loop_back_every_slice(
    fake_clock: FakeClock, path: str
) -> None:
    """Other tasks run between two slices of hooks told, and never within a slice."""
    from jobv1._requests import SLICE

    count = 2 * SLICE + 3
    jobs = _jobs(count)
    turns = 0
    seen: list[int] = []  # the event loop's turns, as each hook is told

    async def main() -> None:
        nonlocal turns
        spinning = True

        async def spin() -> None:
            nonlocal turns
            while spinning:
                turns += 1
                await asyncio.sleep(0)

        spinner = asyncio.create_task(spin())
        await asyncio.sleep(0)
        await aio.wait(jobs, timeout=0, on_status=lambda job, status: seen.append(turns))
        spinning = False
        await spinner

    layout = _polling.general if path == "general" else _choose.layout
    with mock.patch.object(_choose, "layout", layout):
        asyncio.run(main())
    assert len(seen) == count
    changed = [k for k in range(1, count) if seen[k] != seen[k - 1]]
    # Where a slice begins is the loop's own (the general loop breathes a hook earlier).
    assert len(changed) == 2
    assert changed[0] in (SLICE - 1, SLICE)
    assert changed[1] == changed[0] + SLICE


@pytest.mark.parametrize("misfit", ["own future", "resynced", "batching backend"])
def test_a_wait_handed_over_under_the_blocking_driver_asks_in_the_callers_thread(
    fake_clock: FakeClock, misfit: str
) -> None:
    """The general loop, taking over, is told the driver may block: FutureJobs are asked here."""
    jobs = _jobs(3, Batching() if misfit == "batching backend" else None)
    if misfit == "own future":
        jobs[2] = FutureJob(None, "own", OwnFuture())
    elif misfit == "resynced":
        jobs[2].resync_interval = 30.0  # type: ignore[assignment]
    threads: set[str] = set()
    real_status = _futures.future_status

    def status(future: concurrent.futures.Future[Any]) -> JobStatus:
        threads.add(threading.current_thread().name)
        return real_status(future)

    with mock.patch.object(_futures, "future_status", status):
        done, not_done = jobv1.wait(jobs, timeout=1, poll=0.5)
    assert (done, not_done) == (set(), set(jobs))
    assert threads == {threading.current_thread().name}


@pytest.mark.parametrize("driver", ["blocking", "asyncio"])
def test_a_failure_of_a_job_handed_over_is_its_own(fake_clock: FakeClock, driver: str) -> None:
    """Only the general loop ends a job for a failure of its own: handed the wait, it says which."""
    broken = OSError("the future cannot be read")

    class Unreadable(OwnFuture):
        def done(self) -> bool:
            raise broken

    jobs = [*_jobs(1), FutureJob(None, "unreadable", Unreadable())]
    jobs[0].future.set_result(0)
    outcome = waited(driver, jobs, timeout=1)
    assert (outcome.done, outcome.not_done) == (set(jobs), set())
    assert outcome.failures == {jobs[1]: broken}
