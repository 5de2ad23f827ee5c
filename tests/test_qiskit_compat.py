"""Side by side with qiskit.providers.JobV1: the same names, statuses, callbacks and queries."""

from __future__ import annotations

import inspect
import subprocess
import sys
import time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import jobv1
from jobv1 import JOB_FINAL_STATES, JobStatus

qiskit_providers = pytest.importorskip("qiskit.providers")


def python_prints(code: str) -> str:
    """What ``code`` prints, run in a fresh interpreter (nothing imported yet)."""
    return subprocess.run(
        [sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True
    ).stdout


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


# ------------------------------------------------------------------ status identity


def test_statuses_compare_equal_across_the_two_enums_both_ways() -> None:
    theirs = qiskit_providers.JobStatus
    for ours in JobStatus:
        same = theirs[ours.name]
        assert ours == same
        assert same == ours
        assert not ours != same  # noqa: SIM202 - != is what is tested
        assert not same != ours  # noqa: SIM202
        assert hash(ours) == hash(same)
        assert ours is not same  # identity is the one thing that differs
        assert JobStatus(same) is ours
        for other in JobStatus:
            if other is not ours:
                assert ours != theirs[other.name]
                assert theirs[other.name] != ours
    assert JobStatus.DONE != "DONE"
    assert JobStatus.DONE != "job has successfully run"


def test_membership_in_each_others_tuples_sets_and_dicts() -> None:
    theirs = qiskit_providers.JobStatus
    their_final = qiskit_providers.jobstatus.JOB_FINAL_STATES
    for status in JobStatus:
        assert (status in their_final) is (status in JOB_FINAL_STATES)
        assert (theirs[status.name] in JOB_FINAL_STATES) is (status in JOB_FINAL_STATES)
    assert JobStatus.DONE in {theirs.DONE, theirs.ERROR}
    assert {theirs.QUEUED: "waiting"}[JobStatus.QUEUED] == "waiting"
    assert {JobStatus.QUEUED: "waiting"}[theirs.QUEUED] == "waiting"
    assert len({*JobStatus, *theirs}) == 7


def test_a_users_qiskit_style_loop_ends_on_a_jobv1_job(fake_clock: Any) -> None:
    job = make(jobv1.JobV1, [JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.DONE])
    final = qiskit_providers.jobstatus.JOB_FINAL_STATES
    for _ in range(10):
        if job.status() in final:
            break
    else:
        pytest.fail("the loop never saw a final state")
    assert job.queries == [JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.DONE]


def test_a_jobv1_job_over_a_qiskit_status_answers_its_predicates_and_waits(
    fake_clock: Any,
) -> None:
    """A provider's job on jobv1 that wraps a job still on Qiskit (say, an AerJob)."""
    theirs = qiskit_providers.JobStatus
    job = make(jobv1.JobV1, [theirs.RUNNING, theirs.RUNNING, theirs.DONE, theirs.DONE] * 2)
    assert job.running() is True
    assert job.done() is False
    assert job.done() is True
    assert job.in_final_state() is True
    seen: list[Any] = []
    other = make(jobv1.JobV1, [theirs.QUEUED, theirs.DONE])
    other.wait_for_final_state(wait=1, callback=lambda i, s, j: seen.append(s))
    assert seen == [JobStatus.QUEUED]
    assert seen[0] is JobStatus.QUEUED  # the wait reads it as jobv1's
    assert fake_clock.monotonic() == 1


# ------------------------------------------------------------- Qiskit's module paths


def test_the_module_paths_mirror_qiskit_providers() -> None:
    import jobv1.exceptions
    import jobv1.job
    import jobv1.jobstatus

    assert jobv1.jobstatus.JobStatus is JobStatus
    assert jobv1.jobstatus.JOB_FINAL_STATES is JOB_FINAL_STATES
    assert jobv1.exceptions.JobError is jobv1.JobError
    assert jobv1.exceptions.JobTimeoutError is jobv1.JobTimeoutError
    assert jobv1.job.JobV1 is jobv1.JobV1
    assert jobv1.job.Job is jobv1.Job
    for mine, theirs in (
        (jobv1.jobstatus, qiskit_providers.jobstatus),
        (jobv1.exceptions, qiskit_providers.exceptions),
        (jobv1.job, qiskit_providers.job),
    ):
        assert set(mine.__all__) <= set(dir(theirs)), mine.__name__
        assert mine.__all__ == sorted(mine.__all__)


def test_importing_jobv1_imports_no_qiskit() -> None:
    code = (
        "import sys, jobv1, jobv1.aio, jobv1.testing, jobv1.jobstatus, jobv1.exceptions, jobv1.job; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('qiskit', 'qiskit_aer')))"
    )
    out = python_prints(code)
    assert out.strip() == "[]"


# --------------------------------------------------------- behaving like Qiskit in tests


def test_the_timeout_message_starts_with_qiskits(fake_clock: Any) -> None:
    messages = []
    for base, status_enum in (
        (qiskit_providers.JobV1, qiskit_providers.JobStatus),
        (jobv1.JobV1, JobStatus),
    ):
        job = make(base, [status_enum.RUNNING] * 3)
        with pytest.raises(Exception) as caught:  # noqa: PT011 - the two libraries' classes
            job.wait_for_final_state(timeout=0)
        messages.append(caught.value.args[0])
    assert messages[0] == "Timeout while waiting for job compat."
    assert messages[1] == (
        "Timeout while waiting for job compat. It did not reach a final state within the "
        "timeout of 0 s (last status: RUNNING)"
    )


@pytest.mark.parametrize("timeout", [None, 300])
def test_a_replaced_time_sleep_sees_what_qiskit_gives_it(
    monkeypatch: pytest.MonkeyPatch, timeout: float | None
) -> None:
    """The usual way providers' suites make Qiskit's waits instant: time.sleep replaced.

    The stand-in returns at once, so the real clock hardly moves: jobv1 must
    query again after each sleep, not sleep again for the remainder.
    """
    names = ["QUEUED", "RUNNING", "RUNNING", "RUNNING", "DONE"]
    runs = []
    for base, status_enum in (
        (qiskit_providers.JobV1, qiskit_providers.JobStatus),
        (jobv1.JobV1, JobStatus),
    ):
        sleeps: list[float] = []
        monkeypatch.setattr(time, "sleep", sleeps.append)
        job = make(base, [status_enum[name] for name in names])
        job.wait_for_final_state(timeout=timeout, wait=5)
        monkeypatch.undo()
        runs.append((sleeps, [status.name for status in job.queries]))
    assert runs[0] == runs[1] == ([5, 5, 5, 5], names)


def test_errors_print_as_exceptions_do_never_as_os_errors() -> None:
    error = jobv1.JobTimeoutError("t", "job 7")
    assert str(error) == "('t', 'job 7')"
    assert "Errno" not in str(error)
    assert str(jobv1.JobTimeoutError("waited too long")) == "waited too long"
    assert str(jobv1.JobTimeoutError()) == ""
    assert str(jobv1.JobError("a", "b")) == str(Exception("a", "b"))


# ------------------------------------------------------------ jobv1.qiskit: both at once


def test_the_qiskit_base_is_both_job_classes(fake_clock: Any) -> None:
    from jobv1.qiskit import JobV1 as Both

    theirs = qiskit_providers.JobStatus
    job = make(Both, [theirs.QUEUED, JobStatus.RUNNING, theirs.DONE, theirs.DONE])
    assert isinstance(job, qiskit_providers.JobV1)
    assert isinstance(job, jobv1.JobV1)
    assert isinstance(job, qiskit_providers.job.Job)
    calls: list[str] = []
    job.wait_for_final_state(wait=2, callback=lambda i, s, j: calls.append(s.name))
    assert calls == ["QUEUED", "RUNNING"]
    assert fake_clock.monotonic() == 4
    assert job.done() is True
    assert Both.wait_for_final_state is jobv1.JobV1.wait_for_final_state


@pytest.mark.parametrize(
    "catch",
    [
        "qiskit.JobTimeoutError",
        "qiskit.JobError",
        "jobv1.JobTimeoutError",
        "jobv1.JobError",
        "TimeoutError",
        "QiskitError",
    ],
)
def test_the_qiskit_base_raises_errors_both_libraries_catch(fake_clock: Any, catch: str) -> None:
    from qiskit.exceptions import QiskitError

    from jobv1.qiskit import JobV1 as Both

    classes = {
        "qiskit.JobTimeoutError": qiskit_providers.JobTimeoutError,
        "qiskit.JobError": qiskit_providers.JobError,
        "jobv1.JobTimeoutError": jobv1.JobTimeoutError,
        "jobv1.JobError": jobv1.JobError,
        "TimeoutError": TimeoutError,
        "QiskitError": QiskitError,
    }
    job = make(Both, [JobStatus.RUNNING] * 4)
    with pytest.raises(classes[catch]) as caught:
        job.wait_for_final_state(timeout=3, wait=1)
    error = caught.value
    expected = (
        "Timeout while waiting for job compat. It did not reach a final state within the "
        "timeout of 3 s (last status: RUNNING)"
    )
    assert error.message == expected  # Qiskit's errors keep their message
    assert str(error) == repr(expected)  # and print it as Qiskit's do
    assert fake_clock.monotonic() == 3


def test_the_qiskit_base_raises_both_libraries_errors_for_interrupts_and_backends(
    fake_clock: Any,
) -> None:
    from jobv1 import qiskit as both
    from jobv1.qiskit import JobV1 as Both

    interrupt = jobv1.Interrupt()
    job = make(Both, [JobStatus.RUNNING] * 3)
    interrupt.set()
    caught: Any
    with pytest.raises(qiskit_providers.JobError) as caught:
        job.wait_for_final_state(interrupt=interrupt)
    assert isinstance(caught.value, jobv1.WaitInterruptedError)
    assert isinstance(caught.value, both.WaitInterruptedError)
    assert caught.value.message == "the wait for job 'compat' was interrupted"
    no_backend: Any
    with pytest.raises(qiskit_providers.JobError) as no_backend:
        job.backend()
    assert isinstance(no_backend.value, both.JobError)
    assert no_backend.value.message == "job 'compat' has no backend"
    backend = object()
    with_backend = type(job)(backend, "b")
    assert with_backend.backend() is backend


def test_errors_from_user_code_pass_through_the_qiskit_base_unchanged(fake_clock: Any) -> None:
    from jobv1.qiskit import JobV1 as Both

    class Failing(Both):
        def submit(self) -> None: ...
        def result(self) -> None: ...
        def status(self) -> Any:
            raise self.error

    job = Failing(None, "f")
    job.error = jobv1.JobError("the service said no")
    with pytest.raises(jobv1.JobError) as caught:
        job.wait_for_final_state()
    assert caught.value is job.error


def test_importing_the_qiskit_base_changes_nothing_in_qiskit() -> None:
    code = (
        "import qiskit.providers as p, qiskit.providers.job as j, qiskit.providers.jobstatus as s, "
        "qiskit.providers.exceptions as e\n"
        "def names(): return {m.__name__: dict(vars(m)) for m in (p, j, s, e)}\n"
        "before = names(); classes = {n: dict(vars(c)) for n, c in vars(p).items() if isinstance(c, type)}\n"
        "import jobv1.qiskit\n"
        "assert names() == before\n"
        "assert classes == {n: dict(vars(c)) for n, c in vars(p).items() if isinstance(c, type)}\n"
        "print('unchanged')"
    )
    out = python_prints(code)
    assert out.strip() == "unchanged"


def test_the_qiskit_base_says_to_install_qiskit_when_it_is_missing() -> None:
    code = (
        "import sys; sys.modules['qiskit'] = None\n"
        "try:\n    import jobv1.qiskit\nexcept ImportError as e:\n    print(e)"
    )
    out = python_prints(code)
    assert out.strip() == "jobv1.qiskit needs Qiskit, which is not installed: pip install qiskit"


def test_qiskits_backend_sampler_runs_over_a_jobv1_job() -> None:
    from qiskit import QuantumCircuit
    from qiskit.primitives import BackendSamplerV2
    from qiskit.providers.basic_provider import BasicSimulator

    from jobv1 import ExecutorBackend

    class JobV1Simulator(BasicSimulator):  # type: ignore[misc]
        """Qiskit's reference simulator, whose run() hands back a jobv1 job."""

        def __init__(self, runner: ExecutorBackend) -> None:
            super().__init__()
            self.runner = runner
            self.jobs: list[Any] = []

        def run(self, circuits: Any, **options: Any) -> Any:
            job = self.runner.run(lambda: BasicSimulator.run(self, circuits, **options).result())
            self.jobs.append(job)
            return job

    circuit = QuantumCircuit(2)
    circuit.h(0)
    circuit.cx(0, 1)
    circuit.measure_all()
    with ExecutorBackend(name="sim") as runner:
        backend = JobV1Simulator(runner)
        result = (
            BackendSamplerV2(backend=backend, options={"seed_simulator": 5})
            .run([circuit], shots=200)
            .result()
        )
    counts = result[0].data.meas.get_counts()
    assert set(counts) == {"00", "11"}
    assert sum(counts.values()) == 200
    assert [type(job).__name__ for job in backend.jobs] == ["FutureJob"]
    assert backend.jobs[0].status() == qiskit_providers.JobStatus.DONE


@pytest.mark.parametrize("driver", ["blocking", "asyncio"])
@pytest.mark.parametrize("ending", ["timeout", "interrupt"])
def test_future_backed_jobs_of_the_qiskit_base_raise_qiskits_errors_from_the_futures_loop(
    fake_clock: Any, monkeypatch: pytest.MonkeyPatch, driver: str, ending: str
) -> None:
    """A provider's local jobs (a simulator's, on an executor) may be FutureJobs of the base.

    Their waits take the futures' own loop, which raises the errors their
    class names, as every other loop does.
    """
    import concurrent.futures

    from conftest import completed
    from jobv1 import _choose, _futurewait
    from jobv1 import qiskit as both

    class Local(both.JobV1, jobv1.FutureJob[int]):
        """Submitted to an executor: its future tells its status."""

    jobs = [Local(None, f"local{n}", concurrent.futures.Future()) for n in range(2)]
    interrupt = jobv1.Interrupt()
    if ending == "interrupt":
        interrupt.set()
    options: dict[str, Any] = {"timeout": 2, "interrupt": interrupt}
    layouts: list[object] = []
    real_layout = _choose.layout

    def spy(wait: Any) -> Any:
        layouts.append(made := real_layout(wait))
        return made

    expected = both.JobTimeoutError if ending == "timeout" else both.WaitInterruptedError
    monkeypatch.setattr(_choose, "layout", spy)
    with pytest.raises(expected) as caught:
        completed(driver, jobs, **options)
    assert [type(made) for made in layouts] == [_futurewait.FutureWait]
    assert isinstance(caught.value, qiskit_providers.JobError)
    assert "2 of 2 jobs" in caught.value.message
