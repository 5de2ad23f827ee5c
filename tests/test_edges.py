"""Edges the mutation run of issue 11 found untested: each test here fails on a mutant that survived.

Each test names the behaviour it pins; the mutation run's notes in
``scripts/mutation`` list the survivors that are equivalent to the code.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import enum
import io
import threading
import time
from typing import Any
from unittest import mock

import pytest

import jobv1
from conftest import ScriptedJob
from jobv1 import (
    Backoff,
    FutureJob,
    Interrupt,
    JobStatus,
    JobTimeoutError,
    Retry,
    aio,
    as_job,
)
from jobv1._clock import SystemClock, current_clock, install, uninstall
from jobv1.monitor import Monitor
from jobv1.testing import FakeBackend, FakeClock, FakeJob, Hold, use_clock
from test_many import BatchBackend, hinted

Q, R, D = JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.DONE


class Hinted(ScriptedJob):
    """A scripted job that asks for ``hint`` seconds between its queries."""

    def __init__(self, statuses: list[Any], job_id: str, hint: float) -> None:
        super().__init__(statuses, job_id)
        self.hint = hint
        self.times: list[float] = []

    def status(self) -> JobStatus:
        self.times.append(current_clock().monotonic())
        return super().status()

    def poll_hint(self, status: JobStatus) -> float | None:
        return self.hint


class Recording(FakeClock):
    """A fake clock that keeps the seconds of every sleep."""

    def __init__(self, start: float = 0.0) -> None:
        super().__init__(start)
        self.slept: list[float] = []

    def sleep(self, seconds: float, wakeup: Any = None) -> bool:
        self.slept.append(seconds)
        return super().sleep(seconds, wakeup)


# The loop's schedule


def test_the_deadline_query_of_a_batch_is_one_request(fake_clock: FakeClock) -> None:
    batch = BatchBackend()
    often, seldom = hinted(batch, 1000, hint=1.0), hinted(batch, 1000, hint=100.0)
    done, not_done = jobv1.wait([often, seldom], timeout=10)
    assert (done, not_done) == (set(), {often, seldom})
    # t=0 together; t=1..9 the often-asked job alone; at t=10 both in one request
    assert batch.requests == [2, 2]
    assert [q.time for q in often.queries] == list(range(11))


def test_a_job_planned_in_an_earlier_round_is_asked_on_time(fake_clock: FakeClock) -> None:
    slow, fast = Hinted([R], "slow", hint=0.5), Hinted([R], "fast", hint=0.2)
    assert jobv1.wait([slow, fast], timeout=1.2) == (set(), {slow, fast})
    # slow is due at 0.5 while fast, planned after it, is next due at 0.6
    assert slow.times == pytest.approx([0, 0.5, 1.0, 1.2])


def test_a_batch_answered_after_the_deadline_counts_as_its_query(fake_clock: FakeClock) -> None:
    class Slow(BatchBackend):
        def job_statuses(self, jobs: Any) -> list[JobStatus]:
            fake_clock.advance(3)  # the request of t=0 answers at t=3, past the deadline
            return super().job_statuses(jobs)

    batch = Slow()
    jobs = [hinted(batch, 1000), hinted(batch, 1000)]
    assert jobv1.wait(jobs, timeout=2) == (set(), set(jobs))
    assert batch.requests == [2]  # no second request at the deadline
    assert fake_clock.monotonic() == 3


def test_the_loop_breathes_while_it_reads_a_large_batch(fake_clock: FakeClock) -> None:
    from jobv1._options import check_many
    from jobv1._polling import general
    from jobv1._requests import Ask, Breathe

    batch = BatchBackend()
    jobs = [batch.run(script=[Hold(R, seconds=10)]) for _ in range(2500)]
    poller = general(
        check_many(
            jobs,
            timeout=0,
            poll=1,
            on_status=None,
            retry=None,
            interrupt=None,
            max_in_flight=1,
            rate_limit=None,
        )
    )
    steps = poller.steps(threading.Event)
    requests: list[int] = []
    breaths = 0

    def drive() -> None:
        nonlocal breaths
        request = next(steps)
        while True:
            if isinstance(request, Ask):
                requests.append(len(request.queries))
                request = steps.send([(True, request.queries[0]())])
            else:
                breaths += isinstance(request, Breathe)
                request = steps.send(None)

    with pytest.raises(JobTimeoutError):
        drive()
    assert (requests, batch.requests) == ([1], [2500])
    assert breaths == 2 + 2  # while watching 2,500 jobs, and while reading their answers


@pytest.mark.parametrize("order", ["slow first", "fast first"])
def test_the_sleep_for_the_soonest_job_is_its_delay_exactly(order: str) -> None:
    """(now + 0.1) - now is not 0.1 at t=12345.678: the sleep must take the delay itself."""
    jobs = [Hinted([R, D], "slow", hint=0.3), Hinted([R, D], "fast", hint=0.1)]
    if order == "fast first":
        jobs.reverse()
    clock = Recording(12345.678)
    with clock:
        jobv1.wait(jobs)
    assert clock.slept[0] == 0.1
    assert clock.slept[0] != (12345.678 + 0.1) - 12345.678


def test_a_retry_delay_after_a_polled_delay_does_not_hide_the_sooner_one() -> None:
    class Failing(ScriptedJob):
        def status(self) -> JobStatus:
            if self.queries == 0:
                self.queries += 1
                raise ConnectionError
            return super().status()

    polled, failing = Hinted([R, D], "polled", hint=0.1), Failing([D], "failing")
    clock = Recording(12345.678)
    with clock:
        jobv1.wait([polled, failing], retry=Retry(ConnectionError, backoff=0.3))
    assert clock.slept[0] == 0.1


def test_a_timeout_after_only_failures_shows_no_last_status(fake_clock: FakeClock) -> None:
    class Down(ScriptedJob):
        def status(self) -> JobStatus:
            raise ConnectionError("down")

    with pytest.raises(JobTimeoutError) as caught:
        Down([R], "down").wait_for_final_state(
            timeout=3, wait=1, retry=Retry(ConnectionError, max_failures=100, backoff=1)
        )
    assert str(caught.value) == (
        "Timeout while waiting for job down. It did not reach a final state within the "
        "timeout of 3 s"
    )


# jobv1.aio's driver


def test_an_event_driven_job_is_asked_on_the_event_loop(fake_clock: FakeClock) -> None:
    threads: list[int] = []

    class Pushed(ScriptedJob):
        def status(self) -> JobStatus:
            threads.append(threading.get_ident())
            return super().status()

        def watch(self, wakeup: Any) -> Any:
            return lambda: None

    async def main() -> int:
        await aio.wait_for_final_state(Pushed([D]))
        return threading.get_ident()

    assert threads == [asyncio.run(main())]


def test_polled_queries_run_in_daemon_threads_of_jobv1(fake_clock: FakeClock) -> None:
    """A query left running by a wait that ended must not keep the interpreter from exiting."""
    seen: list[threading.Thread] = []

    class Seen(ScriptedJob):
        def status(self) -> JobStatus:
            seen.append(threading.current_thread())
            return super().status()

    asyncio.run(aio.wait_for_final_state(Seen([D])))
    assert [(thread.name, thread.daemon) for thread in seen] == [("jobv1-query", True)]


def test_an_async_wait_takes_a_stand_in_sleep_as_slept(monkeypatch: pytest.MonkeyPatch) -> None:
    """A test that replaces asyncio.sleep sees the same sleeps and queries as real time gives."""
    slept: list[float] = []

    async def no_sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(asyncio, "sleep", no_sleep)
    job = ScriptedJob([R, R, D])
    asyncio.run(aio.wait_for_final_state(job, wait=5))
    assert (slept, job.queries) == ([5, 5], 3)


def test_an_async_wait_with_a_waker_takes_a_stand_in_timeout_as_slept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slept: list[float] = []

    async def timed_out(waiting: Any, timeout: float) -> None:
        waiting.close()
        slept.append(timeout)
        raise asyncio.TimeoutError

    monkeypatch.setattr(asyncio, "wait_for", timed_out)
    job = ScriptedJob([R, R, D])
    asyncio.run(aio.wait_for_final_state(job, wait=5, interrupt=Interrupt()))
    assert (slept, job.queries) == ([5, 5], 3)


class ManualClock:
    """A virtual clock whose sleep is cut short, for real, by its wake-up."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float, wakeup: Any = None) -> bool:
        if wakeup is not None and wakeup.wait(10):
            return True
        self.now += seconds
        return False


@pytest.mark.realtime
def test_a_clock_of_ones_own_is_woken_by_an_event_driven_job() -> None:
    future: concurrent.futures.Future[str] = concurrent.futures.Future()
    job = FutureJob(None, "pushed", future)
    clock = ManualClock()
    timer = threading.Timer(0.05, future.set_result, ["done"])
    timer.start()
    with use_clock(clock):
        asyncio.run(aio.wait_for_final_state(job, timeout=100))
    timer.join()
    assert clock.now == 0  # woken in its first sleep, not after it


@pytest.mark.realtime
def test_virtual_time_does_not_run_out_while_a_query_takes_real_time(
    fake_clock: FakeClock,
) -> None:
    answer = threading.Event()

    class Slow(ScriptedJob):
        def status(self) -> JobStatus:
            assert answer.wait(10)
            return super().status()

    timer = threading.Timer(0.3, answer.set)
    timer.start()
    asyncio.run(aio.wait_for_final_state(Slow([D]), timeout=0.05))
    timer.join()
    assert fake_clock.monotonic() == 0


@pytest.mark.realtime
def test_an_async_deadline_gives_up_a_slow_query_at_the_deadline_and_leaves_no_task() -> None:
    release = threading.Event()

    class Stuck(ScriptedJob):
        def status(self) -> JobStatus:
            release.wait(10)
            return super().status()

    async def main() -> set[asyncio.Task[Any]]:
        with pytest.raises(JobTimeoutError):
            await aio.wait_for_final_state(Stuck([R]), timeout=0.2)
        await asyncio.sleep(0)  # a task cancelled ends at its next turn
        left = asyncio.all_tasks()
        release.set()  # the query given up answers now, to nobody
        await asyncio.sleep(0.1)
        return left

    started = time.monotonic()
    try:
        left = asyncio.run(main())
        elapsed = time.monotonic() - started
    finally:
        release.set()
    assert len(left) == 1  # only main() itself: the query's task was cancelled
    assert elapsed < 0.9  # the deadline, not LAST_QUERY_SECONDS (1 s) more


# Statuses, views and errors


def test_another_librarys_enum_named_job_status_is_not_qiskits() -> None:
    other = enum.Enum("JobStatus", {"DONE": "done"}, module="elsewhere.jobs")  # type: ignore[misc]
    assert JobStatus.DONE != other.DONE
    with pytest.raises(ValueError, match="is not a valid JobStatus"):
        JobStatus(other.DONE)
    with pytest.raises(ValueError, match="is not a valid JobStatus"):
        JobStatus("nope")


def test_a_status_leaves_comparison_with_strangers_to_them() -> None:
    assert JobStatus.DONE == mock.ANY
    assert JobStatus.DONE != JobStatus.QUEUED
    assert JobStatus.DONE == JobStatus.DONE


class Duck:
    """A job of another library, without Qiskit's ``_async`` attribute."""

    _secret = "not for the view to pass on"

    def __init__(self, statuses: list[JobStatus]) -> None:
        self.statuses = statuses
        self.calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    def job_id(self) -> str:
        return "duck"

    def status(self) -> JobStatus:
        return self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]

    def result(self, *args: Any, **kwargs: Any) -> str:
        self.calls.append((args, kwargs))
        return "result"

    def cancel(self, *args: Any, **kwargs: Any) -> bool:
        self.calls.append((args, kwargs))
        return True


def test_a_foreign_job_without_async_is_waited_on(fake_clock: FakeClock) -> None:
    job = Duck([R, R, D])
    asyncio.run(aio.wait_for_final_state(job, wait=1))
    assert fake_clock.monotonic() == 2
    as_job(Duck([R, D])).wait_for_final_state(wait=1)
    assert fake_clock.monotonic() == 3


def test_a_view_passes_every_argument_on() -> None:
    duck = Duck([D])
    view: Any = as_job(duck)
    assert view.result(5, timeout=1) == "result"
    assert view.cancel(7, force=True) is True
    assert duck.calls == [((5,), {"timeout": 1}), ((7,), {"force": True})]
    with pytest.raises(AttributeError, match=r"^_secret$"):
        view._secret  # noqa: B018 - a private name is not passed on


def test_an_object_with_an_id_but_no_status_is_not_a_job() -> None:
    class Half:
        def job_id(self) -> str:
            return "half"

    with pytest.raises(TypeError, match="Half"):
        as_job(Half())


def test_qiskits_job_error_joins_its_arguments() -> None:
    qiskit = pytest.importorskip("jobv1.qiskit")
    assert qiskit.JobError("the job", "failed").message == "the job failed"


def test_the_first_watched_future_makes_the_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    from jobv1 import _futures

    monkeypatch.setattr(_futures, "_watching", None)
    future: concurrent.futures.Future[int] = concurrent.futures.Future()
    woken: list[bool] = []
    _futures.watch_future(future, lambda: woken.append(True))
    future.set_result(1)
    assert woken == [True]


# Clocks and policies


def test_a_clock_installed_without_options_is_the_installing_threads_only() -> None:
    ready, installed, seen = threading.Event(), threading.Event(), []

    def other() -> None:
        ready.set()
        installed.wait(10)
        seen.append(current_clock())

    thread = threading.Thread(target=other)
    thread.start()
    ready.wait(10)
    clock = FakeClock()
    with use_clock(clock):
        install(clock)
        installed.set()
        thread.join()
        uninstall(clock)
    assert isinstance(seen[0], SystemClock)


def test_the_count_of_sleeps_that_leave_the_time_starts_again_after_each_move() -> None:
    from jobv1.testing._clock import STALLED_SLEEPS

    clock = FakeClock()
    for _ in range(2):
        clock.sleep(1)  # moves the time: the count starts again
        for _ in range(STALLED_SLEEPS):
            clock.sleep(0)
        with pytest.raises(RuntimeError):
            clock.sleep(0)
    for _ in range(STALLED_SLEEPS):  # and after the error too
        clock.sleep(0)
    with pytest.raises(RuntimeError):
        clock.sleep(0)


def test_a_backoff_that_grows_only_past_its_first_delay_is_accepted() -> None:
    # 5e-324 * 1.6 rounds up to the next float, though 5e-324 / 1.6 rounds back
    iterator = iter(Backoff(initial=5e-324, multiplier=1.6, maximum=1).delays())
    assert next(iterator) < next(iterator)


# The monitor


def test_a_job_id_with_a_backslash_is_shown_as_it_is(fake_clock: FakeClock) -> None:
    log = io.StringIO()
    job = FakeJob(None, "a\\b", script=[])
    job.submit()
    job.wait_for_final_state(on_status=Monitor(log))
    assert log.getvalue() == "a\\b: DONE · 0.0 s\n"


def test_the_queue_position_stays_shown_between_asks(
    fake_clock: FakeClock, fake_backend: FakeBackend
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    class Queued(FakeJob):
        def queue_position(self) -> int:
            return 4

    screen = Terminal()
    job = Queued(None, "q", script=[Hold(Q, seconds=3)])
    job.submit()
    with Monitor(screen) as monitor:
        job.wait_for_final_state(wait=1, callback=monitor.callback, on_status=monitor)
    queued = [line for line in screen.getvalue().split("\r") if "QUEUED" in line]
    assert len(queued) == 4  # on_status at t=0, then the callback after the queries at 0, 1, 2
    assert all("queue position 4" in line for line in queued)


def test_a_class_that_is_no_policy_is_refused_as_a_value(fake_clock: FakeClock) -> None:
    with pytest.raises(TypeError, match=r"^wait must be a number of seconds or a poll policy"):
        ScriptedJob([D]).wait_for_final_state(wait=int)  # type: ignore[arg-type]


def test_a_job_id_with_a_backslash_and_a_control_character_escapes_only_the_latter(
    fake_clock: FakeClock,
) -> None:
    log = io.StringIO()
    job = FakeJob(None, "a\\b\x1b", script=[])
    job.submit()
    job.wait_for_final_state(on_status=Monitor(log))
    assert log.getvalue() == "a\\b\\x1b: DONE · 0.0 s\n"


def test_a_job_answering_qiskits_statuses_is_asked_for_its_hint(fake_clock: FakeClock) -> None:
    providers = pytest.importorskip("qiskit.providers")
    seen: list[object] = []

    class Foreign(ScriptedJob):
        def poll_hint(self, status: JobStatus) -> float | None:
            seen.append(status)
            return 7.0

    qiskit_status = providers.JobStatus
    job = Foreign([qiskit_status.RUNNING, qiskit_status.RUNNING, qiskit_status.DONE])
    job.wait_for_final_state(wait=1)
    assert fake_clock.monotonic() == 14
    assert seen == [R, R]
    assert all(type(status) is JobStatus for status in seen)


def test_a_sleep_cut_short_does_not_make_later_jobs_due(fake_clock: FakeClock) -> None:
    """A wake-up (a job's end) at t=2 must not bring forward a polled job due at t=5."""
    future: concurrent.futures.Future[int] = concurrent.futures.Future()
    pushed = FutureJob(None, "pushed", future)
    times: list[float] = []
    polled = Hinted([R, R, D], "polled", hint=5.0)
    polled.times = times

    class EndsAtTwo(Recording):
        def sleep(self, seconds: float, wakeup: Any = None) -> bool:
            if not future.done():
                super().sleep(2.0, wakeup)  # the future ends 2 s into the sleep
                future.set_result(1)
                return True
            return super().sleep(seconds, wakeup)

    clock = EndsAtTwo()
    with clock:
        order = list(jobv1.as_completed([pushed, polled]))
    assert order == [pushed, polled]
    assert times == [0, 5, 10]
