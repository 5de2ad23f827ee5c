"""Every layout, under both drivers, on the real clock: the same calls, hooks and outcome.

The differential suites of ``test_alone``, ``test_plain`` and
``test_futurewait`` run in virtual time, where each query's time is exact and
can be compared. Here the same waits run on the system clock, with real
worker threads and ``status()`` calls that take real time, as a wait meets
them in production: each path (the fast layout a wait would take, and the
general loop made to take it) under each driver, with logging and tracing
on and off. Times differ from run to run, so what is compared is what must
not depend on them: which answers each job gave (the queries it saw), each
job's ``on_status`` sequence, what the wait returned, yielded or raised. A
wait with a deadline is compared on what the deadline decides whatever the
machine's speed: the jobs that end at their first query are done, those that
never end are not, and each of those was asked again at the deadline.

Issue 23, point 6. Marked ``realtime``; the margins are generous.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import jobv1
from conftest import Listening
from jobv1 import (
    FutureJob,
    Interrupt,
    JobStatus,
    JobTimeoutError,
    JobV1,
    WaitInterruptedError,
    _choose,
    _polling,
    aio,
)
from jobv1._clock import SYSTEM
from jobv1._futurewait import FutureWait
from jobv1._plain import Plain
from jobv1._policy import Fixed

pytestmark = pytest.mark.realtime

R, Q, D, C, E = (
    JobStatus.RUNNING,
    JobStatus.QUEUED,
    JobStatus.DONE,
    JobStatus.CANCELLED,
    JobStatus.ERROR,
)
#: An answer that sets the wait's interrupt, then answers RUNNING.
INTERRUPT = "interrupt"
#: What a run of a wait may raise, for the comparison.
RAISED = (JobTimeoutError, WaitInterruptedError, LookupError, ValueError)
#: Seconds between queries: short, so that an example takes little time.
POLL = Fixed(0.003)
#: A deadline no query of a finishing job comes near, on a busy machine too.
GENEROUS = 5.0
#: A deadline for waits whose finishing jobs end at their first query (at the start). It
#: must outlast the start of a wait on a busy machine (threads, an event loop, coverage):
#: a first round begun at the deadline is the deadline's own, and asks each job once only.
SHORT = 0.5

_SETTINGS = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)


class Timed(JobV1):
    """Answers its script, one step per query; each step takes real time, may fail or interrupt."""

    def __init__(self, job_id: str, steps: list[tuple[Any, float]], interrupt: Interrupt) -> None:
        super().__init__(None, job_id)
        self.steps, self.interrupt = list(steps), interrupt
        #: The answers given, in order: the queries the job saw.
        self.seen: list[Any] = []

    def submit(self) -> None:
        """Submitted when made."""

    def result(self) -> None:
        """No result."""

    def status(self) -> JobStatus:
        answer, takes = self.steps.pop(0) if len(self.steps) > 1 else self.steps[0]
        self.seen.append(answer if isinstance(answer, (JobStatus, str)) else repr(answer))
        if takes:
            time.sleep(takes)
        if answer == INTERRUPT:
            self.interrupt.set()
            return R
        if isinstance(answer, BaseException):
            raise answer
        return answer  # type: ignore[no-any-return]


@contextlib.contextmanager
def _tracing(on: bool) -> Iterator[None]:
    """An OpenTelemetry tracer provider that keeps spans in memory, if ``on``."""
    if not on:
        yield
        return
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with mock.patch.object(trace, "get_tracer_provider", return_value=provider):
        yield
    provider.shutdown()
    assert exporter.get_finished_spans()  # the wait was heard


@contextlib.contextmanager
def _path(path: str, expected: type) -> Iterator[None]:
    """Make the waits on many jobs take ``path``: their own layout, or the general loop."""
    taken: list[object] = []
    real = _choose.layout

    def chosen(wait: Any) -> Any:
        made = _polling.general(wait) if path == "general" else real(wait)
        taken.append(made)
        return made

    with mock.patch.object(_choose, "layout", chosen):  # the aio waits' too
        yield
    assert [type(made) for made in taken] == [_polling.Poller if path == "general" else expected]


def _wait(way: str, driver: str, jobs: list[Any], options: dict[str, Any]) -> tuple[Any, ...]:
    """Run one wait; what it returned or yielded, by job id."""
    if way == "wait":
        if driver == "blocking":
            returned = jobv1.wait(jobs, **options)
        else:
            returned = asyncio.run(aio.wait(jobs, **options))
        done, not_done = returned
        failed = {job.job_id(): repr(error) for job, error in returned.failures.items()}
        return (
            "returned",
            sorted(j.job_id() for j in done),
            sorted(j.job_id() for j in not_done),
            *([failed] if failed else []),
        )
    options.pop("return_when", None)

    async def collect() -> list[str]:
        return [job.job_id() async for job in aio.as_completed(jobs, **options)]

    if driver == "blocking":
        yielded = [job.job_id() for job in jobv1.as_completed(jobs, **options)]
    else:
        yielded = asyncio.run(collect())
    return ("yielded", sorted(yielded))


def _polled(
    path: str,
    driver: str,
    way: str,
    scripts: list[list[tuple[Any, float]]],
    *,
    timeout: float | None = None,
    max_in_flight: int = 8,
    hooked: bool = True,
    hook_takes: float = 0.0,
    hook_raises_on: str | None = None,
    listen: bool = False,
    trace: bool = False,
    return_when: str = jobv1.ALL_COMPLETED,
) -> dict[str, Any]:
    """One run of a wait on polled jobs; what must not depend on the machine's speed."""
    interrupt = Interrupt()
    jobs = [Timed(f"j{n}", steps, interrupt) for n, steps in enumerate(scripts)]
    hooks: dict[str, list[JobStatus]] = defaultdict(list)

    def on_status(job: Any, status: JobStatus) -> None:
        hooks[job.job_id()].append(status)
        if hook_takes:
            time.sleep(hook_takes)
        if job.job_id() == hook_raises_on and status is R:
            raise LookupError(f"hook of {job.job_id()}")

    options = {
        "timeout": timeout,
        "poll": POLL,
        "max_in_flight": max_in_flight,
        "interrupt": interrupt,
        "on_status": on_status if hooked else None,
        "return_when": return_when,
    }
    log: list[tuple[Any, ...]] = []
    with _path(path, Plain), Listening(log, SYSTEM, listen=listen), _tracing(trace):
        try:
            outcome = _wait(way, driver, jobs, options)
        except RAISED as error:
            outcome = ("raised", type(error), str(error))
    assert bool(log) == listen  # the logger heard the wait, when it listened
    return {
        "outcome": outcome,
        "seen": {job.job_id(): job.seen for job in jobs},
        "hooks": dict(hooks),
    }


def _on_every_path(way: str, scripts: list[list[tuple[Any, float]]], **options: Any) -> list[Any]:
    """The runs of one wait on polled jobs: its own layout and the general loop, each driver."""
    return [
        _polled(path, driver, way, scripts, **options)
        for path in ("plain", "general")
        for driver in ("blocking", "asyncio")
    ]


_finishing = st.lists(
    st.tuples(st.sampled_from([R, R, Q]), st.sampled_from([0.0, 0.0, 0.002, 0.01])),
    max_size=3,
).flatmap(lambda steps: st.sampled_from([D, C, E]).map(lambda end: [*steps, (end, 0.0)]))


@_SETTINGS
@given(
    scripts=st.lists(_finishing, min_size=2, max_size=5),
    way=st.sampled_from(["wait", "as_completed"]),
    max_in_flight=st.sampled_from([1, 4]),
    hooked=st.booleans(),
    hook_takes=st.sampled_from([0.0, 0.002]),
)
def test_jobs_that_end_see_the_same_queries_on_every_path(
    scripts: list[list[tuple[Any, float]]],
    way: str,
    max_in_flight: int,
    hooked: bool,
    hook_takes: float,
) -> None:
    """No deadline: every job is asked until it ends, whatever the path, driver or listener."""
    runs = [
        run
        for listen, trace in ((False, False), (True, True))
        for run in _on_every_path(
            way,
            scripts,
            max_in_flight=max_in_flight,
            hooked=hooked,
            hook_takes=hook_takes,
            listen=listen,
            trace=trace,
        )
    ]
    expected_seen = {f"j{n}": [answer for answer, _ in steps] for n, steps in enumerate(scripts)}
    for run in runs:
        assert run == runs[0]
    assert runs[0]["seen"] == expected_seen
    everyone = sorted(expected_seen)
    assert runs[0]["outcome"] in (("returned", everyone, []), ("yielded", everyone))


@settings(_SETTINGS, max_examples=6)
@given(
    ending=st.lists(st.sampled_from([D, C, E]), min_size=1, max_size=3),
    never=st.integers(1, 3),
    way=st.sampled_from(["wait", "as_completed"]),
    max_in_flight=st.sampled_from([1, 4]),
    takes=st.sampled_from([0.0, 0.002]),
    listen=st.booleans(),
)
def test_at_the_deadline_every_path_asks_again_and_returns_the_same_sets(  # noqa: PLR0917
    ending: list[JobStatus], never: int, way: str, max_in_flight: int, takes: float, listen: bool
) -> None:
    """Jobs that end at once are done, those that never end are not and were asked again."""
    scripts = [[(status, 0.0)] for status in ending] + [[(R, takes)]] * never
    runs = _on_every_path(way, scripts, timeout=SHORT, max_in_flight=max_in_flight, listen=listen)
    enders = [f"j{n}" for n in range(len(ending))]
    stuck = [f"j{n}" for n in range(len(ending), len(scripts))]
    for run in runs:
        if way == "wait":
            assert run["outcome"] == ("returned", enders, stuck)
        else:
            assert run["outcome"][:2] == ("raised", JobTimeoutError)
            assert f"{len(stuck)} of {len(scripts)} jobs" in run["outcome"][2]
        assert run["hooks"] == runs[0]["hooks"]
        for job in enders:
            assert len(run["seen"][job]) == 1
        for job in stuck:
            assert len(run["seen"][job]) >= 2  # at the start, and at the deadline


@_SETTINGS
@given(
    before=st.integers(0, 3),
    trouble=st.sampled_from(["status fails", "hook fails", "interrupt"]),
    others=st.integers(1, 3),
    max_in_flight=st.sampled_from([1, 4]),
)
def test_a_failure_or_an_interrupt_ends_every_path_alike(
    before: int, trouble: str, others: int, max_in_flight: int
) -> None:
    """One job's failing hook, or interrupt, ends the wait on every path; a failing query its job.

    ``FIRST_EXCEPTION`` returns at the job whose query failed, the others not done.
    """
    # The hook fails on the job's first RUNNING: the query after ``before`` QUEUED ones.
    last: Any = {"status fails": LookupError("503"), "interrupt": INTERRUPT}.get(trouble, R)
    troubled = [(Q, 0.002)] * before + [(last, 0.0), (R, 0.0)]
    scripts = [troubled] + [[(R, 0.0)]] * others
    runs = _on_every_path(
        "wait",
        scripts,
        timeout=GENEROUS,
        max_in_flight=max_in_flight,
        hook_raises_on="j0" if trouble == "hook fails" else None,
        return_when=jobv1.FIRST_EXCEPTION,
    )
    for run in runs:
        if trouble == "status fails":
            others_ = [f"j{n}" for n in range(1, others + 1)]
            assert run["outcome"] == ("returned", ["j0"], others_, {"j0": "LookupError('503')"})
            assert run["hooks"]["j0"][-1] is E  # told as ERROR
            continue
        expected = {
            "hook fails": (LookupError, "hook of j0"),
            "interrupt": (WaitInterruptedError,),
        }[trouble]
        assert run["outcome"][0] == "raised"
        assert run["outcome"][1 : 1 + len(expected)] == expected
    first = [run["seen"]["j0"][: before + 1] for run in runs]
    assert first == [[Q] * before + [runs[0]["seen"]["j0"][before]]] * len(runs)


def test_more_than_a_thousand_jobs_take_the_same_queries_on_every_path() -> None:
    """1,500 jobs, each ending at its first, second or third query."""
    scripts = [[(R, 0.0)] * (n % 3) + [((D, C, E)[n % 3], 0.0)] for n in range(1500)]
    runs = [run for way in ("wait", "as_completed") for run in _on_every_path(way, scripts)]
    for run in runs:
        assert run["seen"] == runs[0]["seen"]
        assert run["hooks"] == runs[0]["hooks"]
    assert [len(seen) for seen in runs[0]["seen"].values()] == [n % 3 + 1 for n in range(1500)]


def _futures(
    path: str, driver: str, way: str, ends: list[float | None], timeout: float | None
) -> tuple[Any, ...]:
    """One wait on FutureJobs whose futures a thread ends after ``ends`` seconds (None: never)."""
    futures: list[concurrent.futures.Future[int]] = [concurrent.futures.Future() for _ in ends]
    jobs = [FutureJob(None, f"f{n}", future) for n, future in enumerate(futures)]
    timers = [
        threading.Timer(after, future.set_result, (n,))
        for n, (after, future) in enumerate(zip(ends, futures, strict=True))
        if after is not None
    ]
    for timer in timers:
        timer.start()
    try:
        with _path(path, FutureWait):
            try:
                return _wait(way, driver, jobs, {"timeout": timeout, "poll": POLL})
            except JobTimeoutError as error:
                return ("raised", type(error), str(error))
    finally:
        for timer in timers:
            timer.cancel()
            timer.join()


@_SETTINGS
@given(
    ends=st.lists(st.sampled_from([0.0, 0.005, 0.02]), min_size=2, max_size=6),
    never=st.integers(0, 2),
    way=st.sampled_from(["wait", "as_completed"]),
)
def test_future_jobs_end_alike_on_every_path(ends: list[float], never: int, way: str) -> None:
    """FutureJobs: their own layout and the general loop, under both drivers."""
    given_ends: list[float | None] = [*ends, *([None] * never)]
    timeout = SHORT if never else None
    runs = [
        _futures(path, driver, way, given_ends, timeout)
        for path in ("futures", "general")
        for driver in ("blocking", "asyncio")
    ]
    assert runs == [runs[0]] * len(runs)
    enders = [f"f{n}" for n in range(len(ends))]
    stuck = [f"f{n}" for n in range(len(ends), len(given_ends))]
    if way == "wait":
        assert runs[0] == ("returned", enders, stuck)
    elif stuck:
        assert runs[0][:2] == ("raised", JobTimeoutError)
    else:
        assert runs[0] == ("yielded", enders)


@_SETTINGS
@given(
    steps=st.lists(
        st.tuples(st.sampled_from([R, Q]), st.sampled_from([0.0, 0.002])), max_size=4
    ).map(lambda steps: [*steps, (D, 0.0)]),
    with_callback=st.booleans(),
    driver=st.sampled_from(["blocking", "fast", "asyncio"]),
)
def test_one_job_sees_the_same_queries_and_callbacks_on_every_path(
    steps: list[tuple[Any, float]], with_callback: bool, driver: str
) -> None:
    """``wait_for_final_state``: the fast path, the general loop, and the asyncio driver."""
    job = Timed("one", steps, Interrupt())
    called: list[tuple[str, JobStatus]] = []

    def callback(job_id: str, status: JobStatus, handle: Any) -> None:
        called.append((job_id, status))

    hook = callback if with_callback else None
    if driver == "fast":
        job.wait_for_final_state(GENEROUS, 0.003, hook)
    elif driver == "blocking":  # the general loop: an on_status takes it
        job.wait_for_final_state(GENEROUS, 0.003, hook, on_status=lambda job, status: None)
    else:
        asyncio.run(aio.wait_for_final_state(job, GENEROUS, 0.003, hook))
    assert job.seen == [answer for answer, _ in steps]
    expected = [("one", answer) for answer, _ in steps[:-1]] if with_callback else []
    assert called == expected
