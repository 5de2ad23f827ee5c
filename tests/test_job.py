"""JobV1's own methods, JobStatus, the exceptions and the Backend protocol."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import ScriptedJob
from jobv1 import (
    JOB_FINAL_STATES,
    Backend,
    Job,
    JobError,
    JobStatus,
    JobTimeoutError,
    JobV1,
    WaitInterruptedError,
)
from jobv1.testing import FakeBackend


def test_jobstatus_names_values_and_order_are_qiskits() -> None:
    assert [(s.name, s.value) for s in JobStatus] == [
        ("INITIALIZING", "job is being initialized"),
        ("QUEUED", "job is queued"),
        ("VALIDATING", "job is being validated"),
        ("RUNNING", "job is actively running"),
        ("CANCELLED", "job has been cancelled"),
        ("DONE", "job has successfully run"),
        ("ERROR", "job incurred error"),
    ]
    assert JOB_FINAL_STATES == (JobStatus.DONE, JobStatus.CANCELLED, JobStatus.ERROR)


def test_the_exception_tree() -> None:
    assert issubclass(JobError, Exception)
    assert issubclass(JobTimeoutError, JobError)
    assert issubclass(JobTimeoutError, TimeoutError)
    assert issubclass(WaitInterruptedError, JobError)
    assert not issubclass(WaitInterruptedError, TimeoutError)


def test_versions_and_hierarchy() -> None:
    assert Job.version == 0
    assert JobV1.version == 1
    assert issubclass(JobV1, Job)
    with pytest.raises(TypeError, match="abstract"):
        JobV1(None, "x")  # type: ignore[abstract]


def test_id_backend_and_metadata() -> None:
    backend = FakeBackend()
    job = ScriptedJob([JobStatus.DONE], job_id="abc")
    assert job.job_id() == "abc"
    assert job.metadata == {}
    assert repr(job) == "<ScriptedJob job_id='abc'>"
    with pytest.raises(JobError, match="job 'abc' has no backend"):
        job.backend()

    class WithBackend(ScriptedJob):
        def __init__(self, backend: Backend, **kwargs: Any) -> None:
            JobV1.__init__(self, backend, "def", **kwargs)

    other = WithBackend(backend, shots=1024, tags=["a"])
    assert other.backend() is backend
    assert other.metadata == {"shots": 1024, "tags": ["a"]}


def test_cancel_is_not_implemented_unless_overridden() -> None:
    with pytest.raises(NotImplementedError, match="ScriptedJob cannot cancel jobs"):
        ScriptedJob([JobStatus.RUNNING]).cancel()


@pytest.mark.parametrize("status", list(JobStatus))
def test_predicates_agree_with_status_and_make_one_query_each(status: JobStatus) -> None:
    job = ScriptedJob([status])
    assert job.done() is (status is JobStatus.DONE)
    assert job.running() is (status is JobStatus.RUNNING)
    assert job.cancelled() is (status is JobStatus.CANCELLED)
    assert job.in_final_state() is (status in JOB_FINAL_STATES)
    assert job.queries == 4


def test_jobv1_is_generic_in_its_result() -> None:
    class Counts(JobV1[dict[str, int]]):
        def submit(self) -> None: ...
        def status(self) -> JobStatus:
            return JobStatus.DONE

        def result(self) -> dict[str, int]:
            return {"0": 1}

    assert Counts(None, "c").result() == {"0": 1}


def test_backend_protocol_is_runtime_checkable() -> None:
    assert isinstance(FakeBackend(), Backend)
    assert not isinstance(object(), Backend)


def test_the_protocols_are_attributes_loaded_on_first_use() -> None:
    import jobv1
    from jobv1._protocols import PollPolicy

    assert jobv1.__getattr__("PollPolicy") is PollPolicy
    assert "Backend" in dir(jobv1)
    assert "PollPolicy" in jobv1.__dir__()
    assert jobv1.__dir__() == sorted(jobv1.__dir__())
    with pytest.raises(AttributeError, match="module 'jobv1' has no attribute 'Nothing'"):
        jobv1.__getattr__("Nothing")


def test_a_lazy_attribute_is_kept_once_loaded() -> None:
    import jobv1
    from jobv1._backend import Backend as Loaded

    assert jobv1.__getattr__("Backend") is Loaded
    assert vars(jobv1)["Backend"] is Loaded


def test_a_subclass_that_skips_the_base_init_is_told_what_to_do() -> None:
    """Issue 24, 8: it got ``AttributeError: ... '_job_id'`` and no hint."""

    class Forgetful(JobV1):
        def __init__(self, job_id: str) -> None:
            self.given = job_id  # no super().__init__(backend, job_id)

        def submit(self) -> None:
            """Nothing to submit."""

        def result(self) -> None:
            """No result."""

        def status(self) -> JobStatus:
            return JobStatus.DONE

    job = Forgetful("j")
    with pytest.raises(AttributeError, match=r"must call super\(\).__init__\(backend, job_id\)"):
        job.job_id()
    with pytest.raises(AttributeError, match="must call super") as caught:
        job.backend()
    assert caught.value.name == "_backend"
    with pytest.raises(AttributeError, match=r"^'Forgetful' object has no attribute 'other'$"):
        job.other  # type: ignore[attr-defined]  # noqa: B018
    assert not hasattr(job, "other")
    assert job.given == "j"
