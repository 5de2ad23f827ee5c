"""jobv1.testing: the fake clock, the fake backend and its jobs, the pytest plugin."""

from __future__ import annotations

import math
import sys
import threading
import time
from collections.abc import Callable

import pytest

from jobv1 import JobError, JobStatus, JobTimeoutError
from jobv1._clock import SystemClock, current_clock, install, reader, uninstall
from jobv1.testing import FakeBackend, FakeClock, FakeJob, Hold, Query, use_clock

Q, R, D, E, C = (
    JobStatus.QUEUED,
    JobStatus.RUNNING,
    JobStatus.DONE,
    JobStatus.ERROR,
    JobStatus.CANCELLED,
)


class TestFakeClock:
    def test_sleeping_advances_at_once(self) -> None:
        clock = FakeClock(start=10)
        assert clock.monotonic() == 10
        started = time.perf_counter()
        assert clock.sleep(3600) is False
        assert time.perf_counter() - started < 1  # generous: it must not really sleep
        assert clock.monotonic() == 3610
        clock.advance(0.5)
        assert clock.monotonic() == 3610.5
        assert repr(clock) == "FakeClock(now=3610.5)"

    def test_one_made_and_never_entered_is_named_when_a_fake_job_would_run_in_real_time(
        self,
    ) -> None:
        """Issue 24, 8: a FakeClock() never entered left the fake jobs on the real clock."""
        clock = FakeClock()
        with pytest.raises(
            RuntimeError,
            match=r"^FakeClock\(now=0.0\) was made but never entered, so fake job 'fake-1' would "
            r"run on the system's clock, in real time: make the job inside `with FakeClock\(\) "
            r"as clock:` \(or under the fake_clock fixture\)$",
        ):
            FakeBackend().run(script=[Hold(JobStatus.RUNNING, seconds=3600)])
        made: list[BaseException] = []

        def elsewhere() -> None:  # another thread's own real-time jobs are not its concern
            try:
                FakeBackend().run()
            except BaseException as error:  # pragma: no cover - the test fails on it
                made.append(error)

        thread = threading.Thread(target=elsewhere)
        thread.start()
        thread.join(10)
        assert made == []
        with clock:
            job = FakeBackend().run(script=[Hold(JobStatus.RUNNING, seconds=3600)])
            job.wait_for_final_state(wait=600)
            assert clock.monotonic() == 3600
        FakeBackend().run()  # entered once: named no more
        with clock:  # and entered again as well as ever
            clock.sleep(1)
            assert clock.monotonic() == 3601
        # A clock put to use (moved, read, slept on) is not named either.
        for use in ("advance", "monotonic", "sleep"):
            used = FakeClock()
            getattr(used, use)(*([] if use == "monotonic" else [1]))
            FakeBackend().run()

    def test_it_refuses_to_go_backwards(self) -> None:
        clock = FakeClock()
        with pytest.raises(ValueError, match=r"seconds must be a finite number of seconds >= 0"):
            clock.advance(-1)
        with pytest.raises(ValueError, match=r"got -0\.5"):
            clock.sleep(-0.5)
        with pytest.raises(ValueError, match="got inf"):
            clock.sleep(math.inf)
        with pytest.raises(TypeError, match="seconds must be a real number"):
            clock.advance("1")  # type: ignore[arg-type]
        assert clock.monotonic() == 0

    @pytest.mark.parametrize(
        ("start", "error"), [(math.inf, ValueError), (math.nan, ValueError), ("0", TypeError)]
    )
    def test_start_must_be_finite(self, start: object, error: type[Exception]) -> None:
        with pytest.raises(error, match="start"):
            FakeClock(start)  # type: ignore[arg-type]

    def test_a_wakeup_already_set_ends_the_sleep_at_once(self) -> None:
        clock = FakeClock()
        event = threading.Event()
        assert clock.sleep(5, event) is False
        assert clock.monotonic() == 5
        event.set()
        assert clock.sleep(5, event) is True
        assert clock.monotonic() == 5

    def test_it_installs_itself_and_nests(self) -> None:
        outer, inner = FakeClock(), FakeClock()
        assert isinstance(current_clock(), SystemClock)
        with outer:
            assert current_clock() is outer
            with use_clock(inner) as used:
                assert used is inner
                assert current_clock() is inner
            assert current_clock() is outer
        assert isinstance(current_clock(), SystemClock)

    def test_installing_needs_a_clock_and_uninstalling_an_installed_one(self) -> None:
        with pytest.raises(TypeError, match="clock must have monotonic"), use_clock(42):  # type: ignore[arg-type]
            pass  # pragma: no cover - never entered
        clock = FakeClock()
        with pytest.raises(RuntimeError, match="is not installed"):
            uninstall(clock)
        other = FakeClock()
        install(clock)
        install(other)
        install(clock)
        uninstall(clock)
        assert current_clock() is other
        uninstall(clock)
        assert current_clock() is other
        uninstall(other)
        assert isinstance(current_clock(), SystemClock)

    def test_installing_from_many_threads_at_once_leaves_nothing_installed(self) -> None:
        """Eight threads each entering and leaving FakeClocks, over and over (issue 11, 1)."""
        failures: list[BaseException] = []
        start = threading.Barrier(8)

        def churn() -> None:
            start.wait()
            try:
                for _ in range(300):
                    with FakeClock() as clock:
                        assert current_clock() is clock
            except BaseException as failure:  # the test reports it
                failures.append(failure)

        threads = [threading.Thread(target=churn) for _ in range(8)]
        interval = sys.getswitchinterval()
        sys.setswitchinterval(1e-6)  # switch threads as often as the interpreter can
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        finally:
            sys.setswitchinterval(interval)
        assert failures == []
        assert isinstance(current_clock(), SystemClock)
        seen: list[object] = []
        later = threading.Thread(target=lambda: seen.append(current_clock()))
        later.start()
        later.join()
        assert isinstance(seen[0], SystemClock)

    def test_a_clock_serves_its_thread_and_the_threads_started_inside_only(self) -> None:
        """A test's fake clock never reaches a real wait in a thread already running (11, 2)."""
        asked, answered = threading.Event(), threading.Event()
        seen: dict[str, object] = {}

        def already_running() -> None:
            asked.wait()
            seen["already running"] = current_clock()
            answered.set()

        bystander = threading.Thread(target=already_running)
        bystander.start()
        with FakeClock() as clock:
            started_inside = threading.Thread(target=lambda: seen.update(inside=current_clock()))
            started_inside.start()
            started_inside.join()
            asked.set()
            answered.wait()
            assert current_clock() is clock
        bystander.join()
        assert seen["inside"] is clock
        assert isinstance(seen["already running"], SystemClock)

    def test_a_thread_started_in_a_block_reads_its_starters_clock(self) -> None:
        """Issue 24, 4: a child started in A's block read B's clock, B's thread's.

        Two threads each hold a FakeClock; the child one starts (and its own
        child) read that thread's time, not the other's, whichever was
        installed last.
        """
        a_in, b_in, done = threading.Event(), threading.Event(), threading.Event()
        seen: dict[str, float] = {}

        def child() -> None:
            seen["child"] = current_clock().monotonic()
            grandchild = threading.Thread(
                target=lambda: seen.update(grandchild=current_clock().monotonic())
            )
            grandchild.start()
            grandchild.join()

        def holder_of_b() -> None:
            a_in.wait()
            with FakeClock(start=5000.0):
                b_in.set()
                done.wait()

        other = threading.Thread(target=holder_of_b)
        other.start()
        with FakeClock(start=10.0):
            a_in.set()
            b_in.wait()  # B is installed after A, and is innermost
            started = threading.Thread(target=child)
            started.start()
            started.join()
            done.set()
        other.join()
        assert seen == {"child": 10.0, "grandchild": 10.0}

    def test_a_process_wide_clock_serves_threads_already_running(self) -> None:
        asked, answered = threading.Event(), threading.Event()
        seen: list[object] = []

        def already_running() -> None:
            asked.wait()
            seen.append(current_clock())
            answered.set()

        bystander = threading.Thread(target=already_running)
        bystander.start()
        with FakeClock(process_wide=True) as clock:
            asked.set()
            answered.wait()
        bystander.join()
        assert seen == [clock]
        with use_clock(FakeClock(), process_wide=True) as used:
            assert current_clock() is used

    def test_each_thread_waits_on_its_own_clock(self) -> None:
        """Concurrent tests with a clock each: no wait moves another's time."""
        query_times: dict[int, list[float]] = {}
        start = threading.Barrier(4)

        def one_test(n: int) -> None:
            with FakeClock():
                start.wait()
                job = FakeBackend().run(script=[Hold(JobStatus.RUNNING, seconds=10)])
                job.wait_for_final_state(wait=1)
                query_times[n] = [query.time for query in job.queries]

        threads = [threading.Thread(target=one_test, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert query_times == {n: [float(t) for t in range(11)] for n in range(4)}

    def test_threads_share_one_time(self) -> None:
        clock = FakeClock()
        threads = [threading.Thread(target=clock.sleep, args=(1,)) for _ in range(10)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert clock.monotonic() == 10


class TestSystemClock:
    def test_it_reads_the_monotonic_clock(self) -> None:
        clock = SystemClock()
        before = time.monotonic()
        assert before <= clock.monotonic() <= time.monotonic()
        assert repr(clock) == "SystemClock()"

    def test_zero_sleeps_return_at_once(self) -> None:
        clock = SystemClock()
        assert clock.sleep(0) is False
        event = threading.Event()
        assert clock.sleep(0, event) is False
        event.set()
        assert clock.sleep(10, event) is True

    def test_loops_read_it_through_time_monotonic_itself(self) -> None:
        class Sleepless(SystemClock):
            def sleep(self, seconds: float, wakeup: object = None) -> bool:
                return False

        class Ahead(SystemClock):
            def monotonic(self) -> float:
                return time.monotonic() + 3600

        assert reader(SystemClock()) is time.monotonic
        assert reader(Sleepless()) is time.monotonic  # it reads the time as the system's does
        assert reader(Ahead())() > time.monotonic() + 3000
        fake = FakeClock(7.0)
        assert reader(fake)() == 7.0


class TestScripts:
    def test_time_held_steps(self, fake_clock: FakeClock, fake_backend: FakeBackend) -> None:
        job = fake_backend.run(
            "circuit", script=[Hold(Q, seconds=2), Hold(R, seconds=3)], result=42, shots=10
        )
        assert job.metadata == {"run_input": "circuit", "shots": 10}
        assert job.status() is Q
        fake_clock.advance(2)
        assert job.status() is R
        fake_clock.advance(2.5)
        assert job.status() is R
        fake_clock.advance(0.5)
        assert job.status() is D
        assert job.result() == 42
        assert job.queries[:4] == [Query(0, Q), Query(2, R), Query(4.5, R), Query(5, D)]

    def test_steps_are_timed_from_the_end_of_the_one_before(
        self, fake_clock: FakeClock, fake_backend: FakeBackend
    ) -> None:
        job = fake_backend.run(script=[Hold(Q, seconds=2), Hold(R, seconds=3)])
        fake_clock.advance(4.5)
        assert job.status() is R
        fake_clock.advance(0.5)
        assert job.status() is D

    def test_query_held_steps(self, fake_clock: FakeClock, fake_backend: FakeBackend) -> None:
        job = fake_backend.run(
            script=[Hold(Q, queries=2), Hold(R, seconds=1), Hold(R, queries=1)], end=C
        )
        assert [job.status() for _ in range(2)] == [Q, Q]
        fake_clock.advance(0.5)
        assert job.status() is R
        fake_clock.advance(0.5)
        assert [job.status(), job.status()] == [R, C]

    def test_a_step_without_limit_holds_forever(
        self, fake_clock: FakeClock, fake_backend: FakeBackend
    ) -> None:
        job = fake_backend.run(script=[Hold(R)])
        fake_clock.advance(1e9)
        assert job.status() is R

    def test_an_empty_script_ends_at_once(self, fake_backend: FakeBackend) -> None:
        assert fake_backend.run().status() is D
        assert fake_backend.run(end=C).status() is C

    def test_an_error_ends_the_job_in_error(self, fake_backend: FakeBackend) -> None:
        cause = RuntimeError("calibration failed")
        job = fake_backend.run(script=[Hold(R, queries=1)], error=cause)
        assert job.status() is R
        assert job.status() is E
        with pytest.raises(JobError, match="calibration failed") as caught:
            job.result()
        assert caught.value.__cause__ is cause

    def test_end_error_without_an_error(self, fake_backend: FakeBackend) -> None:
        job = fake_backend.run(end=E)
        with pytest.raises(JobError, match="failed: None") as caught:
            job.result()
        assert caught.value.__cause__ is None

    def test_result_waits_for_the_end_and_honours_its_timeout(
        self, fake_clock: FakeClock, fake_backend: FakeBackend
    ) -> None:
        assert fake_backend.run(script=[Hold(R, seconds=60)], result="r").result() == "r"
        assert 60 <= fake_clock.monotonic() <= 65  # noticed within one Backoff() interval
        with pytest.raises(JobTimeoutError):
            fake_backend.run(script=[Hold(R)]).result(timeout=1)
        with pytest.raises(TypeError, match="timeout"):
            fake_backend.run().result(timeout="1")  # type: ignore[arg-type]

    def test_ids_are_unique_and_jobs_are_kept(self, fake_backend: FakeBackend) -> None:
        jobs = [fake_backend.run() for _ in range(3)]
        assert [j.job_id() for j in jobs] == ["fake-1", "fake-2", "fake-3"]
        assert fake_backend.jobs == jobs
        assert all(j.backend() is fake_backend for j in jobs)
        assert fake_backend.name == "fake"
        assert repr(FakeBackend("ionq")) == "FakeBackend(name='ionq')"
        with pytest.raises(TypeError, match="name must be a str, not 3"):
            FakeBackend(3)  # type: ignore[arg-type]

    def test_a_job_is_submitted_once(self, fake_backend: FakeBackend) -> None:
        job = fake_backend.run()
        with pytest.raises(JobError, match="submitted already"):
            job.submit()

    def test_an_unsubmitted_job_is_initializing(self, fake_clock: FakeClock) -> None:
        job = FakeJob(None, "manual", script=[Hold(Q, seconds=1)])
        fake_clock.advance(5)
        assert job.status() is JobStatus.INITIALIZING
        job.submit()
        assert job.status() is Q
        fake_clock.advance(1)
        assert job.status() is D


class TestDriving:
    def test_by_hand(self, fake_backend: FakeBackend) -> None:
        job = fake_backend.run(script=[Hold(Q)])
        job.set_status(R)
        assert job.status() is R
        job.set_result({"0": 1})
        assert job.status() is D
        assert job.result() == {"0": 1}

    def test_fail(self, fake_backend: FakeBackend) -> None:
        job = fake_backend.run(script=[Hold(R)])
        error = OSError("lost")
        job.fail(error)
        assert job.status() is E
        with pytest.raises(JobError) as caught:
            job.result()
        assert caught.value.__cause__ is error
        with pytest.raises(TypeError, match="error must be an exception, not 'boom'"):
            fake_backend.run(script=[Hold(R)]).fail("boom")  # type: ignore[arg-type]

    @pytest.mark.parametrize("final", [D, E, C])
    def test_a_final_status_is_never_left(
        self, fake_backend: FakeBackend, final: JobStatus
    ) -> None:
        job = fake_backend.run(script=[Hold(R)])
        job.set_status(final)
        moves: list[Callable[[], None]] = [lambda: job.set_status(R), lambda: job.set_result(1)]
        for move in moves:
            with pytest.raises(JobError, match=f"is {final.name}, a final status"):
                move()
        with pytest.raises(JobError, match="cannot move to ERROR"):
            job.fail(RuntimeError())
        assert job.status() is final

    def test_a_script_that_ended_counts_as_final(
        self, fake_clock: FakeClock, fake_backend: FakeBackend
    ) -> None:
        job = fake_backend.run(script=[Hold(R, seconds=1)])
        fake_clock.advance(1)
        with pytest.raises(JobError, match="is DONE"):
            job.set_status(Q)

    def test_set_status_checks_its_argument(self, fake_backend: FakeBackend) -> None:
        with pytest.raises(TypeError) as caught:
            fake_backend.run().set_status("DONE")  # type: ignore[arg-type]
        assert str(caught.value) == "status must be a JobStatus, not 'DONE'"  # issue 11

    def test_cancel(self, fake_clock: FakeClock, fake_backend: FakeBackend) -> None:
        job = fake_backend.run(script=[Hold(Q, seconds=10)])
        assert job.cancel() is True
        assert job.status() is C
        assert job.cancel() is False
        with pytest.raises(JobError, match="was cancelled"):
            job.result()
        stubborn = fake_backend.run(script=[Hold(R)], cancellable=False)
        assert stubborn.cancel() is False
        assert stubborn.status() is R
        finished = fake_backend.run(script=[Hold(R, seconds=1)])
        fake_clock.advance(2)
        assert finished.cancel() is False


@pytest.mark.parametrize(
    ("build", "error", "words"),
    [
        (lambda: Hold("RUNNING"), TypeError, "status must be a JobStatus, not 'RUNNING'"),  # type: ignore[arg-type]
        (lambda: Hold(D), ValueError, "status must not be final"),
        (lambda: Hold(R, seconds=1, queries=1), ValueError, "give seconds or queries, not both"),
        (lambda: Hold(R, queries=0), ValueError, "queries must be >= 1, got 0"),
        (lambda: Hold(R, queries=1.5), TypeError, "queries must be an int, not 1.5"),  # type: ignore[arg-type]
        (lambda: Hold(R, seconds=-1), ValueError, "seconds must be a finite number"),
        (lambda: FakeBackend().run(script=[R]), TypeError, "script must hold Hold steps"),  # type: ignore[list-item]
        (lambda: FakeBackend().run(error="x"), TypeError, "error must be an exception or None"),  # type: ignore[arg-type]
        (lambda: FakeBackend().run(end=R), ValueError, "end must be a final JobStatus"),
        (lambda: FakeBackend().run(end=D, error=OSError()), ValueError, "ends in ERROR"),
        (lambda: FakeBackend().run(cancellable=1), TypeError, "cancellable must be a bool"),  # type: ignore[arg-type]
    ],
)
def test_scripts_are_validated(build: object, error: type[Exception], words: str) -> None:
    with pytest.raises(error, match=words):
        build()  # type: ignore[operator]


def test_hold_repr() -> None:
    assert repr(Hold(R)) == "Hold(JobStatus.RUNNING)"
    assert repr(Hold(Q, seconds=2)) == "Hold(JobStatus.QUEUED, seconds=2.0)"
    assert repr(Hold(Q, queries=2)) == "Hold(JobStatus.QUEUED, queries=2)"


def test_the_plugin_is_registered_for_every_install(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from jobv1 import JobStatus, JobTimeoutError
        from jobv1.testing import Hold
        import pytest

        def test_an_hour(fake_clock, fake_backend):
            job = fake_backend.run(script=[Hold(JobStatus.RUNNING)])
            with pytest.raises(JobTimeoutError):
                job.wait_for_final_state(timeout=3600)
            assert fake_clock.monotonic() == 3600
        """
    )
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_result_polls_with_backoff(fake_clock: FakeClock, fake_backend: FakeBackend) -> None:
    job = fake_backend.run(script=[Hold(R, seconds=0.1)], result="quick")
    assert job.result() == "quick"
    assert [q.time for q in job.queries] == pytest.approx([0, 0.05, 0.125])


@pytest.mark.parametrize("wait", [0, 1e-300, 5e-324])
def test_a_wait_that_polls_without_delay_fails_clearly_in_virtual_time(
    fake_clock: FakeClock, fake_backend: FakeBackend, wait: float
) -> None:
    """Issue 11, 4: wait=0 on a job that never ends ran for ever under a FakeClock."""
    fake_clock.advance(100)
    job = fake_backend.run(script=[Hold(JobStatus.RUNNING)])
    with pytest.raises(RuntimeError) as caught:
        job.wait_for_final_state(timeout=3600, wait=wait)
    assert str(caught.value) == (
        f"virtual time stood still at 100.0 through 10000 sleeps in a row (the last of "
        f"{float(wait)!r} s): a wait that polls with no delay never reaches its deadline on "
        "a FakeClock; poll with a delay that moves the time"
    )
    assert len(job.queries) == 10_001  # the first query, then one after each sleep but the last


def test_a_wait_that_polls_every_few_femtoseconds_fails_clearly_in_virtual_time(
    fake_clock: FakeClock, fake_backend: FakeBackend
) -> None:
    """Near 0 such a delay moves the time, but a deadline of 18 s took for ever (hypothesis)."""
    job = fake_backend.run(script=[Hold(JobStatus.RUNNING)])
    with pytest.raises(RuntimeError, match="through 10000 sleeps in a row"):
        job.wait_for_final_state(timeout=17.9, wait=1.4e-201)
    assert 0 < fake_clock.monotonic() < 1e-190


def test_polling_without_delay_still_ends_jobs_that_end_after_some_queries(
    fake_clock: FakeClock, fake_backend: FakeBackend
) -> None:
    job = fake_backend.run(script=[Hold(JobStatus.RUNNING, queries=9_000)])
    job.wait_for_final_state(timeout=10, wait=0)
    assert fake_clock.monotonic() == 0
    fake_clock.advance(1)  # time that moves starts the count again
    other = fake_backend.run(script=[Hold(JobStatus.RUNNING, queries=9_000)])
    other.wait_for_final_state(timeout=10, wait=0)
    assert len(other.queries) == 9_001
    fake_clock.sleep(0.5)
    last = fake_backend.run(script=[Hold(JobStatus.RUNNING, queries=9_000)])
    last.wait_for_final_state(timeout=10, wait=0)
    assert len(last.queries) == 9_001


def test_advancing_by_nothing_does_not_hide_a_stalled_wait(fake_clock: FakeClock) -> None:
    for _ in range(6_000):
        fake_clock.sleep(0)
    fake_clock.advance(0)
    for _ in range(4_000):
        fake_clock.sleep(0)
    with pytest.raises(RuntimeError, match=r"virtual time stood still at 0\.0 through 10000"):
        fake_clock.sleep(0)


def test_a_fake_job_made_before_its_fake_clock_says_so() -> None:
    """Issue 24, 8: it finished at the real clock's offset (virtual 4472.87, not 3600), silently."""
    early = FakeBackend().run(script=[Hold(JobStatus.RUNNING, seconds=3600)], result=1)
    with FakeClock():
        with pytest.raises(
            JobError,
            match=r"^fake job 'fake-1' was submitted on SystemClock\(\) and is asked on "
            r"FakeClock\(now=0.0\): make it inside the `with FakeClock\(\):` block \(or under "
            r"the fake_clock fixture\) its waits run in, or restore it there from its reference$",
        ):
            early.wait_for_final_state()
        with pytest.raises(JobError, match="inside the `with FakeClock\\(\\):` block"):
            early.cancel()
        with pytest.raises(JobError, match="was submitted on"):
            early.to_reference()
        inside = FakeBackend().run(script=[Hold(JobStatus.RUNNING, seconds=3600)], result=1)
        inside.wait_for_final_state()  # made inside the block: it lives in its time
        assert inside.queries[-1].time == 3600
    with pytest.raises(JobError, match="is asked on SystemClock"):
        inside.status()  # and not outside it
    assert early.status() is JobStatus.RUNNING  # back on the clock it was made on


def test_a_fake_job_whose_result_is_not_json_says_so(fake_clock: FakeClock) -> None:
    job = FakeBackend().run(result={1, 2})
    with pytest.raises(TypeError) as caught:
        job.to_reference()
    assert str(caught.value) == (
        f"job {job.job_id()!r} cannot be saved: its result {{1, 2}} is not JSON-able"
    )
