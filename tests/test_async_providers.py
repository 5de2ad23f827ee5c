"""An ``async def status()`` is refused with an error that says so (issue 25, 6, in part).

jobv1's waits call ``status()`` from threads with no event loop: they cannot
await what an ``async def status()`` returns. Each wait refuses it with one
clear ``TypeError`` (a wait on many jobs, as that job's own failure), and the
coroutine is closed, never left unawaited (warnings are errors here: an
unawaited coroutine would fail the test).
"""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import pytest

import jobv1
from jobv1 import JobStatus, JobV1, aio
from jobv1.testing import FakeClock

MESSAGE = (
    r"status\(\) of job 'async-1' returned an awaitable \(coroutine\): jobv1's waits call "
    r"status\(\) from threads with no event loop and cannot await it"
)


class AsyncJob(JobV1):
    """A job written for an async HTTP client."""

    def __init__(self) -> None:
        super().__init__(None, "async-1")

    def submit(self) -> None:
        """Submitted on creation."""

    async def status(self) -> JobStatus:  # type: ignore[override]
        await asyncio.sleep(0)
        return JobStatus.DONE

    def result(self) -> Any:
        return None


class ForeignAsyncJob:
    """A job of another library, async too."""

    def job_id(self) -> str:
        return "async-1"

    async def status(self) -> str:
        return "DONE"


@pytest.mark.parametrize("make", [AsyncJob, ForeignAsyncJob])
def test_every_wait_refuses_an_async_status_saying_why(fake_clock: FakeClock, make: Any) -> None:
    job = make()
    with pytest.raises(TypeError, match=MESSAGE):
        jobv1.as_job(job).wait_for_final_state(timeout=5)
    with pytest.raises(TypeError, match=MESSAGE):
        asyncio.run(aio.wait_for_final_state(job, timeout=5))
    for failures in (
        jobv1.wait([job], timeout=5).failures,
        asyncio.run(aio.wait([job], timeout=5)).failures,
    ):
        assert list(failures) == [job]
        assert isinstance(failures[job], TypeError)
        assert "returned an awaitable (coroutine)" in str(failures[job])
    gc.collect()  # a coroutine left unawaited would warn here, and fail the test


def test_an_awaitable_that_is_not_a_coroutine_is_refused_too(fake_clock: FakeClock) -> None:
    class Pending:
        def __await__(self) -> Any:
            yield None

    class Awaiting(AsyncJob):
        def status(self) -> Any:
            return Pending()

    with pytest.raises(TypeError, match=r"returned an awaitable \(Pending\)"):
        Awaiting().wait_for_final_state()
