"""Sharded waits: settle() on one shard, gather() over an executor (virtual time, inline executor).

The real Dask cluster is in ``tests/test_dask.py``.
"""

from __future__ import annotations

import concurrent.futures
import math
import pickle
import time
from collections.abc import Callable
from typing import Any

import pytest

from jobv1 import JobCancelledError, JobError, JobFailedError, JobStatus, JobTimeoutError
from jobv1.sharded import Settled, _portable, gather, settle
from jobv1.testing import FakeBackend, FakeClock, Hold

R, D, E, C = JobStatus.RUNNING, JobStatus.DONE, JobStatus.ERROR, JobStatus.CANCELLED

# The test kit's fake jobs restore only where a test allows it.
pytestmark = pytest.mark.usefixtures("restoring_fakes")


class Inline(concurrent.futures.Executor):
    """Runs each task at once, in the calling thread (and so on its fake clock)."""

    def __init__(self) -> None:
        self.tasks: list[int] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        self.tasks.append(len(args[0]))
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as error:
            future.set_exception(error)
        return future


def references(backend: FakeBackend, *scripts: dict[str, Any]) -> list[dict[str, Any]]:
    return [backend.run(**script).to_reference() for script in scripts]


def test_a_shard_settles_every_kind_of_end(fake_clock: FakeClock) -> None:
    saved = references(
        FakeBackend("sim"),
        {"script": [Hold(R, seconds=2)], "result": 4},
        {"script": [Hold(R, seconds=1)], "error": OSError("lost")},
        {"script": [Hold(R, seconds=3)], "end": C},
        {"script": [Hold(R)]},
    )
    broken = {"provider": "nobody", "backend": None, "job_id": "x"}
    settled = settle([*saved, broken], until=time.time() + 10, poll=0.5)
    assert [one.reference for one in settled] == [*saved, broken]
    assert [(one.status, one.result) for one in settled] == [
        (D, 4),
        (E, None),
        (C, None),
        (None, None),
        (None, None),
    ]
    errors = [type(one.error) for one in settled]
    assert errors == [type(None), JobFailedError, JobCancelledError, JobTimeoutError, JobError]
    assert isinstance(settled[1].error, JobFailedError)
    assert settled[1].error.job == saved[1]  # the reference, which pickles, not the job
    # the deadline, less the real time between the call and the wait (entry points are read)
    assert fake_clock.monotonic() == pytest.approx(10, abs=1)


def test_without_a_deadline_a_shard_waits_for_every_job(fake_clock: FakeClock) -> None:
    saved = references(FakeBackend(), {"script": [Hold(R, seconds=3600)], "result": 1})
    assert settle(saved, until=None, results=False) == [Settled(saved[0], D, None, None)]
    assert fake_clock.monotonic() >= 3600


def test_a_deadline_already_past_still_gives_each_job_one_query(fake_clock: FakeClock) -> None:
    saved = references(FakeBackend(), {"result": 1}, {"script": [Hold(R)]})
    settled = settle(saved, until=time.time() - 60)
    assert [(one.status, one.result) for one in settled] == [(D, 1), (None, None)]
    assert fake_clock.monotonic() == 0


def test_a_reference_given_twice_is_settled_twice(fake_clock: FakeClock) -> None:
    saved = references(FakeBackend(), {"result": 9})
    assert [one.result for one in settle([saved[0], saved[0]], until=None)] == [9, 9]


def test_errors_cross_processes_with_their_cause() -> None:
    try:
        try:
            raise OSError("the service said 500")
        except OSError as cause:
            raise JobFailedError("job 'a' ended in ERROR", job={"job_id": "a"}, status=E) from cause
    except JobFailedError as error:
        sent = pickle.loads(pickle.dumps(_portable(error)))
    assert type(sent) is JobFailedError
    assert (sent.job, sent.status) == ({"job_id": "a"}, E)
    assert repr(sent.__cause__) == "OSError('the service said 500')"


def test_an_error_that_cannot_be_pickled_is_told_as_text() -> None:
    class LocalError(Exception):
        pass

    error = LocalError("odd")
    error.__cause__ = ValueError("why")
    error.handle = lambda: None  # type: ignore[attr-defined]
    told = _portable(error)
    assert type(told) is JobError
    assert str(told) == "LocalError: odd (from ValueError: why)"
    plain = LocalError("plain")
    plain.handle = lambda: None  # type: ignore[attr-defined]
    assert str(_portable(plain)) == "LocalError: plain"


def test_gather_splits_in_order_and_gathers_in_order(fake_clock: FakeClock) -> None:
    backend = FakeBackend("sim")
    saved = references(
        backend, *({"script": [Hold(R, seconds=n % 4)], "result": n} for n in range(10))
    )
    executor = Inline()
    settled = gather(saved, executor, shards=3, timeout=60)
    assert executor.tasks == [4, 4, 2]
    assert [one.result for one in settled] == list(range(10))
    assert gather([], executor, shards=3) == []


@pytest.mark.parametrize("timeout", [math.inf, 1e10])
def test_a_huge_timeout_is_no_deadline(fake_clock: FakeClock, timeout: float) -> None:
    """Issue 23: every wait takes what check_timeout takes, gather too."""
    backend = FakeBackend("sim")
    saved = references(backend, *({"script": [Hold(R, seconds=2)], "result": n} for n in range(4)))
    settled = gather(saved, Inline(), shards=2, timeout=timeout)
    assert [one.result for one in settled] == [0, 1, 2, 3]


def test_a_shard_that_fails_or_does_not_report_fails_its_jobs(fake_clock: FakeClock) -> None:
    saved = references(FakeBackend(), *({"result": n} for n in range(4)))

    class Failing(Inline):
        def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
            if len(self.tasks) == 1:
                self.tasks.append(0)
                future: concurrent.futures.Future[Any] = concurrent.futures.Future()
                future.set_exception(RuntimeError("worker died"))
                return future
            if len(self.tasks) == 2:
                self.tasks.append(0)
                return concurrent.futures.Future()  # never runs
            return super().submit(fn, *args, **kwargs)

    settled = gather(saved, Failing(), shards=4, timeout=0, grace=0)
    assert [one.result for one in settled] == [0, None, None, 3]
    assert [one.reference for one in settled] == saved
    assert repr(settled[1].error) == "RuntimeError('worker died')"
    assert isinstance(settled[2].error, JobTimeoutError)
    assert str(settled[2].error) == "a shard of 1 jobs did not report within 0 s of the deadline"


@pytest.mark.parametrize(("timeout", "grace", "most"), [(0, 0, 0.0), (100, 30, 130.0)])
def test_the_shards_are_waited_for_until_the_deadline_and_the_grace(
    fake_clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    timeout: float,
    grace: float,
    most: float,
) -> None:
    """The caller waits for its shards until the wall-clock deadline plus ``grace``, no longer."""
    from jobv1 import sharded

    limits: list[float | None] = []

    def waited(reported: Callable[[float | None], bool], limit: float | None) -> None:
        limits.append(limit)
        reported(0)

    monkeypatch.setattr(sharded, "waited", waited)
    saved = references(FakeBackend(), {"result": 1})
    before = time.time()
    settled = gather(saved, Inline(), shards=1, timeout=timeout, grace=grace)
    spent = time.time() - before
    assert [one.result for one in settled] == [1]
    [limit] = limits
    assert limit is not None
    assert most - spent <= limit <= most


def test_one_jobs_failure_leaves_the_others_their_outcomes(
    fake_clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 24, 1: one result that did not pickle, or one failed query, lost the whole shard.

    A result that cannot cross to another process is its job's error alone;
    so is a status query that fails, or answers what is not a status: the
    wait goes on for the other jobs.
    """
    import threading

    from jobv1.testing import FakeJob

    saved = references(
        FakeBackend("sim"),
        {"script": [Hold(R, seconds=1)], "result": 4},
        {"script": [Hold(R, seconds=1)], "result": 5},
        {"script": [Hold(R, seconds=5)], "result": 6},
    )
    with_a_lock = FakeJob.result

    def result(job: FakeJob) -> Any:  # a service's result object that holds a lock
        return threading.Lock() if job.job_id() == saved[1]["job_id"] else with_a_lock(job)

    with monkeypatch.context() as patched:
        patched.setattr(FakeJob, "result", result)
        settled = settle(saved, until=None)
    assert [(one.status, one.result) for one in settled] == [(D, 4), (D, None), (D, 6)]
    assert isinstance(settled[1].error, JobError)
    assert "cannot be sent to another process: TypeError" in str(settled[1].error)
    assert [one.reference for one in settled] == saved
    pickle.dumps(settled)  # the shard's answer crosses

    real = FakeJob.status
    start = fake_clock.monotonic()

    def flaky(job: FakeJob) -> JobStatus:
        if job.job_id() == saved[2]["job_id"] and fake_clock.monotonic() >= start + 2:
            raise ConnectionError("connection reset")
        return real(job)

    monkeypatch.setattr(FakeJob, "status", flaky)
    saved = references(
        FakeBackend("sim"),
        {"script": [Hold(R, seconds=1)], "result": 4},
        {"script": [Hold(R, seconds=5)], "result": 5},
        {"script": [Hold(R, seconds=5)], "result": 6},
    )
    settled = settle(saved, until=None)
    # The failing job's own error; the others' outcomes stand, before it and after.
    assert [(one.status, one.result) for one in settled] == [(D, 4), (D, 5), (None, None)]
    assert [type(one.error) for one in settled] == [type(None), type(None), ConnectionError]
    assert [one.reference for one in settled] == saved  # a failure's row names its job too

    def odd(job: FakeJob) -> Any:  # a job that answers what is not a status
        return "BROKEN" if job.job_id() == saved[0]["job_id"] else real(job)

    monkeypatch.setattr(FakeJob, "status", odd)
    saved = references(
        FakeBackend("sim"),
        {"script": [Hold(R, seconds=1)], "result": 4},
        {"script": [Hold(R, seconds=5)], "result": 5},
    )
    settled = settle(saved, until=None)
    assert [(one.status, one.result) for one in settled] == [(None, None), (D, 5)]
    assert isinstance(settled[0].error, TypeError)
    assert "returned 'BROKEN', which is not a JobStatus" in str(settled[0].error)


def test_a_reference_that_does_not_restore_leaves_the_others_theirs(fake_clock: FakeClock) -> None:
    saved = references(FakeBackend(), {"result": 1}, {"result": 2})
    broken = {"provider": "nobody", "backend": None, "job_id": "x"}
    settled = settle([broken, *saved], until=None)
    assert [one.reference for one in settled] == [broken, *saved]
    assert [(one.status, one.result) for one in settled] == [(None, None), (D, 1), (D, 2)]
    assert isinstance(settled[0].error, JobError)


def test_gather_gives_each_shard_the_deadline_and_the_options(fake_clock: FakeClock) -> None:
    saved = references(FakeBackend(), {"result": 1}, {"script": [Hold(R)]})
    settled = gather(saved, Inline(), shards=2, timeout=5, results=False)
    assert [(one.status, one.result) for one in settled] == [(D, None), (None, None)]
    assert isinstance(settled[1].error, JobTimeoutError)  # the shard kept the deadline
    assert fake_clock.monotonic() == pytest.approx(5, abs=1)


def test_gathers_old_argument_name_still_works_and_says_the_new_one(
    fake_clock: FakeClock,
) -> None:
    saved = references(FakeBackend(), {"result": 1})
    with pytest.warns(
        DeprecationWarning, match=r"^wait= is deprecated; it is called poll= now$"
    ) as warned:
        settled = gather(saved, Inline(), shards=1, wait=1)
    assert [one.result for one in settled] == [1]
    # It points at the call that used the old name (under mutation testing, a trampoline
    # of mutmut's sits between the call and jobv1's function, and takes its place).
    assert warned[0].filename == __file__ or "mutmut" in warned[0].filename
