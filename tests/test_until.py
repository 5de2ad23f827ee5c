"""``until=``: wait for a state that is not final (issue 26, 2).

``wait`` and ``as_completed`` and their ``aio`` twins take ``until=``, the
statuses that count as arrived besides the final ones: a job seen in one is
done for the wait, and asked no more. Each test runs under both drivers.
"""

from __future__ import annotations

from typing import Any

import pytest
from qiskit.providers import JobStatus as QiskitStatus

from conftest import ScriptedJob, completed, waited
from jobv1 import FIRST_COMPLETED, JobStatus
from jobv1.testing import FakeBackend, FakeClock, Hold

N, Q, R, D, E = (
    JobStatus.INITIALIZING,
    JobStatus.QUEUED,
    JobStatus.RUNNING,
    JobStatus.DONE,
    JobStatus.ERROR,
)


def test_wait_returns_when_every_job_is_running_or_final(
    driver: str, fake_clock: FakeClock
) -> None:
    jobs = [ScriptedJob([Q, Q, R, D], "a"), ScriptedJob([Q, E], "b"), ScriptedJob([R], "c")]
    seen: list[tuple[str, JobStatus]] = []
    done, not_done = waited(
        driver,
        jobs,
        poll=1,
        until={R},
        on_status=lambda job, status: seen.append((job.job_id(), status)),
    )
    assert (done, not_done) == (set(jobs), set())
    assert fake_clock.monotonic() == 2  # "a" runs at its third query
    assert [job.queries for job in jobs] == [3, 2, 1]  # each asked no more once arrived
    assert ("a", D) not in seen


def test_as_completed_yields_each_job_as_it_arrives(driver: str, fake_clock: FakeClock) -> None:
    jobs = [ScriptedJob([Q, Q, Q, R], "late"), ScriptedJob([N, R], "early")]
    assert completed(driver, jobs, poll=1, until=[R]) == [jobs[1], jobs[0]]


def test_qiskits_statuses_and_final_ones_are_taken(driver: str, fake_clock: FakeClock) -> None:
    jobs = [ScriptedJob([Q, R], "a"), ScriptedJob([Q, Q], "b")]
    result = waited(driver, jobs, poll=1, timeout=5, until=(QiskitStatus.RUNNING, JobStatus.DONE))
    assert (result.done, result.not_done) == ({jobs[0]}, {jobs[1]})


def test_first_completed_returns_at_the_first_arrival(driver: str, fake_clock: FakeClock) -> None:
    jobs = [ScriptedJob([Q, Q, R], "a"), ScriptedJob([Q, R], "b")]
    done, not_done = waited(driver, jobs, poll=1, return_when=FIRST_COMPLETED, until={R})
    assert (done, not_done) == ({jobs[1]}, {jobs[0]})


def test_the_test_kits_fake_jobs(driver: str, fake_clock: FakeClock) -> None:
    backend = FakeBackend()
    jobs = [backend.run(script=[Hold(Q, seconds=k), Hold(R, seconds=5)]) for k in (1, 3)]
    done, _ = waited(driver, jobs, poll=1, until={R})
    assert done == set(jobs)
    assert fake_clock.monotonic() == 3
    assert all(job.status() is R for job in jobs)


@pytest.mark.parametrize(
    ("until", "message"),
    [
        ("RUNNING", "until must be a set of statuses, not 'RUNNING'"),
        (JobStatus.RUNNING, "until must be a set of statuses, not <JobStatus.RUNNING"),
        (None, "until must be a set of statuses, not None"),
        (3, "until must be a set of statuses, not 3"),
        ({"RUNNING"}, "until must hold only statuses, not 'RUNNING'"),
    ],
)
def test_until_is_checked_first(driver: str, until: Any, message: str) -> None:
    job = ScriptedJob([D], "a")
    with pytest.raises(TypeError, match=message.replace("(", r"\(")):
        waited(driver, [job], until=until)
    with pytest.raises(TypeError, match=message.replace("(", r"\(")):
        completed(driver, [job], until=until)
    assert job.queries == 0
