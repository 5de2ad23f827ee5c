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

    from jobv1.testing import restoring_fakes

    # a task whose worker dies is retried on another worker once, then fails; the
    # workers, started inside restoring_fakes(), may restore the test kit's fake jobs
    with (
        restoring_fakes(),
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


def test_a_sharded_wait_on_ten_thousand_references_over_the_cluster(client: Any) -> None:
    """Issue 13, 4: 10,000 saved jobs, waited on by the cluster's two workers, one deadline."""
    import time

    from jobv1 import JobFailedError, JobTimeoutError
    from jobv1.sharded import gather
    from jobv1.testing import FakeBackend, Hold

    backend = FakeBackend("remote")
    references = []
    for n in range(10_000):
        if n % 250 == 0:  # never ends
            job = backend.run(script=[Hold(JobStatus.RUNNING)])
        elif n % 100 == 0:
            job = backend.run(script=[Hold(JobStatus.RUNNING, seconds=1)], error=OSError(n))
        else:
            job = backend.run(script=[Hold(JobStatus.RUNNING, seconds=1 + n % 4)], result=n)
        references.append(job.to_reference())
    started = time.monotonic()
    settled = gather(references, client.get_executor(), shards=2, timeout=15)
    took = time.monotonic() - started
    print(f"10,000 references, 2 shards on 2 workers, timeout 15 s: {took:.2f} s")
    assert [one.reference for one in settled] == references
    never = [one for n, one in enumerate(settled) if n % 250 == 0]
    failed = [one for n, one in enumerate(settled) if n % 250 and n % 100 == 0]
    done = [one for n, one in enumerate(settled) if n % 100 and n % 250]
    assert {(one.status, type(one.error)) for one in never} == {(None, JobTimeoutError)}
    assert {(one.status, type(one.error)) for one in failed} == {(JobStatus.ERROR, JobFailedError)}
    assert [one.result for one in done] == [n for n in range(10_000) if n % 100 and n % 250]
    assert {one.status for one in done} == {JobStatus.DONE}
    assert 15 <= took < 15 + 60  # the deadline held for every shard, with room for the fetches
