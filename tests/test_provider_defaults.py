"""What a provider's backend declares for its jobs' waits: a retry, and how many queries at once.

Issue 25, item 1: a default wait died on the first HTTP 503, since only the
caller could pass ``retry=``; and a client that is not thread-safe had no
way to say so.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

import jobv1
from jobv1 import JobStatus, JobV1, Retry, aio
from jobv1.testing import FakeClock

R, D = JobStatus.RUNNING, JobStatus.DONE


class Backend:
    """A backend that declares what its jobs' waits use: nothing, unless set."""

    def __init__(self, **declared: Any) -> None:
        for name, value in declared.items():
            setattr(self, name, value)

    def __repr__(self) -> str:
        return "<Backend>"


class Flaky(JobV1):
    """Fails its first ``failures`` queries with ConnectionError; then RUNNING once, then DONE."""

    def __init__(self, backend: object, job_id: str, failures: int = 2) -> None:
        super().__init__(backend, job_id)  # type: ignore[arg-type]
        self.failures = failures
        self.answers = [R, D]
        self.threads: set[int] = set()

    def submit(self) -> None:
        """Submitted when made."""

    def result(self) -> str:
        return f"result of {self.job_id()}"

    def status(self) -> JobStatus:
        self.threads.add(threading.get_ident())
        if self.failures:
            self.failures -= 1
            raise ConnectionError("503 Service Unavailable")
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


RIDES_OUT = Retry(ConnectionError, backoff=1)


@pytest.mark.parametrize(
    "way", ["wait_for_final_state", "wait", "as_completed", "result", "aio.wait", "aio.result"]
)
def test_a_backends_status_retry_is_every_waits_default(fake_clock: FakeClock, way: str) -> None:
    backend = Backend(status_retry=RIDES_OUT)
    jobs = [Flaky(backend, f"j{n}") for n in range(3)]
    if way == "wait_for_final_state":
        jobs[0].wait_for_final_state(timeout=60, wait=1)
    elif way == "wait":
        assert jobv1.wait(jobs, timeout=60, poll=1).done == set(jobs)
    elif way == "as_completed":
        assert set(jobv1.as_completed(jobs, timeout=60, poll=1)) == set(jobs)
    elif way == "result":
        assert jobv1.result(jobs[0], timeout=60, poll=1) == "result of j0"
    elif way == "aio.wait":
        assert asyncio.run(aio.wait(jobs, timeout=60, poll=1)).done == set(jobs)
    else:
        assert asyncio.run(aio.result(jobs[0], timeout=60, poll=1)) == "result of j0"
    assert fake_clock.monotonic() == 3  # two failures ridden out, 1 s after each; RUNNING, 1 s


def test_the_callers_retry_wins_and_a_backend_without_one_fails_at_once(
    fake_clock: FakeClock,
) -> None:
    declared = Flaky(Backend(status_retry=RIDES_OUT), "declared")
    with pytest.raises(ConnectionError):  # the caller rides out other failures only
        declared.wait_for_final_state(wait=1, retry=Retry(KeyError))
    jobs = [Flaky(Backend(), "a"), Flaky(Backend(), "b")]
    outcome = jobv1.wait(jobs, poll=1)  # each job fails at its first query, alone
    assert all(isinstance(outcome.failures[job], ConnectionError) for job in jobs)
    assert fake_clock.monotonic() == 0


@pytest.mark.parametrize("bad", ["yes", 3, ConnectionError])
def test_a_bad_status_retry_is_refused_naming_the_backend(
    fake_clock: FakeClock, bad: object
) -> None:
    jobs = [Flaky(Backend(status_retry=bad), f"j{n}") for n in range(2)]
    with pytest.raises(TypeError, match=r"status_retry of <Backend> must be a Retry or None"):
        jobv1.wait(jobs, poll=1)
    with pytest.raises(TypeError, match=r"status_retry of <Backend> must be a Retry or None"):
        jobs[0].wait_for_final_state(wait=1)


@pytest.mark.parametrize("driver", ["blocking", "asyncio"])
def test_a_backend_that_is_not_thread_safe_gets_one_query_at_a_time(
    fake_clock: FakeClock, monkeypatch: pytest.MonkeyPatch, driver: str
) -> None:
    """max_status_in_flight=1: one query at a time, whatever the wait's max_in_flight."""
    from jobv1 import _workers

    started: list[int] = []
    start = _workers.Run.start

    def counted(run: Any, bound: int, clock: object = None) -> None:
        start(run, bound, clock)
        started.append(run.active)  # how many workers the round's queries got

    monkeypatch.setattr(_workers.Run, "start", counted)
    safe, unsafe = Backend(), Backend(max_status_in_flight=1)
    jobs = [Flaky(unsafe, f"u{n}", failures=0) for n in range(6)]
    jobs += [Flaky(safe, f"s{n}", failures=0) for n in range(6)]
    if driver == "blocking":
        assert jobv1.wait(jobs, poll=1, max_in_flight=8).done == set(jobs)
        threads = set().union(*(job.threads for job in jobs))
        assert threads == {threading.get_ident()}  # one backend bounds the whole wait
        assert started == []  # one at a time: in this thread, with no worker
    else:
        assert asyncio.run(aio.wait(jobs, poll=1, max_in_flight=8)).done == set(jobs)
        assert started
        assert set(started) == {1}


def test_the_smallest_bound_a_backend_declares_holds_and_the_callers_if_smaller(
    fake_clock: FakeClock,
) -> None:
    from jobv1._options import check_many

    def bound(jobs: list[Any], max_in_flight: int = 8) -> int:
        checked = check_many(
            jobs,
            timeout=None,
            poll=1,
            on_status=None,
            retry=None,
            interrupt=None,
            max_in_flight=max_in_flight,
            rate_limit=None,
        )
        assert checked.bound() == checked.bound()  # found once, then kept
        return checked.bound()

    two, five = Backend(max_status_in_flight=2), Backend(max_status_in_flight=5)
    assert bound([Flaky(two, "a"), Flaky(five, "b"), Flaky(None, "c")]) == 2
    assert bound([Flaky(five, "b"), Flaky(Backend(), "c")]) == 5
    assert bound([Flaky(five, "b")], max_in_flight=3) == 3
    unhashable = Backend(max_status_in_flight=4)
    type(unhashable).__hash__ = None  # type: ignore[assignment]
    try:
        assert bound([Flaky(unhashable, "x"), Flaky(unhashable, "y")]) == 4
    finally:
        del type(unhashable).__hash__


@pytest.mark.parametrize(
    ("bad", "error", "words"),
    [
        ("2", TypeError, "must be an int or None, not '2'"),
        (True, TypeError, "must be an int or None, not True"),
        (0, ValueError, "must be at least 1, got 0"),
    ],
)
def test_a_bad_max_status_in_flight_is_refused_naming_the_backend(
    fake_clock: FakeClock, bad: object, error: type[Exception], words: str
) -> None:
    jobs = [Flaky(Backend(max_status_in_flight=bad), f"j{n}", failures=0) for n in range(2)]
    with pytest.raises(error, match=f"max_status_in_flight of <Backend> {words}"):
        jobv1.wait(jobs, poll=1)
