"""The conformance kit: it passes on our job classes and fails on broken ones."""

from __future__ import annotations

import concurrent.futures
import contextlib
import math
import re
from typing import Any

import pytest

from jobv1 import JOB_FINAL_STATES, FutureJob, JobError, JobStatus, JobTimeoutError, JobV1
from jobv1.testing import FakeBackend, FakeClock, FakeJob, Hold, check_jobv1

R = JobStatus.RUNNING


def future(outcome: str) -> FutureJob[Any]:
    f: concurrent.futures.Future[Any] = concurrent.futures.Future()
    if outcome == "done":
        f.set_running_or_notify_cancel()
        f.set_result(1)
    elif outcome == "error":
        f.set_running_or_notify_cancel()
        f.set_exception(OSError("failed"))
    return FutureJob(None, f"future-{outcome}", f)


def test_fake_jobs_conform(fake_clock: FakeClock, fake_backend: FakeBackend) -> None:
    for cancel, cancellable in (("cancels", True), ("refuses", False)):
        check_jobv1(
            done=lambda: fake_backend.run(script=[Hold(R, seconds=0.5)], result=1),
            error=lambda: fake_backend.run(script=[Hold(R, seconds=0.5)], error=OSError()),
            pending=lambda cancellable=cancellable: fake_backend.run(  # type: ignore[misc]
                script=[Hold(R)], cancellable=cancellable
            ),
            cancel=cancel,  # type: ignore[arg-type]
            result_error=JobError,
        )
    assert fake_clock.monotonic() < 10


def test_future_jobs_conform(fake_clock: FakeClock) -> None:
    check_jobv1(
        done=lambda: future("done"),
        error=lambda: future("error"),
        pending=lambda: future("pending"),
        cancel="cancels",
        result_error=JobError,
    )


@pytest.mark.realtime
def test_the_check_runs_on_the_real_clock_too() -> None:
    backend = FakeBackend()
    check_jobv1(
        done=lambda: backend.run(script=[Hold(R, seconds=0.05)]),
        error=lambda: backend.run(error=OSError()),
        pending=lambda: backend.run(script=[Hold(R)]),
        result_error=JobError,
        cancel="cancels",
        timeout=0.2,
    )


def second_is(value: Any) -> Any:
    """A factory whose first job is a pending FakeJob and whose second answer is ``value``."""
    answers = iter([make(FakeJob, script=[Hold(R)]), value])
    return lambda: next(answers)


class Unsupported(FakeJob):
    def cancel(self) -> bool:
        raise NotImplementedError


def make(cls: type[FakeJob], **kwargs: Any) -> FakeJob:
    job = cls(None, cls.__name__, **kwargs)
    job.submit()
    return job


def kit(cls: type[FakeJob], **overrides: Any) -> None:
    arguments: dict[str, Any] = {
        "done": lambda: make(cls, script=[Hold(R, seconds=0.5)]),
        "error": lambda: make(cls, error=OSError()),
        "pending": lambda: make(cls, script=[Hold(R)]),
        "cancel": "cancels",
        "result_error": JobError,
    }
    arguments.update(overrides)
    check_jobv1(**arguments)


def test_an_unsupported_cancel_is_checked(fake_clock: FakeClock) -> None:
    kit(Unsupported, cancel="unsupported")


class StringStatus(FakeJob):
    def status(self) -> Any:
        return super().status().name


class Unsticky(FakeJob):
    ended = False

    def status(self) -> JobStatus:
        status = super().status()
        if status is JobStatus.DONE and self.ended:
            return R
        self.ended = status is JobStatus.DONE
        return status


class FlipsLater(FakeJob):
    answers = 0

    def status(self) -> JobStatus:
        status = super().status()
        if status is JobStatus.DONE:
            self.answers += 1
            return JobStatus.CANCELLED if self.answers > 3 else status
        return status


class WrongPredicate(FakeJob):
    def running(self) -> bool:
        return True


class WrongDone(FakeJob):
    def done(self) -> bool:
        return False


class WrongCancelled(FakeJob):
    def cancelled(self) -> bool:
        return self.status() is not JobStatus.CANCELLED


class WrongFinal(FakeJob):
    def in_final_state(self) -> bool:
        return False


class Overshooting(FakeJob):
    def wait_for_final_state(
        self, timeout: Any = None, wait: Any = 5, callback: Any = None, **options: Any
    ) -> None:
        from jobv1._clock import current_clock

        current_clock().sleep(1.5 * (timeout or 0))
        super().wait_for_final_state(0, wait, callback)


class SwallowsTimeouts(FakeJob):
    def wait_for_final_state(
        self, timeout: Any = None, wait: Any = 5, callback: Any = None, **options: Any
    ) -> None:
        with contextlib.suppress(JobTimeoutError):
            super().wait_for_final_state(timeout, wait, callback)


class QuietError(FakeJob):
    def result(self, timeout: float | None = None) -> Any:
        return None


class LyingCancel(FakeJob):
    def cancel(self) -> bool:
        return True


class CancelThatDoesNothing(FakeJob):
    def cancel(self) -> bool:
        super().cancel()
        return False


@pytest.mark.parametrize(
    ("cls", "overrides", "words"),
    [
        (
            StringStatus,
            {},
            "StringStatus 'StringStatus': status() returns a JobStatus, jobv1's or Qiskit's: it returned 'RUNNING'",
        ),
        (
            Unsticky,
            {},
            "Unsticky 'Unsticky': the wait returns only in a final state, which is never left: after the wait, status() answered RUNNING",
        ),
        (
            FlipsLater,
            {},
            "FlipsLater 'FlipsLater': a final status is never left: DONE became CANCELLED",
        ),
        (
            FakeJob,
            {"pending": lambda: make(FakeJob, script=[Hold(R, queries=3)])},
            "FakeJob 'FakeJob': a job that does not end stays not final: it is DONE",
        ),
        (
            WrongDone,
            {},
            "WrongDone 'WrongDone': the predicates agree with status(): done() is False while status() is DONE",
        ),
        (
            WrongCancelled,
            {},
            "WrongCancelled 'WrongCancelled': the predicates agree with status(): cancelled() is True while status() is DONE",
        ),
        (
            WrongFinal,
            {},
            "WrongFinal 'WrongFinal': the predicates agree with status(): in_final_state() is False while status() is DONE",
        ),
        (
            WrongPredicate,
            {},
            "WrongPredicate 'WrongPredicate': the predicates agree with status(): running() is True while status() is DONE",
        ),
        (
            Overshooting,
            {},
            "Overshooting 'Overshooting': the wait keeps its deadline: timeout=1.0 s but it raised after 1.500 s",
        ),
        (
            SwallowsTimeouts,
            {},
            "SwallowsTimeouts 'SwallowsTimeouts': a job that does not end times the wait out: the wait returned",
        ),
        (
            QuietError,
            {},
            "QuietError 'QuietError': result() after ERROR raises JobError: it returned",
        ),
        (
            LyingCancel,
            {},
            "LyingCancel 'LyingCancel': the job ends CANCELLED within the timeout: it is still RUNNING after 1.0 s",
        ),
        (
            CancelThatDoesNothing,
            {},
            "CancelThatDoesNothing 'CancelThatDoesNothing': cancel() of a job that has not ended returns True: False",
        ),
        (
            FakeJob,
            {"cancel": "refuses"},
            "FakeJob 'FakeJob': cancel() refuses, as declared: it returned True, status CANCELLED",
        ),
        (
            FakeJob,
            {"pending": lambda: make(FakeJob)},
            "FakeJob 'FakeJob': a pending job is not final: it is DONE",
        ),
        (
            FakeJob,
            {"done": lambda: make(FakeJob, error=OSError())},
            "FakeJob 'FakeJob': the job ends DONE: it ended ERROR",
        ),
        (FakeJob, {"done": lambda: 42}, "the done factory must return a JobV1, not 42"),
        (FakeJob, {"error": lambda: 42}, "the error factory must return a JobV1, not 42"),
        (FakeJob, {"pending": lambda: 42}, "the pending factory must return a JobV1, not 42"),
        (
            FakeJob,
            lambda: {"pending": second_is(42)},
            "the pending factory must return a JobV1, not 42",
        ),
        (
            FakeJob,
            {"error": lambda: make(FakeJob, script=[Hold(R)])},
            "FakeJob 'FakeJob': the job ends ERROR within the timeout: it is still RUNNING after 1.0 s",
        ),
        (
            FakeJob,
            {"cancel": "unsupported"},
            "FakeJob 'FakeJob': cancel() is unsupported, as declared: it did not raise",
        ),
    ],
)
def test_the_kit_fails_on_broken_job_classes(
    fake_clock: FakeClock, cls: type[FakeJob], overrides: dict[str, Any], words: str
) -> None:
    if callable(overrides):  # a factory with state is made afresh for each run
        overrides = overrides()
    with pytest.raises(AssertionError) as caught:
        kit(cls, **overrides)
    assert str(caught.value) == words


def test_a_job_id_that_is_not_a_str_fails(fake_clock: FakeClock) -> None:
    class NumberedJob(FakeJob):
        def job_id(self) -> Any:
            return 7

    with pytest.raises(AssertionError) as caught:
        kit(NumberedJob)
    assert str(caught.value) == "NumberedJob 7: job_id() returns a str: 7"


def test_the_kit_accepts_a_result_that_reports_errors_itself(fake_clock: FakeClock) -> None:
    kit(QuietError, result_error=None)


@pytest.mark.parametrize(
    ("overrides", "error", "words"),
    [
        (
            {"cancel": "maybe"},
            ValueError,
            "cancel must be 'cancels', 'refuses' or 'unsupported', not 'maybe'",
        ),
        ({"timeout": 0}, ValueError, "timeout must be a finite number of seconds > 0, got 0"),
        ({"timeout": True}, TypeError, "timeout must be a real number, not True"),
    ],
)
def test_the_kit_checks_its_arguments(
    overrides: dict[str, Any], error: type[Exception], words: str
) -> None:
    with pytest.raises(error) as caught:
        kit(FakeJob, **overrides)
    assert str(caught.value) == words


def test_jobv1_is_what_the_kit_checks() -> None:
    assert issubclass(FakeJob, JobV1)


class SlightlyLate(FakeJob):
    def wait_for_final_state(
        self, timeout: Any = None, wait: Any = 5, callback: Any = None, **options: Any
    ) -> None:
        from jobv1._clock import current_clock

        if timeout is not None and not self.in_final_state():
            current_clock().sleep(0.05)  # late by less than the real-time slack
        super().wait_for_final_state(timeout, wait, callback)


class Early(FakeJob):
    def wait_for_final_state(
        self, timeout: Any = None, wait: Any = 5, callback: Any = None, **options: Any
    ) -> None:
        super().wait_for_final_state(None if timeout is None else timeout / 2, wait, callback)


class CancelsButSaysNo(FakeJob):
    def cancel(self) -> bool:
        super().cancel()
        return False


@pytest.mark.parametrize(
    ("cls", "cancel", "words"),
    [
        (
            SlightlyLate,
            "cancels",
            "SlightlyLate 'SlightlyLate': the wait keeps its deadline: timeout=1.0 s but it raised after 1.050 s",
        ),
        (
            Early,
            "cancels",
            "Early 'Early': the wait keeps its deadline: timeout=1.0 s but it raised after 0.500 s",
        ),
        (
            CancelsButSaysNo,
            "refuses",
            "CancelsButSaysNo 'CancelsButSaysNo': cancel() refuses, as declared: it returned False, status CANCELLED",
        ),
    ],
)
def test_virtual_deadlines_are_exact_and_refusals_are_checked(
    fake_clock: FakeClock, cls: type[FakeJob], cancel: str, words: str
) -> None:
    with pytest.raises(AssertionError) as caught:
        kit(cls, cancel=cancel)
    assert str(caught.value) == words


def test_the_kit_is_exact_far_from_time_zero() -> None:
    with FakeClock(start=1e9) as clock:
        kit(FakeJob, timeout=0.7)
        clock.advance(1e6 + 0.1)
        kit(FakeJob, timeout=0.9)


class WholeIntervals(FakeJob):
    """Waits in whole poll intervals and checks its deadline only between them."""

    def wait_for_final_state(
        self, timeout: Any = None, wait: Any = 5, callback: Any = None, **options: Any
    ) -> None:
        from jobv1._clock import current_clock

        clock = current_clock()
        start = clock.monotonic()
        while not self.in_final_state():
            if timeout is not None and clock.monotonic() - start >= timeout:
                raise JobTimeoutError(f"{self.job_id()} timed out")
            clock.sleep(wait)


def test_a_wait_that_overshoots_by_whole_intervals_fails_for_any_timeout(
    fake_clock: FakeClock,
) -> None:
    """The kit's own poll interval is longer than the timeout, whatever the timeout.

    With a fixed interval, a timeout that is a multiple of it would hide the
    overshoot: this job would time out exactly at 10 s with a 5 s interval.
    """
    with pytest.raises(AssertionError) as caught:
        kit(WholeIntervals, timeout=10)
    assert str(caught.value) == (
        "WholeIntervals 'WholeIntervals': the wait keeps its deadline: "
        "timeout=10.0 s but it raised after 100.000 s"
    )


def test_a_jobv1_qiskit_job_answering_qiskits_statuses_conforms(
    fake_clock: FakeClock, fake_backend: FakeBackend
) -> None:
    """Issue 24, 3: the kit refused a status() in Qiskit's JobStatus, which every wait accepts."""
    qiskit = pytest.importorskip("jobv1.qiskit")
    from qiskit.providers import JobStatus as QiskitStatus

    class Both(qiskit.JobV1):  # type: ignore[misc, name-defined]
        def __init__(self, fake: FakeJob) -> None:
            super().__init__(None, fake.job_id())
            self.fake = fake

        def submit(self) -> None:
            """Submitted with its fake."""

        def status(self) -> Any:
            return QiskitStatus[self.fake.status().name]

        def result(self) -> Any:
            return self.fake.result()

        def cancel(self) -> Any:
            return self.fake.cancel()

    check_jobv1(
        done=lambda: Both(fake_backend.run(script=[Hold(R, seconds=0.5)], result=1)),
        error=lambda: Both(fake_backend.run(script=[Hold(R, seconds=0.5)], error=OSError())),
        pending=lambda: Both(fake_backend.run(script=[Hold(R)])),
        cancel="cancels",
        result_error=JobError,
    )


class Batching(FakeBackend):
    """A fake backend with ``job_statuses``, which may answer wrongly on purpose."""

    def __init__(self, answer: Any = None, short: bool = False, pending: Any = None) -> None:
        super().__init__()
        self.answer, self.short, self.pending = answer, short, pending
        self.asked: list[Any] = []  # the jobs of each call

    def job_statuses(self, jobs: Any) -> list[Any]:
        self.asked.append(list(jobs))
        answers = [job.status() if self.answer is None else self.answer for job in jobs]
        if self.pending is not None:  # right for the jobs that ended, wrong for the others
            answers = [a if a in JOB_FINAL_STATES else self.pending for a in answers]
        return answers[1:] if self.short else answers


def batched(backend: Batching, **overrides: Any) -> None:
    arguments: dict[str, Any] = {
        "done": lambda: backend.run(script=[Hold(R, seconds=0.5)]),
        "error": lambda: backend.run(error=OSError()),
        "pending": lambda: backend.run(script=[Hold(R)]),
        "cancel": "cancels",
        "result_error": JobError,
    }
    arguments.update(overrides)
    check_jobv1(**arguments)


def test_a_backends_job_statuses_is_checked_against_each_status(fake_clock: FakeClock) -> None:
    """Issue 24, 3: where a backend batches, its answers must agree with each job's own."""
    batched(Batching())
    with pytest.raises(
        AssertionError,
        match=r"^FakeJob '[^']+': job_statuses\(\) agrees with status\(\): it answered "
        r"<JobStatus.DONE: 'job has successfully run'> where status\(\) answers ERROR$",
    ):
        batched(Batching(answer=JobStatus.DONE))  # the failed job is said DONE
    with pytest.raises(AssertionError, match=r"agrees with status\(\).*'no such'"):
        batched(Batching(answer="no such"))
    short = Batching(short=True)
    with pytest.raises(AssertionError, match=r"one status per job: it answered 2 for 3") as said:
        batched(short)
    first = short.asked[-1][0]  # the message names the first job of the call
    assert str(said.value).startswith(f"FakeJob {first.job_id()!r}: ")
    for wrong in (JobStatus.DONE, "no such"):  # a pending job said final, or said nothing
        with pytest.raises(
            AssertionError,
            match=r"^FakeJob '[^']+': job_statuses\(\) agrees with status\(\): it answered "
            rf"{re.escape(repr(wrong))} for a job whose status\(\) is RUNNING$",
        ):
            batched(Batching(pending=wrong))


class Counting(Batching):
    """A batching backend that keeps the jobs of each call and declares its largest batch."""

    def __init__(self, largest: int | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_status_batch = largest
        self.calls: list[list[str]] = []

    def job_statuses(self, jobs: Any) -> list[Any]:
        self.calls.append([job.job_id() for job in jobs])
        return super().job_statuses(jobs)


@pytest.mark.parametrize(("largest", "sizes"), [(None, [3]), (3, [3]), (2, [2, 1]), (1, [1, 1, 1])])
def test_the_batch_check_keeps_the_backends_largest_batch(
    fake_clock: FakeClock, largest: int | None, sizes: list[int]
) -> None:
    """Each ended or pending job is asked once, in calls no larger than max_status_batch."""
    backend = Counting(largest)
    batched(backend)
    assert [len(call) for call in backend.calls] == sizes
    assert len({job for call in backend.calls for job in call}) == 3


def test_the_batch_check_asks_every_backend_among_the_jobs(fake_clock: FakeClock) -> None:
    """The done job's backend batching rightly does not vouch for the others' backends."""
    good, plain, lying = Batching(), FakeBackend(), Batching(answer=JobStatus.DONE)
    for first in (good, plain):
        with pytest.raises(
            AssertionError,
            match=r"^FakeJob '[^']+': job_statuses\(\) agrees with status\(\): it answered "
            r"<JobStatus.DONE: 'job has successfully run'> where status\(\) answers ERROR$",
        ):
            batched(
                lying,
                done=lambda first=first: first.run(script=[Hold(R, seconds=0.5)]),
            )
    batched(
        lying,
        done=lambda: good.run(script=[Hold(R, seconds=0.5)]),
        error=lambda: good.run(error=OSError()),
        pending=lambda: good.run(script=[Hold(R)]),
    )


class NegativeHint(FakeJob):
    def poll_hint(self, status: JobStatus) -> float | None:
        return -1.0


class NoHint(FakeJob):
    def poll_hint(self, status: JobStatus) -> float | None:
        return None


class SomeHint(FakeJob):
    def poll_hint(self, status: JobStatus) -> float | None:
        return 0.25


class QueuedHint(FakeJob):
    """A hint that is wrong only for QUEUED, the status of the check's pending job alone."""

    def poll_hint(self, status: JobStatus) -> float | None:
        return -1.0 if status is JobStatus.QUEUED else 0.25


def test_a_poll_hint_is_checked_where_the_job_gives_one(fake_clock: FakeClock) -> None:
    kit(NoHint)
    with pytest.raises(
        AssertionError,
        match=r"^NegativeHint '[^']+': poll_hint\(\) gives None or a finite number of seconds "
        r">= 0: it gave -1.0 for RUNNING$",
    ):
        kit(NegativeHint)


def test_a_hint_in_seconds_passes_and_each_hint_is_asked_for_its_status(
    fake_clock: FakeClock,
) -> None:
    kit(SomeHint)
    kit(QueuedHint)  # no job of the check is QUEUED
    with pytest.raises(
        AssertionError,
        match=r"^QueuedHint 'QueuedHint': poll_hint\(\) gives None or a finite number of "
        r"seconds >= 0: it gave -1.0 for QUEUED$",
    ):
        kit(QueuedHint, pending=lambda: make(QueuedHint, script=[Hold(JobStatus.QUEUED)]))


def test_a_reference_must_restore_the_same_job(
    fake_clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A job whose class names a provider is saved and restored once by the check."""
    from jobv1 import restore as real
    from jobv1.testing import _conformance

    kit(FakeJob)  # the test kit's own jobs round-trip

    monkeypatch.setattr(_conformance, "restore", lambda reference: FakeJob(None, "another"))
    with pytest.raises(
        AssertionError,
        match=r"^FakeJob '[^']+': to_reference\(\) restores a job with the same id: "
        r"it came back as 'another'$",
    ):
        kit(FakeJob)

    monkeypatch.setattr(_conformance, "restore", lambda reference: _Running(real(reference)))
    with pytest.raises(
        AssertionError,
        match=r"^FakeJob '[^']+': to_reference\(\) restores a job in the same status: "
        r"it is \w+, and came back <JobStatus.RUNNING: 'job is actively running'>$",
    ):
        kit(FakeJob)


def test_a_restored_job_may_answer_names_where_its_class_says_so(
    fake_clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The restored job's answer is read as the waits read that job's: by its own class."""
    from jobv1 import restore as real
    from jobv1.testing import _conformance

    monkeypatch.setattr(_conformance, "restore", lambda reference: _Named(real(reference)))
    kit(FakeJob)


class _Named:
    """A restored job whose class says its status() may answer a status's name."""

    _status_names = True

    def __init__(self, job: Any) -> None:
        self.job = job

    def job_id(self) -> str:
        return self.job.job_id()  # type: ignore[no-any-return]

    def status(self) -> str:
        return self.job.status().name  # type: ignore[no-any-return]


class _Running:
    """A restored job that keeps the id but says RUNNING."""

    def __init__(self, job: Any) -> None:
        self.job = job

    def job_id(self) -> str:
        return self.job.job_id()  # type: ignore[no-any-return]

    def status(self) -> JobStatus:
        return R


class RaisesAt(FakeJob):
    """A job whose wait raises JobTimeoutError ``ulps`` units of the last place from 1.0 s."""

    ulps = 0

    def wait_for_final_state(
        self, timeout: Any = None, wait: Any = 5, callback: Any = None, **options: Any
    ) -> None:
        from jobv1._clock import current_clock

        end = 1.0
        for _ in range(abs(self.ulps)):
            end = math.nextafter(end, math.inf if self.ulps > 0 else 0.0)
        clock = current_clock()
        clock.sleep(end - clock.monotonic())
        raise JobTimeoutError("timed out")


@pytest.mark.parametrize(
    ("ulps", "kept"),
    # Two units of 1.0's last place either way: four below it, where they are half as large.
    [(-5, False), (-4, True), (0, True), (2, True), (3, False)],
)
def test_on_a_virtual_clock_the_deadline_is_kept_to_two_units_of_rounding(
    fake_clock: FakeClock, ulps: int, kept: bool
) -> None:
    """The kit's only slack on a virtual clock: the rounding of ``start + timeout - start``."""
    from jobv1.testing._conformance import _check_deadline

    assert fake_clock.monotonic() == 0.0
    job = RaisesAt(FakeBackend(), "at", script=[Hold(R)])
    job.ulps = ulps
    if kept:
        _check_deadline(job, 1.0)
    else:
        with pytest.raises(AssertionError, match=r"the wait keeps its deadline: timeout=1\.0 s"):
            _check_deadline(job, 1.0)
