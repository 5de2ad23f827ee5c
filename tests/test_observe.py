"""What waits tell the jobv1 logger and OpenTelemetry (virtual time; the SDK's in-memory exporter)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest

import jobv1
from conftest import ScriptedJob
from jobv1 import Interrupt, JobStatus, JobTimeoutError, RateLimit, Retry, WaitInterruptedError, aio
from jobv1._observe import listening, observer
from jobv1.testing import FakeBackend, FakeClock, FakeJob, Hold
from test_many import BatchBackend

Q, R, D = JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.DONE


@pytest.fixture
def debug(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG, logger="jobv1")
    return caplog


def records(
    caplog: pytest.LogCaptureFixture, level: int = logging.DEBUG
) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "jobv1" and r.levelno == level]


class Failing(ScriptedJob):
    """Fails its first ``failures`` queries with a ConnectionError, then follows its script."""

    def __init__(self, statuses: list[Any], failures: int) -> None:
        super().__init__(statuses, "flaky")
        self.failures = failures

    def status(self) -> JobStatus:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("503")
        return super().status()


class Hinted(ScriptedJob):
    """Hints ``seconds`` after each query."""

    seconds = 7.0

    def poll_hint(self, status: JobStatus) -> float | None:
        return self.seconds


# ---------------------------------------------------------------------------- logging


def test_each_query_and_sleep_is_a_debug_record(fake_clock: FakeClock, debug: Any) -> None:
    job = FakeBackend().run(script=[Hold(R, seconds=2)])
    job.wait_for_final_state(timeout=10, wait=1)
    messages = [record.getMessage() for record in records(debug)]
    assert messages == [
        "job fake-1 is RUNNING (attempt 1)",
        "sleeping 1 s (policy)",
        "job fake-1 is RUNNING (attempt 1)",
        "sleeping 1 s (policy)",
        "job fake-1 is DONE (attempt 1)",
    ]
    query, sleep = records(debug)[:2]
    assert (query.jobv1_job_id, query.jobv1_status, query.jobv1_attempt) == ("fake-1", "RUNNING", 1)  # type: ignore[attr-defined]
    assert (sleep.jobv1_seconds, sleep.jobv1_reason) == (1, "policy")  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("make", "wait", "reason"),
    [
        (lambda: Hinted([R]), {"poll": 1}, "hint"),
        (lambda: ScriptedJob([R]), {"poll": 50}, "deadline"),
        (lambda: Failing([D], failures=1), {"retry": Retry(ConnectionError)}, "retry"),
        (lambda: ScriptedJob([R]), {"rate_limit": RateLimit(1, per=2.0)}, "rate limit"),
    ],
    ids=["hint", "deadline", "retry", "rate limit"],
)
def test_each_sleep_says_why(
    fake_clock: FakeClock, debug: Any, make: Any, wait: dict[str, Any], reason: str
) -> None:
    jobv1.wait([make(), make()], timeout=20, **wait)
    reasons = [r.jobv1_reason for r in records(debug) if hasattr(r, "jobv1_reason")]
    assert reason in reasons


class Soon(Hinted):
    """Hints half a second."""

    seconds = 0.5


class Tied(Hinted):
    """Hints a second: as soon as the policy of ``poll=1``."""

    seconds = 1.0


class Called(ScriptedJob):
    """Says it calls back when it ends (it never does): asked at its resync interval."""

    resync_interval = 10.0

    def watch(self, wakeup: Any) -> Any:
        return lambda: None


class LongPolled(ScriptedJob):
    """A long-poll service that holds no query: asked again at once after news."""

    status_long_poll = 30.0

    def status(self, wait: float = 0.0) -> JobStatus:
        return super().status()


def _batched() -> list[Any]:
    backend = BatchBackend()
    return [backend.run(script=[Hold(R, seconds=3)]) for _ in range(2)]


@pytest.mark.parametrize(
    ("make", "sleeps"),
    [
        # the hint's 0.5 s comes first, whichever job is planned after it
        (lambda: [Soon([R, D], "soon"), ScriptedJob([R, D])], [(0.5, "hint"), (0.5, "schedule")]),
        (lambda: [Soon([R, D], "soon"), *_batched()], [(0.5, "hint"), (0.5, "schedule")]),
        (lambda: [Soon([R, D], "soon"), Called([R, D])], [(0.5, "hint"), (9.5, "schedule")]),
        # a tie: the first job's plan says why
        (lambda: [Tied([R, D], "tied"), ScriptedJob([R, D])], [(1, "hint")]),
        # a batch's jobs by the policy; jobs that call back by their resync interval
        (_batched, [(1, "policy"), (1, "policy"), (1, "policy")]),
        (lambda: [Called([R, R, D]), Called([R, D], "other")], [(10, "resync"), (10, "resync")]),
        # RUNNING at 1 s is news: the long-poll is asked again at once, the other job at 2 s
        (
            lambda: [LongPolled([Q, R, R, D], "held"), ScriptedJob([R, R, D])],
            [(1, "policy"), (0, "long-poll"), (1, "policy")],
        ),
    ],
    ids=["policy", "batch", "resync", "tie", "batch alone", "resync alone", "long-poll"],
)
def test_a_wait_on_many_jobs_sleeps_to_the_soonest_plan_and_says_why(
    fake_clock: FakeClock, debug: Any, make: Any, sleeps: list[tuple[float, str]]
) -> None:
    jobs = make()
    assert jobv1.wait(jobs, timeout=60, poll=1).done == set(jobs)
    assert fake_clock.monotonic() < 30  # every job planned: none left to the deadline
    told = [
        (vars(r)["jobv1_seconds"], vars(r)["jobv1_reason"])
        for r in records(debug)
        if hasattr(r, "jobv1_reason")
    ]
    assert told[: len(sleeps)] == sleeps


def test_a_sleep_until_a_job_planned_in_an_earlier_round_says_schedule(
    fake_clock: FakeClock, debug: Any
) -> None:
    slow, fast = Hinted([R]), ScriptedJob([R])
    slow.poll_hint = lambda status: 1.5  # type: ignore[method-assign]
    jobv1.wait([slow, fast], timeout=3, poll=1)
    reasons = [r.jobv1_reason for r in records(debug) if hasattr(r, "jobv1_reason")]
    assert reasons[:3] == ["policy", "schedule", "schedule"]  # to 1 (fast), 1.5 (slow), 2 (fast)


def test_only_calls_back_are_awaited_says_push(fake_clock: FakeClock, debug: Any) -> None:
    import concurrent.futures

    future: concurrent.futures.Future[int] = concurrent.futures.Future()
    job = jobv1.FutureJob(None, "pushed", future)

    async def main() -> Any:
        asyncio.get_running_loop().call_soon(future.set_result, 1)
        return await aio.wait([job])

    assert asyncio.run(main()).done == {job}
    reasons = [r.jobv1_reason for r in records(debug) if hasattr(r, "jobv1_reason")]
    assert reasons == ["push"]


def test_a_ridden_out_failure_is_a_warning_even_without_debug(
    fake_clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="jobv1")
    job = Failing([D], failures=2)
    job.wait_for_final_state(wait=1, retry=Retry(ConnectionError))
    warnings = records(caplog, logging.WARNING)
    assert [w.getMessage() for w in warnings] == [
        "a status query of job flaky failed (1 of 5 failures allowed): ConnectionError('503')",
        "a status query of job flaky failed (2 of 5 failures allowed): ConnectionError('503')",
    ]
    assert warnings[1].jobv1_attempt == 2  # type: ignore[attr-defined]
    assert warnings[1].jobv1_job_id == "flaky"  # type: ignore[attr-defined]
    assert warnings[1].jobv1_error == "ConnectionError('503')"  # type: ignore[attr-defined]
    assert not records(caplog)  # no debug records: nobody asked for them


def test_the_query_after_ridden_out_failures_counts_them_as_attempts(
    fake_clock: FakeClock, debug: Any
) -> None:
    """In a wait on many jobs too: the answer after two failures is the third attempt."""
    flaky, steady = Failing([D], failures=2), ScriptedJob([R, D], "steady")
    jobv1.wait([flaky, steady], poll=1, retry=Retry(ConnectionError, backoff=1))
    told = [
        (vars(r)["jobv1_job_id"], vars(r)["jobv1_status"], vars(r)["jobv1_attempt"])
        for r in records(debug)
        if hasattr(r, "jobv1_attempt")
    ]
    assert told == [
        ("steady", "RUNNING", 1),
        ("steady", "DONE", 1),
        ("flaky", "DONE", 3),
    ]


def test_a_ridden_out_result_fetch_is_a_warning(
    fake_clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="jobv1")
    calls = iter([ConnectionError("reset"), None])

    def fetch() -> str:
        failure = next(calls)
        if failure is not None:
            raise failure
        return "counts"

    job = FakeBackend().run(result=1)
    assert jobv1.result(job, fetch=fetch, retry=Retry(ConnectionError)) == "counts"
    (warning,) = records(caplog, logging.WARNING)
    assert warning.getMessage() == (
        "a result fetch of job fake-1 failed (1 of 5 failures allowed): ConnectionError('reset')"
    )


def test_nobody_listening_means_no_observer_and_the_fast_path(fake_clock: FakeClock) -> None:
    logging.getLogger("jobv1").setLevel(logging.INFO)
    try:
        assert observer(1, None) is None
        assert not listening()
    finally:
        logging.getLogger("jobv1").setLevel(logging.NOTSET)


def test_logging_is_never_imported_by_a_wait_and_prints_nothing_unasked() -> None:
    code = textwrap.dedent(
        """
        import sys
        import jobv1
        from jobv1.testing import FakeBackend, FakeClock, Hold
        from jobv1 import JobStatus

        with FakeClock():
            job = FakeBackend().run(script=[Hold(JobStatus.RUNNING, seconds=3)])
            jobv1.wait([job])
            job.wait_for_final_state()
        assert "logging" not in sys.modules, "a wait imported logging"

        class Flaky(jobv1.JobV1):
            calls = 0
            def submit(self): ...
            def result(self): ...
            def status(self):
                Flaky.calls += 1
                if Flaky.calls == 1:
                    raise ConnectionError("503")
                return jobv1.JobStatus.DONE

        with FakeClock():
            Flaky(None, "f").wait_for_final_state(retry=jobv1.Retry(ConnectionError))
        import logging
        assert isinstance(logging.getLogger("jobv1").handlers[0], logging.NullHandler)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert (out.returncode, out.stdout, out.stderr) == (0, "", "")  # no "last resort" output


# ---------------------------------------------------------------------------- OpenTelemetry


@pytest.fixture
def spans(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A tracer provider that keeps finished spans in memory, for this test only."""
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: provider)
    yield exporter
    provider.shutdown()


def test_a_wait_is_a_span_with_its_queries_and_sleeps(fake_clock: FakeClock, spans: Any) -> None:
    assert listening()
    job = FakeBackend().run(script=[Hold(R, seconds=2)])
    job.wait_for_final_state(timeout=10, wait=1)
    (span,) = spans.get_finished_spans()
    assert span.name == "jobv1.wait"
    assert dict(span.attributes) == {"jobv1.jobs": 1, "jobv1.timeout": 10, "jobv1.outcome": "done"}
    assert [event.name for event in span.events] == [
        "jobv1.query",
        "jobv1.sleep",
        "jobv1.query",
        "jobv1.sleep",
        "jobv1.query",
    ]
    assert dict(span.events[-1].attributes) == {
        "jobv1.job_id": "fake-1",
        "jobv1.status": "DONE",
        "jobv1.attempt": 1,
    }
    assert dict(span.events[1].attributes) == {"jobv1.seconds": 1, "jobv1.reason": "policy"}


def test_a_span_says_how_the_wait_ended(fake_clock: FakeClock, spans: Any, loop: str) -> None:
    """On each loop a wait on plain jobs may take, and the loops of one job and of futures."""
    never = FakeBackend().run(script=[Hold(R)])
    with pytest.raises(JobTimeoutError):
        never.wait_for_final_state(timeout=1)
    interrupt = Interrupt()
    interrupt.set()
    with pytest.raises(WaitInterruptedError):
        jobv1.wait([never], interrupt=interrupt)
    done = FakeBackend().run(result=1)
    jobv1.wait([done, never], return_when=jobv1.FIRST_COMPLETED)
    for _ in jobv1.as_completed([done, never]):
        break
    ended: concurrent.futures.Future[int] = concurrent.futures.Future()
    ended.set_result(1)
    futures = [
        jobv1.FutureJob(None, "ended", ended),
        jobv1.FutureJob(None, "pending", concurrent.futures.Future()),
    ]
    jobv1.wait(futures, return_when=jobv1.FIRST_COMPLETED)  # the futures' own loop, too
    for _ in jobv1.as_completed(futures):
        break
    both = [done, FakeBackend().run(result=2)]
    jobv1.wait(both)  # every job ended: done
    for taken, _ in enumerate(jobv1.as_completed(both), 1):
        if taken == len(both):
            break  # closed at its last job, none left: done, not stopped

    class Broken(ScriptedJob):
        def status(self) -> JobStatus:
            raise KeyError("gone")

    with pytest.raises(KeyError):
        Broken([R]).wait_for_final_state()

    def hook(job: Any, status: JobStatus) -> None:
        raise KeyError("gone")

    with pytest.raises(KeyError):
        jobv1.wait([never, FakeBackend().run(script=[Hold(R)])], on_status=hook)
    outcomes = [span.attributes["jobv1.outcome"] for span in spans.get_finished_spans()]
    assert outcomes == [
        "timeout",
        "interrupted",
        *["stopped"] * 4,
        "done",
        "done",
        "error",
        "error",
    ]
    for failed in spans.get_finished_spans()[-2:]:  # one job's, then many jobs'
        assert failed.status.status_code.name == "ERROR"
        assert failed.status.description == "KeyError('gone')"
        [raised] = [event for event in failed.events if event.name == "exception"]
        assert raised.attributes["exception.type"] == "KeyError"
        assert raised.attributes["exception.message"] == "'gone'"


def test_a_job_that_fails_alone_is_an_event_and_a_warning(
    fake_clock: FakeClock, spans: Any, caplog: pytest.LogCaptureFixture, loop: str
) -> None:
    class Broken(ScriptedJob):
        def status(self) -> JobStatus:
            raise KeyError("gone")

    jobv1.wait([Broken([R], "broken"), ScriptedJob([D], "fine")])
    (span,) = spans.get_finished_spans()
    assert span.attributes["jobv1.outcome"] == "done"
    (event,) = [event for event in span.events if event.name == "jobv1.failed"]
    assert dict(event.attributes) == {"jobv1.job_id": "broken", "jobv1.error": "KeyError('gone')"}
    (warned,) = [r for r in caplog.records if r.levelname == "WARNING"]
    assert (
        warned.getMessage() == "job broken failed: its status could not be read: KeyError('gone')"
    )
    fields = (getattr(warned, "jobv1_job_id", None), getattr(warned, "jobv1_error", None))
    assert fields == ("broken", "KeyError('gone')")


def test_a_ridden_out_failure_is_an_event(fake_clock: FakeClock, spans: Any) -> None:
    Failing([D], failures=1).wait_for_final_state(wait=1, retry=Retry(ConnectionError))
    (span,) = spans.get_finished_spans()
    assert [event.name for event in span.events] == ["jobv1.retry", "jobv1.sleep", "jobv1.query"]
    assert span.events[0].attributes["jobv1.error"] == "ConnectionError('503')"
    assert dict(span.events[0].attributes) == {
        "jobv1.job_id": "flaky",
        "jobv1.attempt": 1,
        "jobv1.error": "ConnectionError('503')",
        "jobv1.what": "status query",
    }


def test_the_opentelemetry_api_alone_traces_nothing(fake_clock: FakeClock) -> None:
    import opentelemetry.trace  # noqa: F401 - imported, but no provider set

    assert observer(1, None) is None
    FakeBackend().run(result=1).wait_for_final_state()
    queued = FakeJob(None, "q", script=[Hold(Q, seconds=1)])
    queued.submit()
    assert jobv1.wait([queued]).done == {queued}


def test_the_one_job_path_hears_logging_alone_and_opentelemetry_alone(
    fake_clock: FakeClock, debug: Any, spans: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It looks for listeners once either is loaded, the other one or not."""
    with monkeypatch.context() as patched:
        patched.delitem(sys.modules, "opentelemetry.trace")
        FakeBackend().run(script=[Hold(R, seconds=1)]).wait_for_final_state(wait=1)
    assert [r.getMessage() for r in records(debug)] == [
        "job fake-1 is RUNNING (attempt 1)",
        "sleeping 1 s (policy)",
        "job fake-1 is DONE (attempt 1)",
    ]
    assert not spans.get_finished_spans()  # nobody traced: the tracer was not loaded
    debug.clear()
    logging_ = sys.modules["logging"]
    with monkeypatch.context() as patched:
        patched.delitem(sys.modules, "logging")
        FakeBackend().run(script=[Hold(R, seconds=1)]).wait_for_final_state(wait=1)
    assert sys.modules["logging"] is logging_
    assert not records(debug)
    (span,) = spans.get_finished_spans()
    assert [event.name for event in span.events] == ["jobv1.query", "jobv1.sleep", "jobv1.query"]


def test_a_program_that_never_imported_logging_has_no_logger_to_tell(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delitem(sys.modules, "logging")
    assert observer(1, None) is None


def test_a_provider_that_samples_nothing_gets_no_events(
    fake_clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

    provider = TracerProvider(sampler=ALWAYS_OFF)
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: provider)
    assert listening()  # a provider is set: the loop checks its spans
    assert observer(1, None) is None  # but this one records nothing


def test_the_logger_gets_one_null_handler_however_often_it_is_found(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from jobv1 import _observe

    first = _observe.logger()
    monkeypatch.setattr(_observe, "_logger", None)  # as after a reload of the module
    assert _observe.logger() is first
    assert sum(isinstance(h, logging.NullHandler) for h in first.handlers) == 1


def _spans(exporter: Any) -> list[tuple[Any, ...]]:
    """Each finished span as its name, attributes and events, then forgotten."""
    found = [
        (
            span.name,
            dict(span.attributes),
            [(event.name, dict(event.attributes)) for event in span.events],
        )
        for span in exporter.get_finished_spans()
    ]
    exporter.clear()
    return found


def test_every_path_traces_a_wait_as_the_general_loop_does(
    spans: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 23: a tracer took the general loop; each path now traces the same span itself."""
    import asyncio
    import concurrent.futures

    from jobv1 import FutureJob, _choose, _job, _polling, aio
    from jobv1.testing import FakeClock

    def one() -> None:
        with FakeClock():
            job = FakeBackend().run(script=[Hold(R, seconds=3)])
            job.wait_for_final_state(timeout=10, wait=1)
            with pytest.raises(JobTimeoutError):
                FakeBackend().run(script=[Hold(R)]).wait_for_final_state(timeout=2, wait=1)

    def many() -> None:
        with FakeClock():
            backend = FakeBackend()
            jobs = [backend.run(script=[Hold(R, seconds=s)]) for s in (1, 4)]
            jobv1.wait(jobs, timeout=10, poll=1)
            never = [backend.run(script=[Hold(R)]) for _ in range(2)]
            with pytest.raises(JobTimeoutError):
                list(jobv1.as_completed([jobs[0], *never], timeout=2, poll=1))

    def futures() -> None:
        pending: list[concurrent.futures.Future[int]] = [concurrent.futures.Future()]
        done: concurrent.futures.Future[int] = concurrent.futures.Future()
        done.set_result(1)
        with FakeClock():
            jobs = [FutureJob(None, "p", pending[0]), FutureJob(None, "d", done)]
            asyncio.run(aio.wait(jobs, timeout=5))

    fast = [_spans(spans) for run in (one, many, futures) if run() is None]
    monkeypatch.setattr(
        _job, "_wait_alone", lambda *arguments: False
    )  # none takes the one-job path
    monkeypatch.setattr(_choose, "layout", _polling.general)  # the aio waits' too
    general = [_spans(spans) for run in (one, many, futures) if run() is None]
    assert fast == general
    assert [len(found) for found in fast] == [2, 2, 1]
    assert [name for found in fast for name, _, _ in found] == ["jobv1.wait"] * 5
    assert [attributes["jobv1.outcome"] for found in fast for _, attributes, _ in found] == [
        "done",
        "timeout",
        "done",
        "timeout",
        "timeout",
    ]
