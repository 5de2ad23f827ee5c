"""Jobs that survive a restart: references, the provider registry, restore (virtual time)."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

import jobv1
from conftest import ScriptedJob
from jobv1 import FutureJob, JobError, JobFailedError, JobStatus, as_job, restore
from jobv1 import _reference as reference_module
from jobv1.testing import FakeBackend, FakeClock, FakeJob, Hold, use_clock

Q, R, D, E, C = (
    JobStatus.QUEUED,
    JobStatus.RUNNING,
    JobStatus.DONE,
    JobStatus.ERROR,
    JobStatus.CANCELLED,
)

# The test kit's fake jobs restore only where a test allows it.
pytestmark = pytest.mark.usefixtures("restoring_fakes")


def trip(job: Any) -> Any:
    """Save ``job``, send the reference through JSON, and restore it."""
    return restore(json.loads(json.dumps(job.to_reference())))


# ---------------------------------------------------------------------------- the fake backend


def test_a_restored_job_goes_on_from_where_its_script_was(fake_clock: FakeClock) -> None:
    backend = FakeBackend("sim")
    job = backend.run(script=[Hold(Q, seconds=3), Hold(R, seconds=5)], result={"counts": 7})
    fake_clock.advance(4)
    restored = trip(job)
    assert type(restored) is FakeJob
    assert restored is not job
    assert (restored.job_id(), restored.backend().name, restored.status()) == ("sim-1", "sim", R)
    assert jobv1.result(restored, timeout=60, poll=0.5) == {"counts": 7}
    assert fake_clock.monotonic() == 8  # the RUNNING step began at 3 and lasts 5 s


def test_a_job_that_refuses_to_cancel_still_refuses_once_restored(fake_clock: FakeClock) -> None:
    job = FakeBackend("sim").run(script=[Hold(R)], cancellable=False)
    assert job.to_reference()["cancellable"] is False
    restored = trip(job)
    assert restored.cancel() is False
    assert restored.status() is R


def test_the_reference_is_small_json_with_the_standard_keys(fake_clock: FakeClock) -> None:
    job = FakeBackend("sim").run(script=[Hold(Q, seconds=3)], result=1)
    fake_clock.advance(1)
    reference = job.to_reference()
    assert list(reference)[:3] == ["provider", "backend", "job_id"]
    assert reference == {
        "provider": "jobv1-fake",
        "backend": "sim",
        "job_id": "sim-1",
        "submitted": True,
        "began": 0.0,
        "script": [["QUEUED", 3.0, None]],
        "status": "QUEUED",
        "end": "DONE",
        "result": 1,
        "error": None,
        "cancellable": True,
    }


def test_a_step_held_for_queries_keeps_the_queries_it_still_answers(fake_clock: FakeClock) -> None:
    job = FakeBackend().run(script=[Hold(Q, queries=3)], result=1)
    job.status()
    restored = trip(job)
    assert [restored.status() for _ in range(3)] == [Q, Q, D]


def test_jobs_moved_by_hand_are_restored_where_they_were(fake_clock: FakeClock) -> None:
    backend = FakeBackend()
    running, done, failed, cancelled = (backend.run(script=[Hold(Q)]) for _ in range(4))
    running.set_status(R)
    done.set_result([1, 2])
    failed.fail(OSError("lost"))
    assert cancelled.cancel()
    fake_clock.advance(1000)
    assert trip(running).status() == R
    assert (trip(done).status(), trip(done).result()) == (D, [1, 2])
    assert trip(cancelled).status() == C
    restored = trip(failed)
    assert restored.status() == E
    with pytest.raises(JobFailedError) as caught:
        jobv1.result(restored)
    assert isinstance(caught.value.__cause__, JobError)
    assert "OSError('lost')" in str(caught.value.__cause__)


def test_a_job_not_submitted_is_restored_not_submitted(fake_clock: FakeClock) -> None:
    job = FakeJob(None, "draft", script=[Hold(R, seconds=2)], result=5, cancellable=False)
    restored = trip(job)
    assert (restored.status(), restored._backend) == (JobStatus.INITIALIZING, None)
    restored.submit()
    fake_clock.advance(2)
    assert (restored.status(), restored.result(), restored.cancel()) == (D, 5, False)


def test_jobs_of_one_backend_are_restored_onto_one_backend(fake_clock: FakeClock) -> None:
    backend = FakeBackend("shared")
    first, second = trip(backend.run()), trip(backend.run())
    assert first.backend() is second.backend()
    assert first.backend().jobs == [first, second]
    assert trip(FakeBackend("other").run()).backend() is not first.backend()


def test_a_reference_saved_on_one_fake_clock_is_restored_on_another() -> None:
    """A FakeClock's time is its wall time: a reference carries the elapsed virtual time."""
    with FakeClock(100.0) as first:
        job = FakeBackend().run(script=[Hold(R, seconds=10)])
        first.advance(4)
        reference = job.to_reference()
    with FakeClock(0.0) as second:
        second.advance(104)  # the time the reference was saved at, on the first clock
        restored = restore(reference)
        assert restored.status() == R
        second.advance(5.5)
        assert restored.status() == R
        second.advance(0.5)
        assert restored.status() == D


def test_on_the_system_clock_the_reference_carries_wall_clock_time() -> None:
    job = FakeBackend().run(script=[Hold(R, seconds=3600)])
    reference = job.to_reference()
    assert reference["began"] == pytest.approx(time.time(), abs=5)
    restored = restore(reference)
    assert restored._step_started == pytest.approx(job._step_started, abs=1)
    assert restored.status() == R


def test_another_process_restores_the_job_with_its_timeline(tmp_path: Path) -> None:
    job = FakeBackend("sim").run(script=[Hold(R, seconds=3600)], result=3)
    job.set_result(3)  # ended: the other process reads its result at once
    running = FakeBackend("sim").run(script=[Hold(R, seconds=3600)])
    path = tmp_path / "jobs.json"
    path.write_text(json.dumps([job.to_reference(), running.to_reference()]))
    code = textwrap.dedent(
        f"""
        import json, jobv1
        done, running = (jobv1.restore(r) for r in json.load(open({str(path)!r})))
        print(jobv1.result(done, timeout=5), running.status().name, done.job_id())
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.split() == ["3", "RUNNING", "sim-1"]


def test_a_malformed_fake_reference_is_refused() -> None:
    reference = FakeBackend().run().to_reference()
    reference["script"] = [["SOON", 1.0, None]]
    with pytest.raises(ValueError, match=r"is not one FakeJob\.to_reference"):
        restore(reference)


# ---------------------------------------------------------------------------- what cannot be saved


def test_a_future_job_cannot_be_saved() -> None:
    import concurrent.futures

    job: FutureJob[int] = FutureJob(None, "local", concurrent.futures.Future())
    with pytest.raises(JobError, match=r"runs on a concurrent\.futures\.Future of this process"):
        job.to_reference()


def test_a_view_of_another_librarys_job_cannot_be_saved() -> None:
    class Theirs:
        def job_id(self) -> str:
            return "theirs-1"

        def status(self) -> str:
            return "DONE"

    with pytest.raises(
        JobError,
        match=r"^job 'theirs-1' is a Theirs, which jobv1 cannot save: only a JobV1 whose class "
        r"names a provider \(reference_provider\) can be$",
    ):
        as_job(Theirs()).to_reference()


def test_a_provider_name_must_be_a_str() -> None:
    class Named(ScriptedJob):
        reference_provider = 42  # type: ignore[assignment]

    with pytest.raises(TypeError, match="reference_provider of Named must be a str or None"):
        Named([R]).to_reference()


def test_the_base_reference_names_the_backend_by_attribute_or_method() -> None:
    class Provided(ScriptedJob):
        reference_provider = "acme"

    class Property:
        name = "prop"

    class Method:
        def name(self) -> str:
            return "meth"

    job = Provided([R], "a-1")
    assert job.to_reference() == {"provider": "acme", "backend": None, "job_id": "a-1"}
    for backend, name in [(Property(), "prop"), (Method(), "meth"), (object(), None)]:
        job._backend = backend  # type: ignore[assignment]
        assert job.to_reference()["backend"] == name


# ---------------------------------------------------------------------------- the registry


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Install a provider distribution on sys.path; return a function that writes its parts."""
    monkeypatch.setattr(reference_module, "found", {})
    monkeypatch.syspath_prepend(str(tmp_path))

    def install(dist: str, entry_points: str, module: str) -> None:
        info = tmp_path / f"{dist}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
        (info / "entry_points.txt").write_text(f"[jobv1.providers]\n{entry_points}\n")
        (tmp_path / f"{dist}.py").write_text(textwrap.dedent(module))
        importlib.invalidate_caches()
        monkeypatch.delitem(sys.modules, dist, raising=False)

    return install


ACME = """
    from jobv1 import JobStatus
    from jobv1.testing import FakeJob

    calls = []

    class AcmeJob(FakeJob):
        reference_provider = "acme"

    def restore(reference):
        calls.append(reference)
        return AcmeJob(None, reference["job_id"], end=JobStatus[reference["ended"]])

    def wrong_id(reference):
        return AcmeJob(None, "someone-else")

    def not_a_job(reference):
        return "a job"

    class Theirs:
        def __init__(self, job_id):
            self.id = job_id

        def job_id(self):
            return self.id

        def status(self):
            return "DONE"

    def foreign(reference):
        return Theirs(reference["job_id"])

    NOT_CALLABLE = 3
    """


def test_restore_finds_the_provider_by_its_entry_point(installed: Any) -> None:
    installed("acme_provider", "acme = acme_provider:restore", ACME)
    reference = {"provider": "acme", "backend": None, "job_id": "a-1", "ended": "CANCELLED"}
    job = restore(reference)
    assert (type(job).__name__, job.job_id()) == ("AcmeJob", "a-1")
    job.submit()
    assert jobv1.wait([job]) == ({job}, set())
    assert job.status() == C
    restore({**reference, "job_id": "a-2"})
    calls = sys.modules["acme_provider"].calls
    assert [call["job_id"] for call in calls] == ["a-1", "a-2"]
    assert reference_module.found["acme"].__name__ == "restore"  # looked up once, then kept


def test_a_provider_may_restore_a_job_of_another_library(installed: Any) -> None:
    installed("acme_provider", "acme = acme_provider:foreign", ACME)
    job = restore({"provider": "acme", "backend": None, "job_id": "t-1"})
    assert type(job).__name__ == "Theirs"
    assert jobv1.wait([job]) == ({job}, set())


@pytest.mark.parametrize(
    ("target", "error", "words"),
    [
        ("acme_provider:wrong_id", ValueError, "as a job whose id is 'someone-else'"),
        ("acme_provider:not_a_job", TypeError, "the provider 'acme' must restore a job"),
        ("acme_provider:NOT_CALLABLE", TypeError, "is 3, not a function that restores jobs"),
    ],
)
def test_a_provider_that_restores_badly_is_refused(
    installed: Any, target: str, error: type[Exception], words: str
) -> None:
    installed("acme_provider", f"acme = {target}", ACME)
    with pytest.raises(error, match=words):
        restore({"provider": "acme", "backend": None, "job_id": "a-1", "ended": "DONE"})


def test_a_provider_registered_twice_is_refused(installed: Any) -> None:
    installed("acme_provider", "acme = acme_provider:restore", ACME)
    installed("acme_clone", "acme = acme_clone:restore", ACME)
    with pytest.raises(JobError, match="registered more than once") as caught:
        restore({"provider": "acme", "backend": None, "job_id": "a-1"})
    assert "acme_clone:restore, acme_provider:restore" in str(caught.value)


def test_the_fake_backend_is_registered_by_jobv1_itself() -> None:
    from importlib.metadata import entry_points

    (point,) = entry_points(group="jobv1.providers", name="jobv1-fake")
    assert point.load() == FakeJob.from_reference


def test_waits_take_restored_jobs_as_any_other() -> None:
    clock = FakeClock()
    with use_clock(clock):
        backend = FakeBackend("sim")
        jobs = [backend.run(script=[Hold(R, seconds=n)], result=n) for n in (3, 1, 2)]
        clock.advance(0.5)
        restored = [trip(job) for job in jobs]
        assert [job.result() for job in jobv1.as_completed(restored)] == [1, 2, 3]


def test_a_forged_reference_to_a_fake_job_is_refused_unless_a_test_allows_it(
    fake_clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 24, 2: any reference naming jobv1-fake restored into a DONE job with any result."""
    from jobv1 import sharded
    from jobv1.testing import restoring_fakes
    from jobv1.testing._backend import RESTORING

    forged = FakeBackend("ibm_brisbane").run(result=0).to_reference()  # the shape, by hand
    forged.update(job_id="mine", result={"counts": {"11": 4096}})
    monkeypatch.delenv(RESTORING)  # this module's tests allow it: not this one
    with pytest.raises(JobError) as refused:
        restore(forged)
    assert str(refused.value) == (
        "a reference to a fake job of jobv1's test kit (provider 'jobv1-fake') is restored "
        "only where a test allows it: inside `with jobv1.testing.restoring_fakes():`, or with "
        "the `restoring_fakes` fixture"
    )
    (settled,) = sharded.settle([forged], until=None)
    assert isinstance(settled.error, JobError)
    assert (settled.status, settled.result) == (None, None)
    with restoring_fakes():
        assert restore(forged).status() is JobStatus.DONE  # a test that allows it
        with restoring_fakes():
            pass
        assert restore(forged).job_id() == "mine"  # the inner block put back the outer's
    with pytest.raises(JobError, match="restored only where a test allows it"):
        restore(forged)  # and the block put back what was there: nothing
