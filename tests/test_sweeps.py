"""Submission windows and jobs added while ``as_completed`` runs (issue 26, 1).

``as_completed`` (and its ``aio`` twin) reads its jobs lazily under
``max_pending``, makes :class:`~jobv1.Submit` s itself and makes them again
when the service refuses them for too many pending jobs, and takes jobs in
through ``add()``. Each test runs under both drivers, in virtual time.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, ClassVar

import pytest

import jobv1
from conftest import ScriptedJob
from jobv1 import JobStatus, JobTimeoutError, Submit, TooManyPendingError, aio
from jobv1.testing import FakeBackend, FakeClock, FakeJob, Hold

Q, R, D, E = JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.DONE, JobStatus.ERROR


class Service:
    """A fake service that holds at most ``limit`` pending jobs, and says so when it is full.

    Each job runs ``seconds[n]`` (virtual) seconds, the ``n``-th submitted.
    It notes the most jobs it ever had pending, and every submission it was
    asked for, refused or not.
    """

    def __init__(self, clock: FakeClock, seconds: list[float], limit: int = 1_000) -> None:
        self.clock = clock
        self.backend = FakeBackend("svc")
        self.seconds = seconds
        self.limit = limit
        self.made: list[FakeJob] = []
        self.asked: list[tuple[float, int]] = []  # (time, how many were pending)
        self.refused = 0
        self.most = 0

    def pending(self) -> int:
        return sum(1 for job in self.made if not job.in_final_state())

    def run(self, n: int) -> FakeJob:
        pending = self.pending()
        self.asked.append((self.clock.monotonic(), pending))
        if pending >= self.limit:
            self.refused += 1
            raise TooManyPendingError(f"you have reached the limit of {self.limit} pending jobs")
        job = self.backend.run(n, script=[Hold(R, seconds=self.seconds[n])])
        self.made.append(job)
        self.most = max(self.most, pending + 1)
        return job


def swept(
    driver: str, jobs: Iterable[Any], body: Callable[[Any, Any], None] | None = None, **options: Any
) -> list[Any]:
    """Every job ``as_completed`` yields under ``driver``; ``body(iterator, job)`` runs for each."""
    if driver == "blocking":
        made = jobv1.as_completed(jobs, **options)
        taken = []
        for job in made:
            taken.append(job)
            if body is not None:
                body(made, job)
        return taken

    async def take() -> list[Any]:
        made = aio.as_completed(jobs, **options)
        taken = []
        async for job in made:
            taken.append(job)
            if body is not None:
                body(made, job)
        return taken

    return asyncio.run(take())


def ids(jobs: Iterable[Any]) -> list[str]:
    return [job.job_id() for job in jobs]


class TestWindow:
    def test_a_generator_submits_each_job_when_one_ends(
        self, driver: str, fake_clock: FakeClock
    ) -> None:
        service = Service(fake_clock, [3, 1, 5, 1, 1])
        jobs = (service.run(n) for n in range(5))
        taken = swept(driver, jobs, max_pending=2, poll=1)
        assert sorted(ids(taken)) == [f"svc-{n}" for n in range(1, 6)]
        assert service.most == 2
        # Two at the start; each next one at the round that saw one end.
        assert [time for time, _ in service.asked] == [0, 0, 1, 3, 4]
        assert ids(taken) == ["svc-2", "svc-1", "svc-4", "svc-5", "svc-3"]

    def test_room_made_by_a_round_is_filled_before_any_sleep(
        self, driver: str, fake_clock: FakeClock
    ) -> None:
        """The sleep planned up to the deadline is not slept: the deadline has not come."""
        jobs = iter([ScriptedJob([R, D], "a"), ScriptedJob([D], "b"), ScriptedJob([D], "c")])
        taken = swept(driver, jobs, max_pending=2, timeout=10, poll=100)
        assert ids(taken) == ["b", "c", "a"]  # "c" drawn and asked at once; "a" at the deadline
        assert fake_clock.monotonic() == 10

    def test_nothing_is_drawn_before_the_iteration_begins(
        self, driver: str, fake_clock: FakeClock
    ) -> None:
        drawn: list[int] = []

        def jobs() -> Iterator[ScriptedJob]:
            for n in range(3):
                drawn.append(n)
                yield ScriptedJob([D], f"j{n}")

        if driver == "blocking":
            made = jobv1.as_completed(jobs(), max_pending=1)
            assert drawn == []
            assert next(made).job_id() == "j0"
            assert drawn == [0]
            assert ids(made) == ["j1", "j2"]
        else:
            assert ids(swept(driver, jobs(), max_pending=1)) == ["j0", "j1", "j2"]
        assert drawn == [0, 1, 2]

    def test_a_job_that_reaches_until_makes_room(self, driver: str, fake_clock: FakeClock) -> None:
        service = Service(fake_clock, [10, 10, 10])
        taken = swept(driver, (service.run(n) for n in range(3)), max_pending=1, poll=1, until={R})
        assert len(taken) == 3
        assert [time for time, _ in service.asked] == [0, 0, 0]

    def test_an_empty_iterable_yields_nothing(self, driver: str, fake_clock: FakeClock) -> None:
        assert swept(driver, iter(()), max_pending=3) == []

    def test_the_deadline_stops_the_drawing(self, driver: str, fake_clock: FakeClock) -> None:
        service = Service(fake_clock, [4, 4, 4])
        taken: list[Any] = []
        with pytest.raises(JobTimeoutError) as raised:
            swept(
                driver,
                (service.run(n) for n in range(3)),
                lambda _, job: taken.append(job),
                max_pending=1,
                poll=1,
                timeout=6,
            )
        assert ids(taken) == ["svc-1"]
        assert [time for time, _ in service.asked] == [0, 4]  # none after the deadline
        assert str(raised.value) == (
            "1 of 2 jobs did not reach a final state within the timeout of 6 s"
        )

    def test_the_deadline_with_none_pending_and_jobs_left_undrawn(
        self, driver: str, fake_clock: FakeClock
    ) -> None:
        service = Service(fake_clock, [5, 1])

        def jobs() -> Iterator[Any]:
            yield service.run(0)
            fake_clock.advance(10)  # the next submission takes past the deadline
            yield ScriptedJob([D], "quick")
            yield ScriptedJob([D], "never drawn")

        with pytest.raises(JobTimeoutError) as raised:
            swept(driver, jobs(), max_pending=1, poll=1, timeout=6)
        assert str(raised.value) == (
            "2 jobs ended, and the jobs given after them were not submitted: "
            "the timeout of 6 s came first"
        )

    def test_what_the_iterator_raises_comes_after_the_jobs_before_it(
        self, driver: str, fake_clock: FakeClock
    ) -> None:
        def jobs() -> Iterator[ScriptedJob]:
            yield ScriptedJob([D], "a")
            raise LookupError("no more circuits")

        taken: list[Any] = []
        with pytest.raises(LookupError, match=r"^no more circuits$"):
            swept(driver, jobs(), lambda _, job: taken.append(job), max_pending=1)
        assert ids(taken) == ["a"]

    def test_an_element_that_is_no_job_is_refused_as_it_is_drawn(
        self, driver: str, fake_clock: FakeClock
    ) -> None:
        with pytest.raises(TypeError, match=r"^jobs must hold only jobs .*, not 'circuit'$"):
            swept(driver, iter([ScriptedJob([D], "a"), "circuit"]), max_pending=1)


class TestSubmit:
    def test_a_refused_submission_is_made_again_when_a_job_ends(
        self, driver: str, fake_clock: FakeClock
    ) -> None:
        service = Service(fake_clock, [2, 3, 1, 1, 1, 1], limit=2)
        submissions = [Submit(service.run, n) for n in range(6)]
        taken = swept(driver, submissions, max_pending=4, poll=1)
        assert len(taken) == 6
        assert service.most == 2
        # Each refusal waits for an end: never two refusals without an end between.
        assert service.refused <= 6
        assert all(pending <= 2 for _, pending in service.asked)

    def test_a_refused_submission_waits_for_an_end_before_it_is_made_again(
        self, driver: str, fake_clock: FakeClock
    ) -> None:
        service = Service(fake_clock, [2, 2, 2], limit=1)
        taken = swept(driver, [Submit(service.run, n) for n in range(3)], max_pending=3, poll=1)
        assert len(taken) == 3
        assert service.asked == [(0, 0), (0, 1), (2, 0), (2, 1), (4, 0)]  # (time, pending)
        assert service.refused == 2

    def test_a_job_added_while_a_refused_submission_waits_is_taken_in(
        self, driver: str, fake_clock: FakeClock
    ) -> None:
        service = Service(fake_clock, [3, 3], limit=1)
        extra = ScriptedJob([Q, D], "x")
        box: list[Any] = []

        def told(job: Any, status: JobStatus) -> None:
            if status is R and job.job_id() == "svc-1":
                box[0].add(extra)  # before any job ended: the refused one still waits

        submissions = [Submit(service.run, n) for n in range(2)]
        if driver == "blocking":
            made: Any = jobv1.as_completed(submissions, max_pending=3, poll=1, on_status=told)
            box.append(made)
            taken = list(made)
        else:

            async def main() -> list[Any]:
                made = aio.as_completed(submissions, max_pending=3, poll=1, on_status=told)
                box.append(made)
                return [job async for job in made]

            taken = asyncio.run(main())
        assert sorted(ids(taken)) == ["svc-1", "svc-2", "x"]

    def test_a_refusal_with_none_pending_is_raised(
        self, driver: str, fake_clock: FakeClock
    ) -> None:
        service = Service(fake_clock, [1], limit=0)
        with pytest.raises(TooManyPendingError, match="limit of 0 pending"):
            swept(driver, [Submit(service.run, 0)], max_pending=2)

    def test_submissions_without_a_window_are_all_made_at_the_start(
        self, driver: str, fake_clock: FakeClock
    ) -> None:
        service = Service(fake_clock, [1, 1, 1, 1], limit=2)
        taken = swept(driver, [Submit(service.run, n) for n in range(4)], poll=1)
        assert len(taken) == 4
        assert service.refused == 1  # the third was refused once; the fourth waited behind it

    @pytest.mark.parametrize(
        "refused",
        [KeyError, (ValueError, KeyError), lambda error: "full" in str(error)],
        ids=["class", "tuple", "function"],
    )
    def test_refused_names_what_a_refusal_is(
        self, driver: str, fake_clock: FakeClock, refused: Any
    ) -> None:
        backend = FakeBackend()
        full = [True]

        def run() -> FakeJob:
            if len(backend.jobs) == 1 and full[0]:
                full[0] = False
                raise KeyError("full")
            return backend.run(script=[Hold(R, seconds=1)])

        taken = swept(driver, [Submit(run), Submit(run)], max_pending=2, poll=1, refused=refused)
        assert len(taken) == 2

    def test_a_failure_that_is_no_refusal_is_raised(
        self, driver: str, fake_clock: FakeClock
    ) -> None:
        backend = FakeBackend()
        calls: list[float] = []

        def run() -> FakeJob:
            calls.append(fake_clock.monotonic())
            if backend.jobs:
                raise ConnectionError("down")
            return backend.run(script=[Hold(R, seconds=1)])

        with pytest.raises(ConnectionError, match=r"^down$"):
            swept(driver, [Submit(run), Submit(run)], max_pending=2)
        assert calls == [0, 0]  # raised at once: not kept to be made again as a refusal is

    def test_a_submission_that_returns_no_job_is_refused(
        self, driver: str, fake_clock: FakeClock
    ) -> None:
        with pytest.raises(TypeError, match=r"^jobs must hold only jobs .*, not 42$"):
            swept(driver, [Submit(lambda: 42)], max_pending=1)

    def test_a_submit_is_a_value(self) -> None:
        submit = Submit(print, 1, "a", sep="-")
        assert repr(submit) == "Submit(<built-in function print>, 1, 'a', sep='-')"
        assert submit == Submit(print, 1, "a", sep="-")
        assert submit != Submit(print, 1)
        assert submit != "print"
        with pytest.raises(TypeError):
            hash(submit)
        assert Submit(str, 5)() == "5"
        assert Submit(int, "ff", base=16)() == 255
        with pytest.raises(TypeError, match=r"^fn must be callable, not 42$"):
            Submit(42)  # type: ignore[arg-type]


class TestAdd:
    def test_a_job_added_in_the_body_is_yielded(
        self, driver: str, loop: str, fake_clock: FakeClock
    ) -> None:
        first = [ScriptedJob([Q, D], "a"), ScriptedJob([Q, Q, Q, D], "b")]
        extra = ScriptedJob([Q, D], "c")

        def body(made: Any, job: Any) -> None:
            if job.job_id() == "a":
                made.add(extra)

        taken = ids(swept(driver, first, body, poll=1))
        assert extra.queries == 2
        if loop == "general":  # "c" is taken in at once, and "b" kept to its pace
            assert taken == ["a", "c", "b"]
            assert first[1].queries == 4
        else:  # the wait moved to the general loop, which asked "b" at once too
            assert taken == ["a", "b", "c"]
            assert first[1].queries == 4

    def test_a_job_added_after_the_last_one_ended_is_still_yielded(
        self, driver: str, loop: str, fake_clock: FakeClock
    ) -> None:
        first = [ScriptedJob([D], "a"), ScriptedJob([Q, D], "b")]
        extras = iter([ScriptedJob([Q, D], "c")])

        def body(made: Any, job: Any) -> None:
            if job.job_id() == "b":
                made.add(next(extras))

        assert ids(swept(driver, first, body, poll=1)) == ["a", "b", "c"]

    def test_a_job_added_twice_or_given_before_counts_once(
        self, driver: str, loop: str, fake_clock: FakeClock
    ) -> None:
        first = [ScriptedJob([D], "a"), ScriptedJob([Q, Q, D], "b")]

        def body(made: Any, job: Any) -> None:
            if job.job_id() == "a":
                made.add(first[0])
                made.add(first[1])

        assert ids(swept(driver, first, body, poll=1)) == ["a", "b"]

    def test_a_move_tells_on_status_nothing_twice_and_keeps_failures(
        self, driver: str, loop: str, fake_clock: FakeClock
    ) -> None:
        class Broken(ScriptedJob):
            def status(self) -> JobStatus:
                raise OSError("gone")

        first = [Broken([Q], "x"), ScriptedJob([Q, Q, Q, D], "b")]
        seen: list[tuple[str, JobStatus]] = []
        failures: dict[str, Any] = {}

        def body(made: Any, job: Any) -> None:
            failures[job.job_id()] = made.exception(job)
            if job.job_id() == "x":
                made.add(ScriptedJob([D], "c"))

        taken = swept(
            driver,
            first,
            body,
            poll=1,
            on_status=lambda job, status: seen.append((job.job_id(), status)),
        )
        assert ids(taken) == ["x", "c", "b"]
        assert seen == [("x", E), ("b", Q), ("c", D), ("b", D)]
        assert repr(failures["x"]) == "OSError('gone')"
        assert failures["b"] is None

    def test_futurejobs_take_a_job_added(self, driver: str, fake_clock: FakeClock) -> None:
        with jobv1.ExecutorBackend() as backend:
            first = [backend.run(int, "1"), backend.run(int, "2")]
            for job in first:
                job.result()
            extra = ScriptedJob([Q, D], "c")

            def body(made: Any, job: Any) -> None:
                if job is first[0]:
                    made.add(extra)

            taken = swept(driver, first, body, poll=1)
        assert taken[0] is first[0]
        assert set(map(id, taken)) == {id(first[0]), id(first[1]), id(extra)}

    @pytest.mark.parametrize("resync", [None, 30.0], ids=["own-loop", "handed-over"])
    def test_futurejobs_moved_tell_on_status_nothing_twice(
        self, driver: str, fake_clock: FakeClock, resync: float | None
    ) -> None:
        import concurrent.futures

        ends = [concurrent.futures.Future[int]() for _ in range(2)]
        with jobv1.ExecutorBackend() as backend:
            first = [jobv1.FutureJob(backend, f"f{n}", future) for n, future in enumerate(ends)]
            for job in first:
                job.resync_interval = resync  # type: ignore[assignment]
            ends[0].set_result(1)
            seen: list[tuple[Any, JobStatus]] = []

            def body(made: Any, job: Any) -> None:
                if job is first[0]:
                    made.add(ScriptedJob([Q, D], "c"))  # "f1" moved QUEUED, told so already
                elif job.job_id() == "c":
                    ends[1].set_result(2)

            taken = swept(driver, first, body, poll=1, on_status=lambda j, s: seen.append((j, s)))
        assert taken[0] is first[0]
        assert len(taken) == 3
        assert [status for job, status in seen if job is first[1]] == [Q, D]

    def test_add_refuses_what_is_no_job_and_a_closed_iterator(self, driver: str) -> None:
        job = ScriptedJob([D], "a")
        made: Any = jobv1.as_completed([job]) if driver == "blocking" else aio.as_completed([job])
        with pytest.raises(TypeError, match=r"^add\(\) takes a job: .*, not 'c'$"):
            made.add("c")
        if driver == "blocking":
            made.close()
        else:
            asyncio.run(made.aclose())
        with pytest.raises(RuntimeError, match=r"^add\(\) of .* to a closed as_completed$"):
            made.add(ScriptedJob([D], "b"))

    def test_a_job_added_before_the_iteration_begins(
        self, driver: str, loop: str, fake_clock: FakeClock
    ) -> None:
        first = [ScriptedJob([Q, D], "a"), ScriptedJob([Q, Q, D], "b")]
        if driver == "blocking":
            made: Any = jobv1.as_completed(first, poll=1)
            made.add(ScriptedJob([D], "c"))
            assert repr(made) == "<AsCompleted: 2 jobs not done>"  # "c" is not taken in yet
            assert ids(made) == ["c", "a", "b"]
            assert repr(made) == "<AsCompleted: 0 jobs not done>"
            return

        async def main() -> list[Any]:
            made = aio.as_completed(first, poll=1)
            made.add(ScriptedJob([D], "c"))
            assert repr(made) == "<AsCompleted: 2 jobs not done>"
            return [job async for job in made]

        assert ids(asyncio.run(main())) == ["c", "a", "b"]


class TestArguments:
    @pytest.mark.parametrize(
        ("value", "error", "message"),
        [
            (0, ValueError, "max_pending must be at least 1, got 0"),
            (True, TypeError, "max_pending must be an int or None, not True"),
            ("2", TypeError, "max_pending must be an int or None, not '2'"),
        ],
    )
    def test_max_pending(self, value: Any, error: type[Exception], message: str) -> None:
        for as_completed in (jobv1.as_completed, aio.as_completed):
            with pytest.raises(error) as raised:
                as_completed([], max_pending=value)
            assert str(raised.value) == message

    @pytest.mark.parametrize("value", [42, (), (KeyError, 3), int, "KeyError"])
    def test_refused(self, value: Any) -> None:
        with pytest.raises(TypeError) as raised:
            jobv1.as_completed([], refused=value)
        assert str(raised.value) == (
            "refused must be an exception class, a tuple of them, or a function of an "
            f"exception, not {value!r}"
        )

    def test_jobs_with_a_window_must_be_an_iterable(self) -> None:
        with pytest.raises(TypeError, match=r"^jobs must be an iterable of jobs, not 3$"):
            jobv1.as_completed(3, max_pending=1)  # type: ignore[arg-type]


def test_the_aio_window_submits_off_the_event_loop(fake_clock: FakeClock) -> None:
    threads: list[int] = []

    def run() -> ScriptedJob:
        threads.append(threading.get_ident())
        return ScriptedJob([D], "a")

    async def main() -> tuple[list[Any], int]:
        return [job async for job in aio.as_completed([Submit(run)], max_pending=1)], (
            threading.get_ident()
        )

    taken, loop_thread = asyncio.run(main())
    assert ids(taken) == ["a"]
    assert threads
    assert loop_thread not in threads


class Gate(ScriptedJob):
    """A job whose second query waits until the test opens its gate, then finds it DONE."""

    def __init__(self, job_id: str) -> None:
        super().__init__([Q, D], job_id)
        self.gate = threading.Event()

    def status(self) -> JobStatus:
        if self.queries == 1:
            assert self.gate.wait(FAR)
        return super().status()


#: Seconds a real-time test waits at most for what must happen: far more than it takes.
FAR = 60.0


@pytest.mark.realtime
class TestAddOnTheSystemClock:
    """The wait reads ahead in a thread (a task): a move stops it first, and loses no job."""

    def test_a_job_that_ends_while_the_wait_moves_is_not_lost(self, driver: str, loop: str) -> None:
        first, gated, extra = ScriptedJob([D], "a"), Gate("b"), ScriptedJob([D], "c")

        def add(made: Any) -> None:
            made.add(extra)
            opened_later(gated.gate)  # while the next job asked for stops the thread

        taken = swept_real(
            driver,
            [first, gated],
            {"a": add},
            poll=0.01,
            max_in_flight=1,
        )
        assert sorted(ids(taken)) == ["a", "b", "c"]

    def test_a_job_added_after_the_wait_ended_is_waited_on(self, driver: str, loop: str) -> None:
        extra = ScriptedJob([Q, D], "c")

        def settle(made: Any) -> None:
            ended_reading(made)
            made.add(extra)

        taken = swept_real(driver, [ScriptedJob([D], "a")], {"a": settle}, poll=0.01)
        assert ids(taken) == ["a", "c"]

    def test_a_wait_that_timed_out_raises_and_takes_no_job_in(self, driver: str, loop: str) -> None:
        extra = ScriptedJob([D], "c")

        def late(made: Any) -> None:
            ended_reading(made)
            made.add(extra)

        taken: list[Any] = []
        with pytest.raises(JobTimeoutError):
            swept_real(
                driver,
                [ScriptedJob([D], "a"), ScriptedJob([Q], "b")],
                {"a": late},
                taken=taken,
                poll=0.01,
                timeout=0.3,
            )
        assert ids(taken) == ["a"]
        assert extra.queries == 0


def opened_later(gate: threading.Event) -> None:
    """Open ``gate`` soon, from another thread: once the caller waits for the move."""
    threading.Timer(0.2, gate.set).start()


def ended_reading(made: Any) -> None:
    """Wait until the thread (or task) that reads ``made`` ahead is over."""
    ahead = made._ahead
    deadline = time.monotonic() + FAR
    while not ahead.over:
        assert time.monotonic() < deadline
        time.sleep(0.01)


def swept_real(
    driver: str,
    jobs: list[Any],
    bodies: dict[str, Callable[[Any], object]],
    taken: list[Any] | None = None,
    **options: Any,
) -> list[Any]:
    """:func:`swept` on the system's clock; ``bodies[job_id](iterator)`` runs for that job.

    The aio bodies run in a thread of their own, so that one that waits (for
    the task to end) does not block the event loop the task runs on.
    """
    taken = [] if taken is None else taken
    if driver == "blocking":
        made = jobv1.as_completed(jobs, **options)
        for job in made:
            taken.append(job)
            if job.job_id() in bodies:
                bodies[job.job_id()](made)
        return taken

    async def take() -> list[Any]:
        made = aio.as_completed(jobs, **options)
        async for job in made:
            taken.append(job)
            if job.job_id() in bodies:
                await asyncio.to_thread(bodies[job.job_id()], made)
        return taken

    return asyncio.run(take())


class TestWhatAMoveKeeps:
    """A wait that moves to the general loop keeps what it was given and what it had."""

    def test_a_new_job_added_twice_before_the_move_counts_once(
        self, driver: str, loop: str, fake_clock: FakeClock
    ) -> None:
        first = [ScriptedJob([D], "a"), ScriptedJob([Q, D], "b")]
        extra = ScriptedJob([Q, D], "c")

        def body(made: Any, job: Any) -> None:
            if job.job_id() == "a":
                made.add(extra)
                made.add(extra)

        assert sorted(ids(swept(driver, first, body, poll=1))) == ["a", "b", "c"]

    def test_a_job_yielded_before_the_move_and_added_after_counts_once(
        self, driver: str, loop: str, fake_clock: FakeClock
    ) -> None:
        first = [ScriptedJob([D], "a"), ScriptedJob([Q, Q, D], "b")]

        def body(made: Any, job: Any) -> None:
            if job.job_id() == "a":
                made.add(ScriptedJob([Q, D], "c"))  # moves a plain wait
            elif job.job_id() == "c":
                made.add(first[0])  # yielded already: not again

        assert sorted(ids(swept(driver, first, body, poll=1))) == ["a", "b", "c"]

    def test_the_general_loop_it_moved_to_takes_later_jobs_in_itself(
        self, driver: str, loop: str, fake_clock: FakeClock
    ) -> None:
        """A second job added after a move is taken in: no second move re-asks the pending."""
        first = [ScriptedJob([D], "a"), ScriptedJob([Q] * 8 + [D], "b")]
        extras = {"a": ScriptedJob([Q, D], "c"), "c": ScriptedJob([Q, D], "d")}
        times: list[float] = []
        slow = first[1]
        asked = slow.status

        def noted() -> JobStatus:
            times.append(fake_clock.monotonic())
            return asked()

        slow.status = noted  # type: ignore[method-assign]

        def body(made: Any, job: Any) -> None:
            if job.job_id() in extras:
                made.add(extras[job.job_id()])

        assert ids(swept(driver, first, body, poll=1)) == ["a", "c", "d", "b"]
        if loop == "general":
            assert times == [0, 1, 2, 3, 4, 5, 6, 7, 8]
        else:  # the one move (as "a" ends) asks it once more, at once; "d" moves nothing
            assert times == [0, 0, 1, 2, 3, 4, 5, 6, 7]

    def test_the_deadline_stays_the_one_set_at_the_call(
        self, driver: str, loop: str, fake_clock: FakeClock
    ) -> None:
        first = [ScriptedJob([D], "a"), ScriptedJob([Q], "b")]
        taken: list[Any] = []

        def body(made: Any, job: Any) -> None:
            taken.append(job)
            made.add(ScriptedJob([Q], "c"))

        with pytest.raises(JobTimeoutError):
            swept(driver, first, body, poll=1, timeout=5)
        assert ids(taken) == ["a"]
        assert fake_clock.monotonic() == 5

    @pytest.mark.parametrize("when", ["at-the-move", "after-it"])
    def test_a_backend_bound_of_the_jobs_added_holds_after_the_move(
        self, loop: str, fake_clock: FakeClock, when: str
    ) -> None:
        """One query at a time, made in the caller's own thread (an event loop's are not)."""

        class Single:
            """A client that takes one request at a time."""

            name = "single"
            max_status_in_flight = 1

            def run(self, run_input: Any, /, **options: Any) -> jobv1.JobV1:
                raise NotImplementedError

        class Threaded(ScriptedJob):
            threads: ClassVar[set[int]] = set()

            def status(self) -> JobStatus:
                Threaded.threads.add(threading.get_ident())
                return super().status()

        first = [ScriptedJob([D], "a"), ScriptedJob([Q, Q, D], "b")]
        extras = [Threaded([Q, Q, D], f"c{n}") for n in range(3)]
        for extra in extras:
            extra._backend = Single()

        plain = ScriptedJob([Q, D], "p")

        def body(made: Any, job: Any) -> None:
            if when == "at-the-move" and job.job_id() == "a":
                for extra in extras:
                    made.add(extra)
            elif job.job_id() == "a":
                made.add(plain)  # the move, with no bound of its own
            elif job is plain:
                for extra in extras:  # taken in by the general loop after the move
                    made.add(extra)

        taken = swept("blocking", first, body, poll=1)
        assert len(taken) == (5 if when == "at-the-move" else 6)
        assert Threaded.threads == {threading.get_ident()}  # one at a time, in this thread

    def test_jobs_of_another_library_are_read_as_their_views_read_them(
        self, driver: str, loop: str, fake_clock: FakeClock
    ) -> None:
        class Foreign:
            """Another library's job: it answers its status's name."""

            def __init__(self, job_id: str, names: list[str]) -> None:
                self.id, self.names = job_id, names

            def job_id(self) -> str:
                return self.id

            def status(self) -> str:
                return self.names.pop(0) if len(self.names) > 1 else self.names[0]

        first = [Foreign("a", ["DONE"]), Foreign("b", ["RUNNING", "RUNNING", "DONE"])]
        extra = Foreign("c", ["QUEUED", "DONE"])
        failures: list[Any] = []

        def body(made: Any, job: Any) -> None:
            failures.append(made.exception(job))
            if job.job_id() == "a":
                made.add(extra)

        assert sorted(ids(swept(driver, first, body, poll=1))) == ["a", "b", "c"]
        assert failures == [None, None, None]

    def test_the_iterator_takes_a_job_added_after_it_was_exhausted(
        self, fake_clock: FakeClock
    ) -> None:
        made = jobv1.as_completed([ScriptedJob([D], "a"), ScriptedJob([Q, D], "b")], poll=1)
        assert ids(made) == ["a", "b"]
        made.add(ScriptedJob([Q, D], "c"))
        assert ids(made) == ["c"]
        assert ids(made) == []

    def test_repr_counts_the_jobs_kept_and_not_taken(self, fake_clock: FakeClock) -> None:
        made = jobv1.as_completed([ScriptedJob([D], "a"), ScriptedJob([D], "b")])
        assert next(made).job_id() == "a"
        assert repr(made) == "<AsCompleted: 1 jobs not done>"  # "b", ended with it, kept


class TestWhatTheGeneralLoopTakesIn:
    def test_a_job_added_whose_backend_limits_its_queries(self, fake_clock: FakeClock) -> None:
        class Limited:
            name = "limited"
            status_rate_limit = jobv1.RateLimit(1, per=10)

            def run(self, run_input: Any, /, **options: Any) -> jobv1.JobV1:
                raise NotImplementedError

        class Timed(ScriptedJob):
            times: list[float]

            def status(self) -> JobStatus:
                self.times.append(fake_clock.monotonic())
                return super().status()

        extras = [Timed([Q, D], f"c{n}") for n in range(2)]
        for extra in extras:
            extra.times = []
            extra._backend = Limited()
        made = jobv1.as_completed([ScriptedJob([Q, Q, D], "a")], poll=1)
        for extra in extras:
            made.add(extra)
        assert sorted(ids(made)) == ["a", "c0", "c1"]
        times = sorted(time for extra in extras for time in extra.times)
        assert all(later - earlier >= 10 for earlier, later in itertools.pairwise(times))

    def test_a_job_added_that_long_polls_is_held(self, fake_clock: FakeClock) -> None:
        class Held(ScriptedJob):
            status_long_poll = 30
            waits: list[float]

            def status(self, wait: float = 0.0) -> JobStatus:
                self.waits.append(wait)
                fake_clock.advance(wait)
                return super().status()

        extra = Held([Q, D], "held")
        extra.waits = []
        made = jobv1.as_completed([ScriptedJob([Q, Q, D], "a")], poll=1, timeout=100)
        made.add(extra)
        assert sorted(ids(made)) == ["a", "held"]
        assert extra.waits[0] > 0

    def test_a_job_added_that_calls_back_is_watched_and_undone(
        self, driver: str, fake_clock: FakeClock
    ) -> None:
        undone: list[str] = []

        class Calling(ScriptedJob):
            def watch(self, wakeup: Callable[[], object]) -> Callable[[], object]:
                return lambda: undone.append(self.job_id())

        extra = Calling([Q, D], "w")
        extra.resync_interval = 1

        def body(made: Any, job: Any) -> None:
            if job.job_id() == "a":
                made.add(extra)

        taken = swept(driver, [ScriptedJob([D], "a"), ScriptedJob([Q, Q, Q, D], "b")], body, poll=1)
        assert sorted(ids(taken)) == ["a", "b", "w"]
        assert undone == ["w"]
