"""JobV1.wait_for_final_state: the Qiskit-compatible, deadline-exact wait, in virtual time."""

from __future__ import annotations

import math
from typing import Any

import pytest

import jobv1
from conftest import ScriptedJob
from jobv1 import Backoff, JobStatus, JobTimeoutError, JobV1
from jobv1._pacing import HINT_FLOOR
from jobv1.testing import FakeBackend, FakeClock, Hold

Q, R, D = JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.DONE


def record() -> tuple[list[tuple[str, JobStatus, Any]], Any]:
    calls: list[tuple[str, JobStatus, Any]] = []
    return calls, lambda job_id, status, job: calls.append((job_id, status, job))


def test_first_query_is_immediate_and_a_final_job_returns_at_once(
    fake_clock: FakeClock, fake_backend: FakeBackend
) -> None:
    job = fake_backend.run(result=1)
    calls, callback = record()
    job.wait_for_final_state(callback=callback)
    assert job.queries == [(0.0, D)]
    assert calls == []
    assert fake_clock.monotonic() == 0.0


def test_polls_every_wait_seconds_and_calls_back_after_each_non_final_query(
    fake_clock: FakeClock, fake_backend: FakeBackend
) -> None:
    job = fake_backend.run(script=[Hold(Q, seconds=10), Hold(R, seconds=7)])
    calls, callback = record()
    job.wait_for_final_state(wait=5, callback=callback)
    assert job.queries == [(0, Q), (5, Q), (10, R), (15, R), (20, D)]
    assert calls == [(job.job_id(), s, job) for s in (Q, Q, R, R)]


def test_default_interval_is_five_seconds(fake_clock: FakeClock, fake_backend: FakeBackend) -> None:
    job = fake_backend.run(script=[Hold(R, seconds=12)])
    job.wait_for_final_state()
    assert [q.time for q in job.queries] == [0, 5, 10, 15]


def test_timeout_is_a_deadline_whatever_the_interval(
    fake_clock: FakeClock, fake_backend: FakeBackend
) -> None:
    job = fake_backend.run(script=[Hold(R)])
    calls, callback = record()
    with pytest.raises(JobTimeoutError) as caught:
        job.wait_for_final_state(timeout=0.2, wait=1.0, callback=callback)
    # one query at the start, the last one at the deadline, and no sleep past it
    assert job.queries == [(0, R), (0.2, R)]
    assert fake_clock.monotonic() == 0.2
    # as in Qiskit, the query that times the wait out is not passed to callback
    assert len(calls) == 1
    assert "fake-1" in str(caught.value)
    assert "0.2" in str(caught.value)
    assert "RUNNING" in str(caught.value)
    assert isinstance(caught.value, TimeoutError)


def test_last_interval_is_cut_to_the_deadline(
    fake_clock: FakeClock, fake_backend: FakeBackend
) -> None:
    job = fake_backend.run(script=[Hold(R)])
    with pytest.raises(JobTimeoutError):
        job.wait_for_final_state(timeout=12, wait=5)
    assert [q.time for q in job.queries] == [0, 5, 10, 12]


def test_a_job_that_ends_exactly_at_the_deadline_is_seen_done(
    fake_clock: FakeClock, fake_backend: FakeBackend
) -> None:
    job = fake_backend.run(script=[Hold(R, seconds=12)])
    job.wait_for_final_state(timeout=12, wait=5)
    assert job.queries[-1] == (12, D)


@pytest.mark.parametrize("timeout", [0, -1, -math.inf, 0.0])
def test_timeout_at_or_below_zero_is_one_query_then_the_error(
    fake_clock: FakeClock, fake_backend: FakeBackend, timeout: float
) -> None:
    job = fake_backend.run(script=[Hold(R)])
    with pytest.raises(JobTimeoutError):
        job.wait_for_final_state(timeout=timeout)
    assert job.queries == [(0, R)]


def test_timeout_at_zero_still_returns_for_a_final_job(
    fake_clock: FakeClock, fake_backend: FakeBackend
) -> None:
    fake_backend.run(result=1).wait_for_final_state(timeout=0)


@pytest.mark.parametrize("timeout", [None, math.inf])
def test_no_timeout_waits_indefinitely(
    fake_clock: FakeClock, fake_backend: FakeBackend, timeout: float | None
) -> None:
    job = fake_backend.run(script=[Hold(R, seconds=86_400 * 365)])
    job.wait_for_final_state(timeout=timeout, wait=3600)
    assert job.in_final_state()


def test_the_wait_takes_a_policy(fake_clock: FakeClock, fake_backend: FakeBackend) -> None:
    job = fake_backend.run(script=[Hold(R, seconds=1)])
    job.wait_for_final_state(wait=Backoff(initial=0.1, multiplier=2, maximum=0.4))
    assert [q.time for q in job.queries] == pytest.approx([0, 0.1, 0.3, 0.4, 0.8, 1.2])


def test_an_hour_of_virtual_time_takes_no_real_time(
    fake_clock: FakeClock, fake_backend: FakeBackend
) -> None:
    job = fake_backend.run(script=[Hold(Q, seconds=1800), Hold(R, seconds=1800)])
    job.wait_for_final_state(wait=1)
    assert len(job.queries) == 3601
    assert fake_clock.monotonic() == 3600


def test_exceptions_from_status_propagate_unchanged(fake_clock: FakeClock) -> None:
    error = ConnectionError("service down")

    class Failing(ScriptedJob):
        def status(self) -> JobStatus:
            raise error

    with pytest.raises(ConnectionError) as caught:
        Failing([R]).wait_for_final_state()
    assert caught.value is error


def test_exceptions_from_callback_propagate_unchanged(
    fake_clock: FakeClock, fake_backend: FakeBackend
) -> None:
    job = fake_backend.run(script=[Hold(R)])
    error = ValueError("callback broke")

    def callback(job_id: str, status: JobStatus, job: Any) -> None:
        raise error

    with pytest.raises(ValueError, match="callback broke") as caught:
        job.wait_for_final_state(callback=callback)
    assert caught.value is error
    assert len(job.queries) == 1


@pytest.mark.parametrize("garbage", ["DONE", None, 3, JobStatus.DONE.value])
def test_a_status_that_is_not_a_jobstatus_is_a_type_error(
    fake_clock: FakeClock, garbage: object
) -> None:
    job = ScriptedJob([garbage], job_id="odd-job")
    with pytest.raises(TypeError, match="odd-job") as caught:
        job.wait_for_final_state()
    assert repr(garbage) in str(caught.value)
    assert job.queries == 1


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"timeout": math.nan}, ValueError, "timeout must not be NaN"),
        ({"timeout": "10"}, TypeError, "timeout must be a real number, not '10'"),
        ({"timeout": True}, TypeError, "timeout must be a real number, not True"),
        ({"wait": -1}, ValueError, "wait must be a finite number of seconds >= 0, got -1"),
        ({"wait": math.inf}, ValueError, "wait must be a finite number of seconds >= 0, got inf"),
        ({"wait": math.nan}, ValueError, "wait must not be NaN"),
        ({"wait": None}, TypeError, "wait must be a number of seconds or a poll policy"),
        ({"wait": "5"}, TypeError, "not '5'"),
        ({"callback": 42}, TypeError, "callback must be callable or None, not 42"),
    ],
)
def test_bad_arguments_are_refused_before_any_query(
    fake_clock: FakeClock,
    fake_backend: FakeBackend,
    kwargs: dict[str, Any],
    error: type[Exception],
    words: str,
) -> None:
    job = fake_backend.run(script=[Hold(R)])
    with pytest.raises(error, match=words.replace("(", r"\(")):
        job.wait_for_final_state(**kwargs)
    assert job.queries == []


def test_any_numbers_real_is_a_number_of_seconds(
    fake_clock: FakeClock, fake_backend: FakeBackend
) -> None:
    from fractions import Fraction

    job = fake_backend.run(script=[Hold(R)])
    with pytest.raises(JobTimeoutError):
        job.wait_for_final_state(timeout=Fraction(3, 2), wait=Fraction(1, 2))  # type: ignore[arg-type]
    assert [q.time for q in job.queries] == [0, 0.5, 1.0, 1.5]


def test_a_synchronous_job_class_returns_at_once_as_in_qiskit(fake_clock: FakeClock) -> None:
    class Synchronous(ScriptedJob):
        _async = False

    job = Synchronous([R])
    job.wait_for_final_state(timeout=1)
    assert job.queries == 0
    with pytest.raises(ValueError, match="wait"):
        job.wait_for_final_state(wait=-1)


def test_poll_hint_replaces_the_interval_and_stays_inside_the_deadline(
    fake_clock: FakeClock, fake_backend: FakeBackend
) -> None:
    seen: list[JobStatus] = []

    class Paced(ScriptedJob):
        def poll_hint(self, status: JobStatus) -> float | None:
            seen.append(status)
            return {Q: 30.0, R: None}[status]

    job = Paced([Q, Q, R, R, R, D])
    job.wait_for_final_state(wait=1)
    assert fake_clock.monotonic() == 30 + 30 + 1 + 1 + 1
    assert seen == [Q, Q, R, R, R]

    fake_clock.advance(100)
    start = fake_clock.monotonic()
    with pytest.raises(JobTimeoutError):
        Paced([Q]).wait_for_final_state(timeout=45, wait=1)
    assert fake_clock.monotonic() - start == 45


@pytest.mark.parametrize("hint", [-1, math.nan, math.inf, "soon", True])
def test_a_bad_poll_hint_is_an_error_naming_the_job(fake_clock: FakeClock, hint: object) -> None:
    class Paced(ScriptedJob):
        def poll_hint(self, status: JobStatus) -> Any:
            return hint

    with pytest.raises(ValueError, match=r"poll_hint\(\) of job 'paced' returned"):
        Paced([R], job_id="paced").wait_for_final_state()


@pytest.mark.parametrize("path", ["fast", "general", "many"])
def test_a_hint_under_the_floor_is_now_once_then_the_floor(
    fake_clock: FakeClock, path: str
) -> None:
    """Issue 25, 3: a hint of 0 (an estimated start already past) was a hot loop."""
    hints = [0.0, 0.0, 0.0, 1.0, 0.01, 0.0]

    class Hurried(ScriptedJob):
        times: list[float] = []  # noqa: RUF012 - one job: when it was asked

        def status(self) -> JobStatus:
            self.times.append(fake_clock.monotonic())
            return super().status()

        def poll_hint(self, status: JobStatus) -> Any:
            return hints.pop(0) if len(hints) > 1 else hints[0]

    job = Hurried([R], job_id="hurried")
    if path == "many":
        other = ScriptedJob([R])
        assert jobv1.wait([job, other], timeout=2).not_done == {job, other}
    else:
        hook = None if path == "fast" else (lambda job, status: None)
        with pytest.raises(JobTimeoutError):
            job.wait_for_final_state(timeout=2, on_status=hook)
    times = [round(t, 6) for t in job.times]
    # 0, then "now" once, then the floor; 1 s as asked; then "now" once, and the floor.
    assert times[:7] == [0.0, 0.0, 0.05, 0.1, 1.1, 1.11, 1.16]
    assert len(times) <= 2 + 2 / HINT_FLOOR  # at most 20 queries a second, and the deadline's


def test_a_hint_at_the_floor_is_no_hurry() -> None:
    """A hint of exactly the floor is taken as given, and leaves the next one free to be now."""
    from jobv1._pacing import floored

    assert floored(HINT_FLOOR, False) == (HINT_FLOOR, False)
    assert floored(HINT_FLOOR, True) == (HINT_FLOOR, False)
    assert floored(0.0, False) == (0.0, True)
    assert floored(0.0, True) == (HINT_FLOOR, True)


def test_the_base_class_hint_is_none() -> None:
    assert ScriptedJob([R]).poll_hint(R) is None


def test_a_custom_policy_that_runs_out_or_misbehaves_is_an_error(fake_clock: FakeClock) -> None:
    class Short:
        def __init__(self, *delays: Any) -> None:
            self._delays = delays

        def delays(self) -> Any:
            return iter(self._delays)

        def __repr__(self) -> str:
            return f"Short{self._delays}"

    with pytest.raises(ValueError, match="ran out of delays"):
        ScriptedJob([R]).wait_for_final_state(wait=Short(1.0))
    many = [ScriptedJob([R], "a"), ScriptedJob([R], "b")]  # the general loop, with a hook
    with pytest.raises(ValueError, match=r"^poll policy Short\(1.0,\) ran out of delays$"):
        jobv1.wait(many, poll=Short(1.0), on_status=lambda *told: None)
    with pytest.raises(ValueError, match="gave the delay -2"):
        ScriptedJob([R]).wait_for_final_state(wait=Short(-2))
    with pytest.raises(ValueError, match="gave the delay 'x'"):
        ScriptedJob([R]).wait_for_final_state(wait=Short("x"))


def test_many_threads_can_wait_on_one_job(fake_clock: FakeClock, fake_backend: FakeBackend) -> None:
    from concurrent.futures import ThreadPoolExecutor

    job = fake_backend.run(script=[Hold(R, seconds=50)])
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: job.wait_for_final_state(wait=1), range(32)))
    assert results == [None] * 32
    assert job.status() is D


def test_subclasses_of_jobv1_are_waited_in_virtual_time_without_patching(
    fake_clock: FakeClock,
) -> None:
    job: JobV1 = ScriptedJob([R] * 720 + [D])
    job.wait_for_final_state()
    assert fake_clock.monotonic() == 3600


def test_intervals_that_add_up_to_the_deadline_make_one_last_query_not_two(
    fake_clock: FakeClock, fake_backend: FakeBackend
) -> None:
    """3000 steps of 0.1 s drift below 300 s by an ulp; the query there is the deadline's."""
    job = fake_backend.run(script=[Hold(R)])
    with pytest.raises(JobTimeoutError):
        job.wait_for_final_state(timeout=300, wait=0.1)
    assert len(job.queries) == 3001
    assert job.queries[-1].time == 300


def test_the_messages_about_bad_hints_and_delays_are_whole(fake_clock: FakeClock) -> None:
    class Paced(ScriptedJob):
        def poll_hint(self, status: JobStatus) -> Any:
            return -1

    class Negative:
        def delays(self) -> Any:
            return iter([-2.0])

        def __repr__(self) -> str:
            return "Negative()"

    with pytest.raises(ValueError, match="poll_hint") as caught:
        Paced([R], job_id="p").wait_for_final_state()
    assert str(caught.value) == (
        "poll_hint() of job 'p' returned -1; it must be None or a finite number of seconds >= 0"
    )
    with pytest.raises(ValueError, match="poll policy") as caught:
        ScriptedJob([R]).wait_for_final_state(wait=Negative())
    assert str(caught.value) == (
        "poll policy Negative() gave the delay -2.0; delays must be finite numbers of seconds >= 0"
    )


def test_a_resync_interval_under_a_second_is_taken() -> None:
    from jobv1._traits import resync_of

    class Often:
        resync_interval = 0.5

    assert resync_of(Often()) == 0.5


def test_a_huge_policy_delay_is_refused_on_the_plain_loop_too() -> None:
    clock = FakeClock()
    clock.advance(1.7e308)
    jobs = [ScriptedJob([R], f"j{n}") for n in range(2)]
    with (
        clock,
        pytest.raises(ValueError, match=r"a delay of 1\.7e\+308 s .* \(it reads 1\.7e\+308\)"),
    ):
        jobv1.wait(jobs, poll=1.7e308)
