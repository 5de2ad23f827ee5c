"""Side by side with qiskit.providers.JobV1: the same names, statuses, callbacks and queries."""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import jobv1
from jobv1 import JOB_FINAL_STATES, JobStatus

qiskit_providers = pytest.importorskip("qiskit.providers")


def make(base: type, statuses: list[Any]) -> Any:
    """A job of ``base`` whose status() answers ``statuses`` (as ``base``'s own JobStatus)."""
    answers = iter(statuses)
    queries: list[Any] = []

    class Job(base):  # type: ignore[misc]
        def submit(self) -> None: ...
        def result(self) -> None: ...
        def status(self) -> Any:
            status = next(answers)
            queries.append(status)
            return status

    job = Job(None, "compat")
    job.queries = queries
    return job


def test_jobstatus_is_qiskits() -> None:
    theirs = qiskit_providers.JobStatus
    assert [(s.name, s.value) for s in JobStatus] == [(s.name, s.value) for s in theirs]
    assert [s.name for s in JOB_FINAL_STATES] == [
        s.name for s in qiskit_providers.jobstatus.JOB_FINAL_STATES
    ]


def test_the_same_methods_with_the_same_arguments_and_defaults() -> None:
    theirs, ours = qiskit_providers.JobV1, jobv1.JobV1
    names = {n for n in vars(theirs) if not n.startswith("__")}
    assert names <= set(dir(ours))
    for name in names - {"_async", "version", "_abc_impl"}:
        their_params = inspect.signature(getattr(theirs, name)).parameters
        our_params = inspect.signature(getattr(ours, name)).parameters
        assert [(p.name, p.kind, p.default) for p in their_params.values()] == [
            (p.name, p.kind, p.default) for p in our_params.values()
        ][: len(their_params)], name
    assert ours.version == theirs.version
    assert ours._async is theirs._async is True
    abstract = {"submit", "result", "status"}
    assert theirs.__abstractmethods__ == ours.__abstractmethods__ == abstract


@given(
    st.lists(st.sampled_from([s.name for s in JobStatus if s not in JOB_FINAL_STATES]), max_size=8),
    st.sampled_from([s.name for s in JOB_FINAL_STATES]),
)
def test_the_same_callbacks_and_queries_for_the_same_statuses(
    middle: list[str], final: str
) -> None:
    names = [*middle, final]
    runs = []
    for base, status_enum in (
        (qiskit_providers.JobV1, qiskit_providers.JobStatus),
        (jobv1.JobV1, JobStatus),
    ):
        job = make(base, [status_enum[name] for name in names])
        calls: list[tuple[str, str, bool]] = []
        job.wait_for_final_state(
            wait=0,
            callback=lambda i, s, j, job=job, calls=calls: calls.append((i, s.name, j is job)),
        )
        runs.append((calls, [s.name for s in job.queries]))
    assert runs[0] == runs[1]
    assert runs[1][1] == names


def test_a_timeout_is_a_timeout_error_in_both() -> None:
    for base, status_enum in (
        (qiskit_providers.JobV1, qiskit_providers.JobStatus),
        (jobv1.JobV1, JobStatus),
    ):
        job = make(base, [status_enum.RUNNING] * 3)
        with pytest.raises(Exception, match="compat") as caught:
            job.wait_for_final_state(timeout=0, wait=0)
        assert type(caught.value).__name__ == "JobTimeoutError"
        assert job.queries == [status_enum.RUNNING]
