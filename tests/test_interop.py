"""Waiting on the jobs users already hold: Qiskit's jobs, primitive jobs, anything with status()."""

from __future__ import annotations

import asyncio
import concurrent.futures
import io
import re
from typing import Any

import pytest
from qiskit.primitives import PrimitiveJob, StatevectorSampler
from qiskit.providers import JobStatus as QiskitStatus
from qiskit.providers import JobV1 as QiskitJobV1

import jobv1
from conftest import ScriptedJob
from jobv1 import JobError, JobStatus, JobTimeoutError, JobV1, aio, as_job
from jobv1.monitor import Monitor, job_monitor
from jobv1.testing import FakeBackend, FakeClock, Hold

Q, R, D, E, C = (
    JobStatus.QUEUED,
    JobStatus.RUNNING,
    JobStatus.DONE,
    JobStatus.ERROR,
    JobStatus.CANCELLED,
)
NOT_A_JOB = "(a JobV1, a Qiskit job, or any object with callable job_id() and status())"


class IonQStyleJob(QiskitJobV1):  # type: ignore[misc]
    """A Qiskit job of a remote service: polled, answers Qiskit's JobStatus."""

    def __init__(self, job_id: str, answers: list[str]) -> None:
        super().__init__(None, job_id)
        self.answers = list(answers)
        self.queries = 0
        self.last = ""

    def submit(self) -> None:
        """Already submitted."""

    def status(self) -> Any:
        self.queries += 1
        self.last = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        return QiskitStatus[self.last]

    def result(self) -> str:
        return f"result of {self.job_id()}"

    def queue_position(self) -> int | None:
        return 3 if self.last == "QUEUED" else None


class RuntimeStyleJob:
    """The shape of IBM's RuntimeJobV2: no base class, status() answers a name."""

    def __init__(self, job_id: str, answers: list[Any]) -> None:
        self._id = job_id
        self.answers = list(answers)
        self.queries = 0
        self.cancelled_with: tuple[Any, ...] | None = None

    def job_id(self) -> str:
        return self._id

    def status(self) -> Any:
        self.queries += 1
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]

    def result(self, timeout: float | None = None) -> tuple[str, float | None]:
        return ("runtime result", timeout)

    def cancel(self, *args: Any) -> str:
        self.cancelled_with = args
        return "cancel requested"


class FutureStyleJob(QiskitJobV1):  # type: ignore[misc]
    """Like Aer's AerJob: a Qiskit job that runs on a local future kept as ``_future``."""

    def __init__(self, job_id: str, future: concurrent.futures.Future[Any] | None) -> None:
        super().__init__(None, job_id)
        self._future = future
        self.own_status_calls = 0

    def submit(self) -> None:
        """Submitted when made."""

    def status(self) -> Any:
        self.own_status_calls += 1
        return QiskitStatus.INITIALIZING

    def result(self) -> Any:
        return self._future.result() if self._future is not None else None


# ---------------------------------------------------------------------------- as_job


def test_as_job_returns_a_jobv1_job_as_it_is() -> None:
    job = ScriptedJob([D])
    assert as_job(job) is job


def test_as_job_returns_a_registered_virtual_subclass_as_it_is() -> None:
    class Registered:
        def job_id(self) -> str:
            return "registered"

        def status(self) -> JobStatus:
            return D

    JobV1.register(Registered)
    job: object = Registered()
    assert as_job(job) is job


@pytest.mark.parametrize("bad", [None, 3, "job-1", object(), IonQStyleJob, RuntimeStyleJob])
def test_as_job_refuses_what_is_not_a_job(bad: Any) -> None:
    with pytest.raises(TypeError) as caught:
        as_job(bad)
    assert str(caught.value) == f"job must be a job {NOT_A_JOB}, not {bad!r}"


def test_a_view_reads_every_kind_of_status() -> None:
    answers = [JobStatus.QUEUED, QiskitStatus.RUNNING, "VALIDATING", "DONE"]
    view = as_job(RuntimeStyleJob("rt-1", answers))
    assert isinstance(view, jobv1.JobV1)
    assert [view.status() for _ in answers] == [Q, R, JobStatus.VALIDATING, D]
    assert view.done() is True
    assert view.in_final_state() is True


@pytest.mark.parametrize(
    ("answer", "error", "message"),
    [
        (
            "CANCELLED - RAN TOO LONG",
            ValueError,
            (
                "status() of job 'rt-1' returned 'CANCELLED - RAN TOO LONG', which names no "
                "JobStatus (one of INITIALIZING, QUEUED, VALIDATING, RUNNING, CANCELLED, DONE, ERROR)"
            ),
        ),
        ("done", ValueError, "status() of job 'rt-1' returned 'done', which names no JobStatus"),
        (
            None,
            TypeError,
            "status() of job 'rt-1' returned None, which is neither a JobStatus nor the name of one",
        ),
        (5, TypeError, "status() of job 'rt-1' returned 5, which is neither a JobStatus"),
    ],
)
def test_an_unknown_status_fails_the_job_at_once(
    fake_clock: FakeClock, answer: Any, error: type[Exception], message: str
) -> None:
    job = RuntimeStyleJob("rt-1", [answer])
    view: Any = as_job(job)
    with pytest.raises(error) as caught:
        view.wait_for_final_state(timeout=3600)
    assert str(caught.value).startswith(message)
    failure = jobv1.wait([job], timeout=3600).exception(job)  # many-job waits: the job's own
    assert type(failure) is error
    assert str(failure).startswith(message)
    assert job.queries == 2
    assert fake_clock.monotonic() == 0  # not a wait that loops until its deadline


def test_a_view_delegates_to_the_job() -> None:
    job = RuntimeStyleJob("rt-7", ["RUNNING"])
    view: Any = as_job(job)
    assert view.job_id() == "rt-7"
    assert view.result(timeout=2) == ("runtime result", 2)
    assert view.cancel("now") == "cancel requested"
    assert job.cancelled_with == ("now",)
    assert view.answers is job.answers  # public attributes are the job's own
    assert repr(view) == f"<ForeignJob of {job!r}>"
    with pytest.raises(AttributeError):
        view._id  # noqa: B018 - private names are not forwarded
    with pytest.raises(JobError, match="job 'rt-7' has no backend"):
        view.backend()
    with pytest.raises(AttributeError):
        view.submit()


def test_a_view_of_a_qiskit_job_keeps_its_backend_submit_and_async() -> None:
    class Synchronous(IonQStyleJob):
        _async = False

        def submit(self) -> Any:
            return "submitted"

    backend = object()
    job = Synchronous("s", ["RUNNING"])
    job._backend = backend
    view = as_job(job)
    assert view.backend() is backend
    assert view.submit() == "submitted"
    assert view._async is False
    view.wait_for_final_state(timeout=0)  # returns at once, as Qiskit's does for _async False
    assert job.queries == 0
    with pytest.raises(NotImplementedError):
        view.cancel()  # Qiskit's JobV1.cancel raises it
    without_cancel = as_job(RuntimeStyleJob("x", ["DONE"]))
    del RuntimeStyleJob.cancel
    try:
        with pytest.raises(NotImplementedError, match="ForeignJob cannot cancel jobs"):
            without_cancel.cancel()
    finally:
        RuntimeStyleJob.cancel = _runtime_cancel  # type: ignore[method-assign]


_runtime_cancel = RuntimeStyleJob.cancel


# ---------------------------------------------------------------------- future-backed jobs


def test_a_job_on_a_future_is_read_from_the_future_not_from_its_status() -> None:
    future: concurrent.futures.Future[Any] = concurrent.futures.Future()
    job = FutureStyleJob("aer-1", future)
    view = as_job(job)
    assert view.status() is Q
    future.set_running_or_notify_cancel()
    assert view.status() is R
    future.set_result({"00": 1})
    assert view.status() is D
    assert view.result() == {"00": 1}
    assert job.own_status_calls == 0
    failed: concurrent.futures.Future[Any] = concurrent.futures.Future()
    failed.set_exception(RuntimeError("simulator crashed"))
    assert as_job(FutureStyleJob("aer-2", failed)).status() is E


def test_a_job_without_a_future_yet_is_polled_through_its_status() -> None:
    job = FutureStyleJob("aer-3", None)
    view = as_job(job)
    assert view.status() is JobStatus.INITIALIZING
    assert job.own_status_calls == 1
    assert view.watch(lambda: None) is None  # nothing to watch: polled
    other = FutureStyleJob("aer-4", None)
    other._future = "not a concurrent future"  # type: ignore[assignment]
    assert as_job(other).watch(lambda: None) is None


def test_a_primitive_job_not_started_yet_is_queued_and_keeps_its_own_status_clean() -> None:
    job = PrimitiveJob(lambda: "value")
    job._future = concurrent.futures.Future()  # submitted, not picked up by its thread yet
    view = as_job(job)
    assert view.status() is Q  # Qiskit's own status() would answer ERROR and keep it
    assert job._status is None
    job._future.set_running_or_notify_cancel()
    job._future.set_result("value")
    assert view.status() is D
    assert job.status() == QiskitStatus.DONE
    assert view.result() == "value"


def test_a_job_on_a_future_wakes_the_wait_at_once(fake_clock: FakeClock) -> None:
    future: concurrent.futures.Future[Any] = concurrent.futures.Future()
    job = FutureStyleJob("aer-5", future)
    polled = IonQStyleJob("ionq-1", ["RUNNING"])

    def finish_meanwhile(job_: Any, status: JobStatus) -> None:
        if job_ is job and status is Q:
            future.set_result("counts")  # as Aer's worker thread would, while the wait sleeps

    done, not_done = jobv1.wait(
        [job, polled],
        timeout=600,
        return_when=jobv1.FIRST_COMPLETED,
        poll=100,
        on_status=finish_meanwhile,
    )
    assert done == {job}
    assert not_done == {polled}
    assert fake_clock.monotonic() == 0  # woken at once, not at the next poll 100 s later
    assert job.own_status_calls == 0


def test_the_watch_is_undone_after_the_wait(fake_clock: FakeClock) -> None:
    future: concurrent.futures.Future[Any] = concurrent.futures.Future()
    job = FutureStyleJob("aer-6", future)
    with pytest.raises(JobTimeoutError):
        list(jobv1.as_completed([job], timeout=5))
    woken: list[int] = []
    future.add_done_callback(lambda f: woken.append(1))
    future.set_result(None)
    assert woken == [1]  # the wait's own callback was switched off, and raised nothing


# ------------------------------------------------------------- every wait takes every job


def mixed(fake_backend: FakeBackend) -> tuple[Any, ...]:
    future: concurrent.futures.Future[Any] = concurrent.futures.Future()
    future.set_running_or_notify_cancel()  # it ends when a test's hook says so
    return (
        fake_backend.run(script=[Hold(R, seconds=2)], result="fake"),
        IonQStyleJob("ionq-2", ["QUEUED", "RUNNING", "RUNNING", "DONE"]),
        RuntimeStyleJob("rt-2", ["QUEUED", "RUNNING", "ERROR"]),
        FutureStyleJob("aer-7", future),
    )


def test_wait_and_as_completed_return_the_callers_own_objects(
    fake_clock: FakeClock, fake_backend: FakeBackend
) -> None:
    jobs = mixed(fake_backend)
    seen: list[tuple[Any, str]] = []

    def hook(job: Any, status: JobStatus) -> None:
        seen.append((job, status.name))
        if status is R and job is jobs[1]:
            jobs[3]._future.set_result("counts")

    done, not_done = jobv1.wait([*jobs, jobs[1]], timeout=60, on_status=hook)
    assert done == set(jobs)
    assert not_done == set()
    assert {job for job, _ in seen} == set(jobs)
    assert (jobs[2], "ERROR") in seen
    assert all(type(job).__name__ != "ForeignJob" for job, _ in seen)

    again = mixed(FakeBackend())
    again[3]._future.set_result("counts")
    assert set(jobv1.as_completed(again, timeout=60)) == set(again)


def test_a_timed_out_wait_leaves_foreign_jobs_in_not_done(fake_clock: FakeClock) -> None:
    stuck = RuntimeStyleJob("rt-3", ["RUNNING"])
    done, not_done = jobv1.wait([stuck], timeout=10)
    assert (done, not_done) == (set(), {stuck})
    with pytest.raises(JobTimeoutError) as caught:
        list(jobv1.as_completed([stuck, IonQStyleJob("i", ["DONE"])], timeout=10))
    assert str(caught.value) == "1 of 2 jobs did not reach a final state within the timeout of 10 s"


def test_the_asyncio_waits_take_foreign_jobs(fake_clock: FakeClock) -> None:
    async def scenario() -> tuple[Any, ...]:
        ionq = IonQStyleJob("ionq-3", ["QUEUED", "DONE"])
        runtime = RuntimeStyleJob("rt-4", ["RUNNING", "DONE"])
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        future.set_result("counts")
        aer = FutureStyleJob("aer-8", future)
        calls: list[tuple[str, str, Any]] = []
        await aio.wait_for_final_state(
            ionq, wait=1, callback=lambda i, s, j: calls.append((i, s.name, j))
        )
        done, _ = await aio.wait([runtime, aer], timeout=30)
        order = [job async for job in aio.as_completed([IonQStyleJob("ionq-4", ["DONE"])])]
        return calls, ionq, done, {runtime, aer}, order

    calls, ionq, done, expected, order = asyncio.run(scenario())
    assert calls == [("ionq-3", "QUEUED", ionq)]  # the callback is given the job itself
    assert done == expected
    assert [job.job_id() for job in order] == ["ionq-4"]


def test_the_asyncio_wait_honours_a_synchronous_foreign_job(fake_clock: FakeClock) -> None:
    class Synchronous(IonQStyleJob):
        _async = False

    job = Synchronous("sync", ["RUNNING"])
    asyncio.run(aio.wait_for_final_state(job, timeout=0))
    assert job.queries == 0


def test_job_monitor_and_monitor_follow_foreign_jobs(fake_clock: FakeClock) -> None:
    output = io.StringIO()
    job = IonQStyleJob("ionq-5", ["QUEUED", "RUNNING", "DONE"])
    job_monitor(job, poll=1, output=output)
    assert output.getvalue().splitlines() == [
        "ionq-5: QUEUED · 0.0 s · queue position 3",
        "ionq-5: RUNNING · 1.0 s",
        "ionq-5: DONE · 2.0 s",
    ]
    many = io.StringIO()
    with Monitor(many) as monitor:
        jobv1.wait(
            [RuntimeStyleJob("rt-5", ["RUNNING", "DONE"]), IonQStyleJob("ionq-6", ["DONE"])],
            poll=1,
            on_status=monitor,
        )
    assert many.getvalue().splitlines() == [
        "rt-5: RUNNING · 0.0 s",
        "ionq-6: DONE · 0.0 s",
        "rt-5: DONE · 1.0 s",
    ]
    with pytest.raises(TypeError, match=re.escape(f"job must be a job {NOT_A_JOB}, not 7")):
        job_monitor(7)


@pytest.mark.realtime
def test_a_real_primitive_job_is_noticed_without_polling() -> None:
    from qiskit import QuantumCircuit

    circuit = QuantumCircuit(1)
    circuit.measure_all()
    job = StatevectorSampler(seed=1).run([circuit], shots=16)
    done, not_done = jobv1.wait([job], timeout=60, poll=3600)
    assert (done, not_done) == ({job}, set())
    assert job.status() == JobStatus.DONE
    assert job.result()[0].data.meas.get_counts() == {"0": 16}


@pytest.mark.realtime
def test_a_real_aer_job_is_noticed_without_polling() -> None:
    from qiskit import QuantumCircuit
    from qiskit_aer import AerSimulator

    circuit = QuantumCircuit(2)
    circuit.h(0)
    circuit.cx(0, 1)
    circuit.measure_all()
    job = AerSimulator(seed_simulator=7).run(circuit, shots=64)
    # An hour between polls: the wait can only return early if it wakes on the future.
    done, not_done = jobv1.wait([job], timeout=60, poll=3600)
    assert (done, not_done) == ({job}, set())
    assert job.status() == JobStatus.DONE
    assert sum(job.result().get_counts().values()) == 64
