"""``jobv1.qiskit.PrimitiveJob``: a primitive's job that is Qiskit's and jobv1's (issue 26, 6).

A subclass is a Qiskit ``BasePrimitiveJob`` and a :class:`jobv1.JobV1`: its
``status()`` may answer jobv1's or Qiskit's ``JobStatus`` or a status's name,
as IBM's runtime jobs do, and every wait, blocking or ``aio``, one job or
many, reads it; the waits raise :mod:`jobv1.qiskit`'s errors.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from qiskit.primitives import BasePrimitiveJob
from qiskit.providers import JobError as QiskitJobError
from qiskit.providers import JobStatus as QiskitStatus
from qiskit.providers import JobTimeoutError as QiskitTimeout

import jobv1
from jobv1 import FIRST_COMPLETED, JobStatus, aio
from jobv1.qiskit import JobError, JobTimeoutError, PrimitiveJob
from jobv1.testing import FakeBackend, FakeClock, check_jobv1


class RuntimeLike(PrimitiveJob):
    """Answers its statuses by name, then the last one again, as a runtime job's status() does."""

    def __init__(self, job_id: str, names: list[Any], **kwargs: Any) -> None:
        super().__init__(job_id, **kwargs)
        self.names = list(names)
        self.queries = 0

    def status(self) -> Any:
        self.queries += 1
        return self.names.pop(0) if len(self.names) > 1 else self.names[0]

    def result(self) -> str:
        return f"result of {self.job_id()}"


def test_it_is_both_libraries_primitive_job() -> None:
    job = RuntimeLike("p-1", ["DONE"], shots=100)
    assert isinstance(job, BasePrimitiveJob)
    assert isinstance(job, jobv1.JobV1)
    assert job.job_id() == "p-1"
    assert job.metadata == {"shots": 100}
    with pytest.raises(QiskitJobError, match="has no backend"):
        job.backend()
    with pytest.raises(JobError, match="submitted by its primitive's run"):
        job.submit()
    backend = FakeBackend("sampler-backend")
    assert RuntimeLike("p-2", ["DONE"], backend=backend).backend() is backend


@pytest.mark.parametrize("answer", ["DONE", JobStatus.DONE, QiskitStatus.DONE])
def test_its_state_is_read_from_any_answer(answer: Any) -> None:
    job = RuntimeLike("p-1", [answer])
    assert (job.done(), job.running(), job.cancelled(), job.in_final_state()) == (
        True,
        False,
        False,
        True,
    )
    assert RuntimeLike("p-2", ["RUNNING"]).running()
    assert RuntimeLike("p-3", ["CANCELLED"]).cancelled()


def test_every_wait_reads_status_names(fake_clock: FakeClock) -> None:
    one = RuntimeLike("one", ["INITIALIZING", "QUEUED", "RUNNING", "DONE"])
    one.wait_for_final_state(wait=1)
    assert fake_clock.monotonic() == 3
    assert one.result() == "result of one"

    many = [RuntimeLike(f"job{k}", ["QUEUED"] * k + ["DONE"]) for k in range(3)]
    done, not_done = jobv1.wait(many, poll=1)
    assert (done, not_done) == (set(many), set())

    seen: list[tuple[str, JobStatus]] = []
    ended = list(
        jobv1.as_completed(
            [RuntimeLike("b", ["RUNNING", "ERROR"]), RuntimeLike("a", ["DONE"])],
            poll=1,
            on_status=lambda job, status: seen.append((job.job_id(), status)),
        )
    )
    assert [job.job_id() for job in ended] == ["a", "b"]
    assert ("b", JobStatus.ERROR) in seen  # a name read as jobv1's status

    async def waits() -> Any:
        await aio.wait_for_final_state(RuntimeLike("c", ["RUNNING", "DONE"]), wait=1)
        return await aio.wait([RuntimeLike("d", ["DONE"])], return_when=FIRST_COMPLETED)

    assert {job.job_id() for job in asyncio.run(waits()).done} == {"d"}


def test_a_name_of_no_status_fails_its_job(fake_clock: FakeClock) -> None:
    lost, fine = RuntimeLike("lost", ["DELETED"]), RuntimeLike("fine", ["DONE"])
    result = jobv1.wait([lost, fine])
    assert result.done == {lost, fine}
    assert "returned 'DELETED', which names no status" in str(result.exception(lost))
    with pytest.raises(ValueError, match="names no status: one of INITIALIZING, QUEUED"):
        lost.wait_for_final_state()
    with pytest.raises(ValueError, match="names no status"):
        lost.done()


def test_its_waits_raise_qiskits_errors(fake_clock: FakeClock) -> None:
    job = RuntimeLike("slow", ["RUNNING"])
    with pytest.raises(QiskitTimeout) as raised:
        job.wait_for_final_state(timeout=2, wait=1)
    assert isinstance(raised.value, JobTimeoutError)
    assert isinstance(raised.value, jobv1.JobTimeoutError)


def test_the_conformance_kit_takes_it(fake_clock: FakeClock) -> None:
    check_jobv1(
        done=lambda: RuntimeLike("done", ["QUEUED", "DONE"]),
        error=lambda: RuntimeLike("error", ["RUNNING", "ERROR"]),
        pending=lambda: RuntimeLike("pending", ["QUEUED"]),
    )


def test_a_job_of_plain_jobv1_may_not_answer_a_name(fake_clock: FakeClock) -> None:
    class Plain(jobv1.JobV1):
        def submit(self) -> None:
            """Nothing to submit."""

        def status(self) -> Any:
            return "DONE"

        def result(self) -> None:
            """No result."""

    with pytest.raises(TypeError, match="returned 'DONE', which is not a JobStatus"):
        Plain(None, "plain").wait_for_final_state()
