"""The loop of plain polled jobs behaves exactly as the general loop.

``jobv1.wait`` and ``jobv1.as_completed`` take their own loop
(``jobv1._plain``) when every job is a plainly polled ``JobV1``. Here both
loops run the same scripted jobs in virtual time, and everything the jobs,
the hook and the clock see is recorded and compared: which calls, in which
order, at which times, what the wait returned and how it ended.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import math
import threading
import time
from typing import Any
from unittest import mock

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import jobv1
from conftest import Listening, Recorder, examples, unheard
from jobv1 import (
    Backoff,
    Interrupt,
    JobStatus,
    JobTimeoutError,
    JobV1,
    PollPolicy,
    RateLimit,
    Retry,
    WaitInterruptedError,
    _choose,
    _options,
    aio,
)
from jobv1._plain import Plain
from jobv1._policy import Fixed
from jobv1._polling import Poller
from jobv1._requests import StopIterationError
from jobv1._workers import SKIPPED, UNASKED, Sweep
from jobv1.testing import FakeBackend, FakeClock

R, Q, D, C, E = (
    JobStatus.RUNNING,
    JobStatus.QUEUED,
    JobStatus.DONE,
    JobStatus.CANCELLED,
    JobStatus.ERROR,
)
try:  # answers a Qiskit-minded job gives: equal to ours, not ours
    from qiskit.providers import JobStatus as QiskitStatus

    QISKIT_STATUSES: list[Any] = [QiskitStatus.RUNNING, QiskitStatus.DONE]
except ImportError:  # pragma: no cover - Qiskit is in the dev extra
    QISKIT_STATUSES = []

#: An answer that sets the wait's interrupt, then answers RUNNING.
INTERRUPT = "interrupt"


class Script(JobV1):
    """Answers its script, one step per query; each step may take time, fail or interrupt."""

    def __init__(
        self,
        clock: Recorder,
        job_id: str,
        steps: list[tuple[Any, float]],
        interrupt: Interrupt,
        *,
        in_turn: bool,
    ) -> None:
        super().__init__(None, job_id)
        self.clock, self.steps, self.interrupt = clock, list(steps), interrupt
        # One query at a time: the shared log shows how queries and hooks interleave.
        # Else the queries run at once on workers, and each job keeps its own log.
        self.in_turn = in_turn
        self.queried: list[float] = []

    def submit(self) -> None:
        """Submitted when made."""

    def result(self) -> None:
        """No result."""

    def status(self) -> JobStatus:
        answer, takes = self.steps.pop(0) if len(self.steps) > 1 else self.steps[0]
        self.queried.append(self.clock.monotonic())
        if self.in_turn:
            self.clock.log.append(("status", self.job_id(), self.clock.monotonic()))
            self.clock.advance(takes)
        if answer == INTERRUPT:
            self.interrupt.set()
            return R
        if isinstance(answer, BaseException):
            raise answer
        return answer  # type: ignore[no-any-return]


class Foreign:
    """A job of another library: a :class:`Script`'s answers, with no JobV1 in its class."""

    def __init__(self, script: Script) -> None:
        self.script = script

    def job_id(self) -> str:
        return self.script.job_id()

    def status(self) -> Any:
        return self.script.status()

    @property
    def queried(self) -> list[float]:
        return self.script.queried


#: The general loop, for a run that must not take the plain one.
def _never_plain(jobs: list[Any], kinds: set[Any]) -> bool:
    return False


def _ending(run: tuple[list[tuple[Any, ...]], list[list[float]]]) -> tuple[Any, ...]:
    """How a run ended: returned (and what), or raised (and what)."""
    end = run[0][-2]
    return end[:2] if end[0] == "raised" else end


async def _awaited(
    way: str, jobs: list[Script], options: dict[str, Any], log: list[Any], clock: FakeClock
) -> None:
    """The wait of ``way`` under the asyncio driver, noted in ``log`` as the blocking one is."""
    if way == "wait":
        done, not_done = await aio.wait(jobs, **options)
        log.append(("returned", sorted(j.job_id() for j in done), len(not_done)))
        return
    async for job in aio.as_completed(jobs, **options):
        # Noted as it comes, between the wait's steps, as the blocking run notes it.
        log.append(("yielded", job.job_id(), clock.monotonic()))  # noqa: PERF401
    log.append(("returned",))


def _run(  # noqa: PLR0917 - the test's axes, in order
    path: str,
    driver: str,
    way: str,
    scripts: list[list[tuple[Any, float]]],
    timeout: float | None,
    poll: float | PollPolicy,
    bound: int,
    hook: str,
    listen: bool = False,
    *,
    foreign: bool = False,
) -> tuple[list[tuple[Any, ...]], list[list[float]]]:
    log: list[tuple[Any, ...]] = []
    clock = Recorder(log)
    interrupt = Interrupt()
    scripted = [
        Script(clock, f"j{n}", steps, interrupt, in_turn=bound == 1)
        for n, steps in enumerate(scripts)
    ]
    jobs: list[Any] = [Foreign(job) for job in scripted] if foreign else scripted

    def on_status(job: Any, status: JobStatus) -> None:
        log.append(("on_status", job.job_id(), status, type(status), clock.monotonic()))
        if hook == "slow":
            clock.advance(0.4)
        elif hook == "raises" and status is D:
            raise LookupError("hook")
        elif hook == "stops" and status is D:
            raise StopIteration

    options: dict[str, Any] = {
        "timeout": timeout,
        "poll": poll,
        "max_in_flight": bound,
        "on_status": None if hook == "none" else on_status,
        "interrupt": interrupt,
    }
    general = mock.patch.object(_choose, "plain_fits", _never_plain)
    taken: list[object] = []
    with (
        clock,
        general if path == "general" else contextlib.nullcontext(),
        Listening(log, clock, listen=listen),
    ):
        real = _choose.layout

        def spy(wait: Any) -> Any:
            made = real(wait)
            taken.append(type(made))
            return made

        with mock.patch.object(_choose, "layout", spy):  # the aio waits' too
            try:
                if driver == "asyncio":
                    asyncio.run(_awaited(way, jobs, options, log, clock))
                elif way == "wait":
                    done, not_done = jobv1.wait(jobs, **options)
                    log.append(("returned", sorted(j.job_id() for j in done), len(not_done)))
                else:
                    log.extend(
                        ("yielded", job.job_id(), clock.monotonic())
                        for job in jobv1.as_completed(jobs, **options)
                    )
                    log.append(("returned",))
            # RuntimeError: FakeClock's refusal of a wait that polls without delay for ever.
            except (
                JobTimeoutError,
                WaitInterruptedError,
                TypeError,
                ValueError,
                LookupError,
                StopIteration,
                StopIterationError,
                RuntimeError,
            ) as error:
                if isinstance(error, StopIterationError):  # what an iterator or a coroutine raises
                    error = error.__cause__  # type: ignore[assignment]
                log.append(("raised", type(error), str(error), clock.monotonic()))
    assert taken == [Plain if path == "plain" else Poller]
    log.append(("ended at", clock.monotonic()))
    return log, [job.queried for job in jobs]


answers = st.sampled_from(
    [R, R, R, Q, D, D, C, E, "bad", "DONE", LookupError("503"), StopIteration(), *QISKIT_STATUSES]
)


@st.composite
def scripts_(draw: st.DrawFn, in_turn: bool) -> list[list[tuple[Any, float]]]:
    choices = answers | st.just(INTERRUPT) if in_turn else answers
    takes = st.sampled_from([0.0, 0.0, 0.3, 2.5]) if in_turn else st.just(0.0)
    step = st.tuples(choices, takes)
    return draw(st.lists(st.lists(step, min_size=1, max_size=6), min_size=2, max_size=5))


timeouts = st.none() | st.sampled_from([-1.0, 0.0]) | st.floats(0, 20)
polls: st.SearchStrategy[float | PollPolicy] = (
    st.sampled_from([1, 0.25])
    | st.floats(0.01, 10)
    | st.builds(Fixed, st.floats(0.01, 5))
    | st.builds(Backoff, initial=st.floats(0.05, 1), maximum=st.just(6.0))
)


def _compare(  # noqa: PLR0917 - the test's axes, in order
    way: str,
    scripts: list[list[tuple[Any, float]]],
    timeout: float | None,
    poll: float | PollPolicy,
    bound: int,
    hook: str,
    listen: bool,
    foreign: bool = False,
) -> None:
    """The same calls, hooks and outcome on both loops and both drivers; the same log when heard.

    Issue 23: listening took the general loop, so turning on debug logging
    changed what a wait did (what ``as_completed`` yielded first, with a
    slow hook); it no longer picks the loop, nor changes what either does.
    Each loop runs under the blocking driver and under asyncio's, and all
    four runs see the same. With ``foreign``, the jobs are of another
    library: the general loop asks them through views, the plain one
    directly, and both read their answers alike (a member's name too).
    """
    if timeout is None:  # a wait without a deadline must end
        scripts = [[*steps, (D, 0.0)] for steps in scripts]
    axes = (way, scripts, timeout, poll, bound, hook, listen)
    plain = _run("plain", "blocking", *axes, foreign=foreign)
    assert _run("general", "blocking", *axes, foreign=foreign) == plain
    awaited = [
        _run("plain", "asyncio", *axes, foreign=foreign),
        _run("general", "asyncio", *axes, foreign=foreign),
    ]
    if any(answer == INTERRUPT for steps in scripts for answer, _ in steps):
        # A status() that sets the interrupt is a query under way when it comes:
        # asyncio's driver, which runs it on a worker, may give it up before its
        # answer is in (the deadline rule lets it); the blocking driver, which
        # runs it in this thread, reads it. Either way the wait is interrupted.
        assert [_ending(run) for run in awaited] == [_ending(plain)] * 2
    else:
        assert awaited == [plain, plain]
    assert plain[0][-2][0] in ("raised", "returned")
    if listen:
        assert unheard(plain[0]) == _run("plain", "blocking", *axes[:-1], foreign=foreign)[0]


# The second query crosses the deadline: the first job is asked again there.
@example(
    way="wait",
    scripts=[[(R, 0.0)], [(R, 2.5), (D, 0.0)]],
    timeout=2.0,
    poll=1,
    hook="none",
    listen=True,
    foreign=False,
)
@example(
    way="wait",
    scripts=[[(R, 0.0)], [(R, 0.0)]],
    timeout=0.0,
    poll=1,
    hook="slow",
    listen=False,
    foreign=True,
)
# Eight delays of 0.1 s add up to a hair less than 0.8: that query is the deadline's.
@example(
    way="wait",
    scripts=[[(R, 0.0)], [(R, 0.0)]],
    timeout=0.8,
    poll=0.1,
    hook="none",
    listen=True,
    foreign=False,
)
@settings(max_examples=examples(300))
@given(
    way=st.sampled_from(["wait", "as_completed"]),
    scripts=scripts_(in_turn=True),
    timeout=timeouts,
    poll=polls,
    hook=st.sampled_from(["none", "none", "plain", "slow", "raises", "stops"]),
    listen=st.booleans(),
    foreign=st.booleans(),
)
def test_one_in_flight_the_plain_loop_makes_the_general_loops_calls_at_its_times(  # noqa: PLR0917
    way: str,
    scripts: list[list[tuple[Any, float]]],
    timeout: float | None,
    poll: float | PollPolicy,
    hook: str,
    listen: bool,
    foreign: bool,
) -> None:
    _compare(way, scripts, timeout, poll, 1, hook, listen, foreign)


@settings(max_examples=examples(200))
@given(
    way=st.sampled_from(["wait", "as_completed"]),
    scripts=scripts_(in_turn=False),
    timeout=timeouts,
    poll=polls,
    bound=st.sampled_from([2, 8]),
    hook=st.sampled_from(["none", "plain", "slow", "raises", "stops"]),
    listen=st.booleans(),
    foreign=st.booleans(),
)
def test_many_in_flight_the_plain_loop_makes_the_general_loops_calls_at_its_times(  # noqa: PLR0917
    way: str,
    scripts: list[list[tuple[Any, float]]],
    timeout: float | None,
    poll: float | PollPolicy,
    bound: int,
    hook: str,
    listen: bool,
    foreign: bool,
) -> None:
    _compare(way, scripts, timeout, poll, bound, hook, listen, foreign)


class Plainly(JobV1):
    """A job of a class that keeps every hook of the base: polled, plainly."""

    def submit(self) -> None:
        """Submitted when made."""

    def result(self) -> None:
        """No result."""

    def status(self) -> JobStatus:
        return D


class Hinting(Plainly):
    def poll_hint(self, status: JobStatus) -> float | None:
        return 1.0


class Watching(Plainly):
    def watch(self, wakeup: Any) -> Any:
        return None


class Batching:
    def job_statuses(self, jobs: Any) -> list[JobStatus]:
        return [D for _ in jobs]


class Limited:
    status_rate_limit = RateLimit(10)


def _path(jobs: list[Any], **options: Any) -> type:
    return type(
        _choose.layout(
            _options.check_many(
                jobs,
                timeout=options.get("timeout"),
                poll=options.get("poll", Backoff()),
                on_status=None,
                retry=options.get("retry"),
                interrupt=None,
                max_in_flight=8,
                rate_limit=options.get("rate_limit"),
            )
        )
    )


def test_plain_jobs_take_the_plain_loop_and_every_other_wait_the_general_one() -> None:
    # The comparisons above prove nothing if the plain loop were never taken, or
    # taken where it does not apply.
    plain = [Plainly(None, "a"), Plainly(FakeBackend(), "b")]
    assert _path(plain) is Plain
    assert _path(plain, poll=2.5) is Plain
    assert _path([*plain, plain[0]]) is Plain  # a job given twice counts once
    assert _path(plain[:1]) is Poller  # one job: its timeout message names it
    assert _path([plain[0], plain[0]]) is Poller
    assert _path(plain, poll=Backoff(jitter=0.1)) is Poller  # each job draws its own delays
    assert _path(plain, retry=Retry(LookupError)) is Poller
    assert _path(plain, rate_limit=RateLimit(5)) is Poller
    assert _path([*plain, Hinting(None, "h")]) is Poller
    assert _path([*plain, Watching(None, "w")]) is Poller
    assert _path([*plain, Plainly(Batching(), "x")]) is Poller  # type: ignore[arg-type]
    assert _path([*plain, Plainly(Limited(), "l")]) is Poller  # type: ignore[arg-type]
    assert _path([*plain, mock.Mock(job_id=lambda: "m", status=lambda: D)]) is Poller
    # A JobV1 that keeps a future of its own is still polled: only another library's job
    # on a local future is watched through its view.
    kept = Plainly(None, "kept")
    kept._future = concurrent.futures.Future()  # type: ignore[attr-defined]
    assert _path([*plain, kept, Duck()]) is Plain


def test_an_object_with_no_status_is_refused_on_the_way_to_the_plain_loop() -> None:
    class NoStatus:
        def job_id(self) -> str:
            return "no status"

    with pytest.raises(TypeError, match="jobs must hold only jobs"):
        jobv1.wait([Plainly(None, "a"), Plainly(None, "b"), NoStatus()])


class Unhashable:
    """A backend that compares by value and so cannot be hashed."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Unhashable)

    __hash__ = None  # type: ignore[assignment]


class Uninitialised(Plainly):
    """A job whose ``__init__`` forgot JobV1's: it has no backend at all."""

    def __init__(self, job_id: str) -> None:
        self.name = job_id


class Duck:
    """A job of another library: ``job_id()`` and ``status()``, and whatever else it keeps."""

    def __init__(self, **attributes: Any) -> None:
        self.__dict__.update(attributes)

    def job_id(self) -> str:
        return "duck"

    def status(self) -> JobStatus:
        return D


class Registered:
    """A class registered as a virtual subclass of JobV1: waited on as itself."""

    def job_id(self) -> str:
        return "registered"

    def status(self) -> JobStatus:
        return D


JobV1.register(Registered)


def test_jobs_of_other_libraries_take_the_plain_loop_unless_they_run_on_a_future() -> None:
    """Issue 23: a wait over Qiskit's jobs or any job-like object ran the general loop.

    It asked each job through a view, at many times the cost of jobv1's own;
    the plain loop asks them directly and reads their answers as the view does.
    """
    import concurrent.futures

    plain = [Plainly(None, "a"), Plainly(FakeBackend(), "b")]
    assert _path([Duck(), Duck()]) is Plain
    assert _path([*plain, Duck(_backend=Batching())]) is Plain  # its backend is not looked at
    assert _path([*plain, Duck(_future="not a future")]) is Plain  # polled, as its view is
    assert _path([*plain, Duck(_future=concurrent.futures.Future())]) is Poller  # watched
    assert _path([*plain, Registered()]) is Poller
    # Among another library's jobs, a jobv1 job's backend is looked at as ever.
    assert _path([Duck(), Plainly(Batching(), "x"), plain[0]]) is Poller  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="jobs must hold only jobs"):
        _path([*plain, Plainly])  # a class is not a job


class UnhashableBatching(Unhashable):
    def job_statuses(self, jobs: Any) -> list[JobStatus]:
        return [D for _ in jobs]


def test_backends_that_cannot_be_hashed_are_each_looked_at() -> None:
    batching, other = UnhashableBatching(), Unhashable()
    assert _path([Plainly(batching, "x"), Plainly(other, "y")]) is Poller  # type: ignore[arg-type]
    assert _path([Plainly(Unhashable(), "x"), Plainly(other, "y")]) is Plain  # type: ignore[arg-type]


class NamingDuck(Duck):
    """A job of another library that answers a member's name, as its view reads it."""

    def status(self) -> Any:
        return "DONE"


class Named(Plainly):
    """A jobv1 job that answers a member's name, which only another library's job may."""

    def status(self) -> Any:
        return "DONE"


def test_each_job_of_a_mixed_wait_is_read_as_its_own_kind(loop: str) -> None:
    duck, plainly = NamingDuck(), Plainly(None, "a")
    assert jobv1.wait([plainly, duck], timeout=0).done == {duck, plainly}
    named = Named(None, "n")
    outcome = jobv1.wait([duck, named], timeout=0)
    assert outcome.done == {duck, named}
    assert list(outcome.failures) == [named]
    assert "returned 'DONE', which is not a JobStatus" in str(outcome.failures[named])


class CountingDuck(Duck):
    """A job of another library that answers a member's name, ``left`` times RUNNING, then DONE."""

    def __init__(self, left: int) -> None:
        super().__init__()
        self.left, self.asked = left, 0

    def status(self) -> Any:
        self.asked += 1
        return "RUNNING" if self.asked <= self.left else "DONE"


def test_asyncio_one_at_a_time_reads_an_answer_that_may_not_be_a_status_first(
    fake_clock: FakeClock,
) -> None:
    """With one in flight and nothing to tell, asyncio hands a round to one worker at once.

    The worker stops at an answer that may not be a status (a member's
    name), which the wait reads before it asks the next job, and goes on.
    """
    jobs = [CountingDuck(2), CountingDuck(1), CountingDuck(0)]
    done, not_done = asyncio.run(aio.wait(jobs, poll=1, max_in_flight=1))
    assert (done, not_done) == (set(jobs), set())
    assert [job.asked for job in jobs] == [3, 2, 1]


def test_a_class_registered_as_a_jobv1_is_waited_on_though_it_has_no_watch_or_hint() -> None:
    # Reading its class's watch() and poll_hint() raised AttributeError.
    jobs = [Registered(), Registered()]
    assert jobv1.wait(jobs, timeout=0).done == set(jobs)


def test_backends_that_cannot_be_hashed_or_are_missing_are_each_looked_at() -> None:
    unhashable = [Plainly(Unhashable(), "a"), Plainly(Unhashable(), "b")]  # type: ignore[arg-type]
    assert _path(unhashable) is Plain
    assert _path([*unhashable, Plainly(Batching(), "x")]) is Poller  # type: ignore[arg-type]
    assert _path([Uninitialised("a"), Uninitialised("b")]) is Plain
    assert _path([Uninitialised("a"), Plainly(Limited(), "l")]) is Poller  # type: ignore[arg-type]


@pytest.mark.parametrize("order", ["first", "last"])
def test_a_jobs_hints_are_its_classs_on_both_loops_whatever_the_order(
    fake_clock: FakeClock, loop: str, order: str
) -> None:
    """Issue 23: the plain loop looked at the first job of each class alone.

    A hint set on one job's instance was obeyed when that job came first and
    ignored otherwise; a wait reads hints from the class, on every path.
    """

    class Running(Plainly):
        def __init__(self, job_id: str) -> None:
            super().__init__(None, job_id)
            self.times: list[float] = []

        def status(self) -> JobStatus:
            self.times.append(fake_clock.monotonic())
            return R

    class Hinted(Running):
        def poll_hint(self, status: JobStatus) -> float | None:
            return 0.5

    def run(*jobs: Running) -> list[list[float]]:
        jobv1.wait(list(jobs) if order == "first" else list(jobs)[::-1], timeout=2, poll=1)
        return [job.times for job in jobs]

    start = fake_clock.monotonic()
    odd = Running("odd")
    odd.poll_hint = lambda status: 0.5  # type: ignore[method-assign]  # not looked for
    assert run(odd, Running("plain")) == [[start + t for t in (0, 1, 2)]] * 2
    start = fake_clock.monotonic()
    hinted = Hinted("hinted")
    assert run(hinted, Running("plain"))[0] == [start + t / 2 for t in range(5)]


def test_a_listener_keeps_the_plain_loop_which_tells_it_what_it_does(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Issue 23: a listener took the general loop, so debug logging changed the path."""
    plain = [Plainly(None, "a"), Plainly(None, "b")]
    with caplog.at_level("DEBUG", logger="jobv1"):
        assert _path(plain) is Plain
        jobv1.wait(plain)
    assert [record.getMessage() for record in caplog.records][:2] == [
        "job a is DONE (attempt 1)",
        "job b is DONE (attempt 1)",
    ]


@pytest.mark.parametrize("hook", [False, True])
def test_thousands_of_plain_jobs_in_flight_end_round_by_round_in_order(
    fake_clock: FakeClock, hook: bool
) -> None:
    clock, stop = Recorder([]), Interrupt()
    jobs = [
        Script(clock, f"j{n}", [(R, 0.0)] * (n % 7) + [(D, 0.0)], stop, in_turn=False)
        for n in range(3000)
    ]
    statuses: list[tuple[str, JobStatus]] = []
    on_status = (lambda job, status: statuses.append((job.job_id(), status))) if hook else None
    seen = [job.job_id() for job in jobv1.as_completed(jobs, poll=1, on_status=on_status)]
    # A job ends after n % 7 RUNNING answers, one round apart; in a round, in the jobs' order.
    assert seen == [f"j{n}" for ends in range(7) for n in range(3000) if n % 7 == ends]
    assert [len(job.queried) for job in jobs] == [n % 7 + 1 for n in range(3000)]
    assert fake_clock.monotonic() == 6.0
    if hook:
        assert statuses[:3000] == [(f"j{n}", D if n % 7 == 0 else R) for n in range(3000)]
        assert len(statuses) == 3000 + sum(1 for n in range(3000) if n % 7)


def test_a_stopped_sweep_asks_no_more_jobs() -> None:
    # A round given up at the deadline or an interrupt: a worker that comes back
    # from a slow query begins no other.
    ended = threading.Event()
    jobs = [Plainly(None, "a"), Plainly(None, "b")]
    sweep = Sweep(jobs, time.monotonic, math.inf, ended)
    sweep.active = 1  # one worker, as start(1) would count it
    sweep.stop()
    sweep.work()
    assert sweep.answers == [UNASKED, UNASKED]
    assert sweep.asked == 0
    assert ended.is_set()
    # A worker that takes a job just as the sweep stops (after stop() counted those
    # left) says it never asked it, so that no wait takes it for a query under way.
    racing = Sweep(jobs, time.monotonic, math.inf, threading.Event())
    racing.active = 1
    racing.stopped = True
    racing.work()
    assert racing.answers == [SKIPPED, UNASKED]
    assert racing.stop() == [1]


def test_a_delay_past_the_clocks_range_is_refused_on_both_loops(loop: str) -> None:
    clock = Recorder([])
    clock.advance(1.7e308)
    jobs = [Plainly(None, "a"), Script(clock, "b", [(R, 0.0)], Interrupt(), in_turn=True)]
    with clock, pytest.raises(ValueError, match="job 'b' goes past the end of the clock's range"):
        jobv1.wait(jobs, poll=1.7e308)


@pytest.mark.parametrize("listen", [False, True])
def test_a_slow_hook_over_a_thousand_jobs_yields_alike_heard_or_not(
    loop: str, listen: bool, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 23: 1,001 jobs, a 10 ms hook: j0 first at t=20 on one loop, j1000 at t=10 on the other.

    The plain loop asked a round's queries all at once, the general one 1,000
    at a time, and a listener picked the general one: both now ask a round's
    queries together, then read the answers, and a listener picks nothing.
    """
    from jobv1.testing import FakeBackend, Hold

    with FakeClock() as clock, caplog.at_level("DEBUG" if listen else "WARNING", logger="jobv1"):
        backend = FakeBackend()
        jobs = [backend.run(script=[Hold(R, seconds=5)]) for _ in range(1001)]
        first = next(jobv1.as_completed(jobs, on_status=lambda job, status: clock.advance(0.01)))
        # All asked at 0 (RUNNING), 1,001 hooks; asked again at 10.01 + 0.05 (DONE), hooks.
        assert (jobs.index(first), round(clock.monotonic(), 6)) == (0, 20.07)


def test_a_status_raising_stop_iteration_in_turn_is_its_jobs_failure(loop: str) -> None:
    """The hypothesis suites draw this case; it is pinned here so that it is always run."""

    class Stopping(Plainly):
        def status(self) -> JobStatus:
            raise StopIteration

    for bound in (1, 8):
        fine, stopping = Plainly(None, "a"), Stopping(None, "b")
        outcome = jobv1.wait([fine, stopping], max_in_flight=bound)
        assert outcome.done == {fine, stopping}
        assert type(outcome.exception(stopping)) is StopIteration
        assert outcome.exception(fine) is None
        with pytest.raises(StopIteration):
            stopping.wait_for_final_state()


def test_asyncio_one_at_a_time_asks_the_rest_of_the_round_after_a_part_ends(
    fake_clock: FakeClock,
) -> None:
    """A part of a round ends at each answer that may not be a status; the round goes on."""
    times: dict[str, list[float]] = {}

    class Named:
        """A job of another library that answers the names of its states."""

        def __init__(self, name: str) -> None:
            self.name = name
            self.answers = ["RUNNING", "DONE"]

        def job_id(self) -> str:
            return self.name

        def status(self) -> str:
            times.setdefault(self.name, []).append(fake_clock.monotonic())
            return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]

    jobs = [Named(f"n{n}") for n in range(3)]
    assert asyncio.run(aio.wait(jobs, poll=1, max_in_flight=1)).done == set(jobs)
    assert times == {"n0": [0.0, 1.0], "n1": [0.0, 1.0], "n2": [0.0, 1.0]}
