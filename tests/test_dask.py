"""Integration: jobs on a real Dask cluster with worker processes, through ExecutorBackend.

These tests start a ``distributed.LocalCluster`` themselves and run in real
time, with generous bounds.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from jobv1 import ExecutorBackend, JobError, JobStatus, as_completed

distributed = pytest.importorskip("distributed")
pytestmark = pytest.mark.realtime


# The scheduler's web server listens on 8787 when given no address, and warns (an error
# here) when that port is taken: ":0" picks a free port.
QUIET = {"dashboard_address": ":0", "silence_logs": 50}


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    import dask

    # a task whose worker dies is retried on another worker once, then fails
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 1}),
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, **QUIET
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def square(x: int) -> int:
    return x * x


def divide(x: int) -> float:
    return 1 / x


def die() -> None:
    os._exit(13)  # the worker process dies in the middle of the job


def test_jobs_run_on_the_cluster(client: Any) -> None:
    backend = ExecutorBackend(client.get_executor(), name="dask")
    jobs = [backend.run(square, n) for n in range(8)]
    finished = list(as_completed(jobs, timeout=120))
    assert sorted(job.result() for job in finished) == [n * n for n in range(8)]
    assert {job.status() for job in jobs} == {JobStatus.DONE}


def test_a_job_that_raises_ends_in_error_with_its_cause(client: Any) -> None:
    job = ExecutorBackend(client.get_executor()).run(divide, 0)
    job.wait_for_final_state(timeout=120)
    assert job.status() is JobStatus.ERROR
    with pytest.raises(JobError) as caught:
        job.result()
    assert isinstance(caught.value.__cause__, ZeroDivisionError)


def test_a_killed_worker_never_hangs_the_wait(client: Any) -> None:
    job = ExecutorBackend(client.get_executor()).run(die)
    job.wait_for_final_state(timeout=120)  # raises JobTimeoutError if it hung
    assert job.status() is JobStatus.ERROR
    with pytest.raises(JobError) as caught:
        job.result()
    assert type(caught.value.__cause__).__name__ == "KilledWorker"


def test_a_cluster_starts_while_port_8787_is_taken() -> None:
    """Issue 11, 16: with the port taken, the scheduler's warning failed the run."""
    import socket

    with socket.socket() as taken:
        try:
            taken.bind(("127.0.0.1", 8787))
            taken.listen()
        except OSError:
            pass  # something else holds it already: just as good
        with (
            distributed.LocalCluster(n_workers=1, processes=False, **QUIET) as cluster,
            distributed.Client(cluster) as client,
            ExecutorBackend(client.get_executor(), name="dask") as backend,
        ):
            assert backend.run(square, 7).result(timeout=60) == 49
