"""Queries that take virtual time: the deadline rule and slow rounds on a ``FakeClock``.

A query that sleeps on the clock (a fake service that takes its time before
it answers) takes that time: a wait gives up the queries still running on its workers
once the clock is past its deadline, gives the deadline's own round
:data:`~jobv1._deadline.LAST_QUERY_SECONDS`, and carries a round's slow
queries over after :data:`~jobv1._deadline.SLOW_QUERY_SECONDS`, as it does on
the system's clock (``test_deadline_rule``'s realtime tests), but in
milliseconds and with every time exact. A query sleeps side by side with the
others: the time moves once each is asleep or done, so every time here is
exact whatever the threads' timing. One suite over the blocking driver on
both of its loops and over the asyncio driver.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

import jobv1
from conftest import completed, waited
from jobv1 import Interrupt, JobStatus, JobTimeoutError, JobV1, aio
from jobv1._deadline import LAST_QUERY_SECONDS, SLOW_QUERY_SECONDS
from jobv1.testing import FakeClock

Q, R, D = JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.DONE

#: Real seconds a test waits for an asyncio wait that should have given a query up.
GATE_SECONDS = 10.0


@pytest.fixture(params=["blocking-plain", "blocking-general", "asyncio"])
def drive(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The blocking driver on each loop it takes for plain jobs, then the asyncio one."""
    if request.param == "blocking-general":
        monkeypatch.setattr(jobv1._choose, "plain_fits", lambda jobs, kinds: False)
    return "asyncio" if request.param == "asyncio" else "blocking"


class Taking(JobV1):
    """A job whose queries sleep the virtual time ``script`` gives them, then answer its status.

    Each step is ``(seconds, status)``, the last repeated.
    """

    def __init__(
        self, job_id: str, clock: FakeClock, script: list[tuple[float, JobStatus]]
    ) -> None:
        super().__init__(None, job_id)
        self.clock = clock
        self.script = list(script)
        self.begun: list[float] = []
        self.answered: list[float] = []

    def submit(self) -> None:
        """Submitted when made."""

    def status(self) -> JobStatus:
        self.begun.append(self.clock.monotonic())
        seconds, status = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        self.clock.sleep(seconds)
        self.answered.append(self.clock.monotonic())
        return status

    def result(self) -> None:
        """No result."""


def test_a_query_asleep_at_the_deadline_is_given_up_there(
    fake_clock: FakeClock, drive: str
) -> None:
    """A query whose sleep runs past the deadline is given up at the deadline itself."""
    slow = Taking("slow", fake_clock, [(10.0, D)])
    quick = Taking("quick", fake_clock, [(0.0, D)])
    done, not_done = waited(drive, [slow, quick], timeout=5, max_in_flight=2)
    assert (done, not_done) == ({quick}, {slow})
    assert slow.begun == [0.0]
    assert slow.answered == []  # still asleep: given up
    assert fake_clock.monotonic() == 5.0  # deadline-exact, in virtual time too


def test_a_query_that_ends_at_the_deadline_exactly_is_answered(
    fake_clock: FakeClock, drive: str
) -> None:
    """A query carried over from the first round, whose sleep ends at the deadline, counts."""
    exact = Taking("exact", fake_clock, [(5.0, D)])
    quick = Taking("quick", fake_clock, [(0.0, R)])
    done, not_done = waited(drive, [exact, quick], timeout=5, max_in_flight=2)
    assert (done, not_done) == ({exact}, {quick})
    assert exact.answered == [5.0]
    assert exact.begun == [0.0]  # carried over, never asked again
    assert quick.begun[-1] == 5.0  # the deadline's round
    assert fake_clock.monotonic() == 5.0


def test_as_completed_raises_at_the_deadline_with_a_query_asleep(
    fake_clock: FakeClock, drive: str
) -> None:
    """as_completed yields what ended, then raises at the deadline, the sleeping query given up.

    The first round ends SLOW_QUERY_SECONDS in, carrying the slow query
    over; the quick job is polled again ``poll`` after that.
    """
    slow = Taking("slow", fake_clock, [(10.0, D)])
    quick = Taking("quick", fake_clock, [(0.0, R), (0.0, D)])
    seen: list[Any] = []
    with pytest.raises(JobTimeoutError, match="1 of 2 jobs"):
        seen.extend(completed(drive, [slow, quick], timeout=5, poll=2, max_in_flight=2))
    assert quick.answered == [0.0, SLOW_QUERY_SECONDS + 2]
    assert slow.begun == [0.0]
    assert slow.answered == []
    assert fake_clock.monotonic() == 5.0


def test_the_deadlines_own_round_gives_up_a_query_after_last_query_seconds(
    fake_clock: FakeClock, drive: str
) -> None:
    """At the deadline each pending job is asked once more; that query has a second, no more."""
    other = Taking("other", fake_clock, [(0.0, R), (0.0, D)])
    # Asked at 0 (RUNNING, no time), then at the deadline: 2 s, more than the round's second.
    late = Taking("late", fake_clock, [(0.0, R), (2 * LAST_QUERY_SECONDS, D)])
    done, not_done = waited(drive, [other, late], timeout=4, poll=10, max_in_flight=2)
    assert (done, not_done) == ({other}, {late})
    assert other.begun == [0.0, 4.0]
    assert late.begun == [0.0, 4.0]  # the deadline's round
    assert late.answered == [0.0]  # its last query given up
    assert fake_clock.monotonic() == 4.0 + LAST_QUERY_SECONDS


def test_a_round_carries_a_slow_query_over_and_reads_its_answer_later(
    fake_clock: FakeClock, drive: str
) -> None:
    """A query still asleep SLOW_QUERY_SECONDS after the round began every query is carried.

    The round ends then, without it; its job is not asked again while it
    runs; the other job goes on being polled, ``poll`` after the round's
    end; the slow answer, which comes at the second round's time, is read
    in that round.
    """
    slow_query = SLOW_QUERY_SECONDS
    slow = Taking("slow", fake_clock, [(slow_query + 1, D)])
    polled = Taking("polled", fake_clock, [(0.0, R)] * 3 + [(0.0, D)])
    seen = completed(drive, [slow, polled], timeout=600, poll=1, max_in_flight=2)
    assert seen == [slow, polled]
    assert slow.begun == [0.0]  # carried over, never asked again
    assert slow.answered == [slow_query + 1]
    assert polled.begun == [0.0, slow_query + 1, slow_query + 2, slow_query + 3]
    assert fake_clock.monotonic() == slow_query + 3


def test_a_query_carried_over_and_running_at_the_deadline_is_not_asked_again_there(
    fake_clock: FakeClock, drive: str
) -> None:
    """The deadline's round asks every job but one whose carried query still runs."""
    slow = Taking("slow", fake_clock, [(10.0, D)])
    polled = Taking("polled", fake_clock, [(0.0, R)])
    done, not_done = waited(drive, [slow, polled], timeout=2, poll=1, max_in_flight=2)
    assert (done, not_done) == (set(), {slow, polled})
    assert slow.begun == [0.0]
    assert polled.begun == [0.0, 1.5, 2.0]  # a second after the first round's end; the deadline
    assert fake_clock.monotonic() == 2.0


@pytest.mark.parametrize("count", [2, 3])
def test_queries_woken_together_that_move_the_clock_on_each_move_it(
    fake_clock: FakeClock, drive: str, count: int
) -> None:
    """Queries woken by the time may move it on themselves, as a test's stand-in may.

    Each waited for the other to settle first, for ever, until the clock let
    one go first. Each moves the time a second on, one after the other; the
    third job's query, begun by the first worker free (at 1.25 s), sleeps
    while the second moves the time, and moves it on from where it is then.
    """

    class SleepsThenMoves(Taking):
        def status(self) -> JobStatus:
            answer = super().status()
            self.clock.advance(1.0)
            return answer

    jobs = [SleepsThenMoves(f"j{n}", fake_clock, [(0.25, D)]) for n in range(count)]
    done, _ = waited(drive, jobs, max_in_flight=2)
    assert done == set(jobs)
    assert [job.answered for job in jobs] == [[0.25], [0.25], [1.5]][:count]
    assert fake_clock.monotonic() == 0.25 + count


def test_a_carried_answer_is_read_though_an_earlier_carried_query_still_runs(
    fake_clock: FakeClock, drive: str
) -> None:
    """Two queries carried over: the second's answer, come first, is read at the next round."""
    slower = Taking("slower", fake_clock, [(10.0, D)])
    slow = Taking("slow", fake_clock, [(2.0, D)])
    polled = Taking("polled", fake_clock, [(0.0, R)] * 5 + [(0.0, D)])
    seen = completed(drive, [slower, slow, polled], timeout=60, poll=1, max_in_flight=3)
    assert seen == [slow, polled, slower]
    assert (slower.begun, slow.begun) == ([0.0], [0.0])  # each asked once: read, not asked again
    assert slow.answered == [2.0]
    assert polled.begun[:3] == [0.0, 1.5, 2.5]  # the first round ended at SLOW_QUERY_SECONDS


def test_a_query_given_up_at_the_deadline_that_answers_before_the_wait_ends_is_read(
    fake_clock: FakeClock, drive: str
) -> None:
    """A hook told in the deadline's round moves the time past the end of a query given up.

    That query answers while the round is read: the wait reads it as it
    ends, and its job is done.
    """
    late = Taking("late", fake_clock, [(0.0, R), (5.0, D)])
    quick = Taking("quick", fake_clock, [(0.0, Q), (0.0, R)])

    def on_status(job: Any, status: JobStatus) -> None:
        if job is quick and status is R:  # read after the late query was given up, at 3
            fake_clock.advance(5.0)

    done, not_done = waited(
        drive, [late, quick], timeout=2, poll=10, max_in_flight=2, on_status=on_status
    )
    assert (done, not_done) == ({late}, {quick})
    assert late.begun == [0.0, 2.0]
    assert late.answered == [0.0, 7.0]
    assert fake_clock.monotonic() == 8.0


def test_queries_that_sleep_together_take_the_longest_sleep(
    fake_clock: FakeClock, drive: str
) -> None:
    """Three queries of 130 s side by side take 130 s, not 390: virtual time as the real one."""
    jobs = [Taking(f"j{n}", fake_clock, [(130.0, D)]) for n in range(3)]
    done, _ = waited(drive, jobs, max_in_flight=3)
    assert done == set(jobs)
    assert [job.answered for job in jobs] == [[130.0]] * 3
    assert fake_clock.monotonic() == 130.0


def test_an_interrupt_gives_up_a_query_asleep(fake_clock: FakeClock, drive: str) -> None:
    """An interrupt set while a query sleeps on a worker ends the wait, the query given up."""
    interrupt = Interrupt()

    class Interrupting(Taking):
        def status(self) -> JobStatus:
            interrupt.set()
            return super().status()

    slow = Interrupting("slow", fake_clock, [(3.0, R)])
    quick = Taking("quick", fake_clock, [(0.0, R)])
    with pytest.raises(jobv1.WaitInterruptedError):
        waited(drive, [slow, quick], timeout=60, max_in_flight=2, interrupt=interrupt)
    assert slow.answered == []
    assert fake_clock.monotonic() == 0.0


class Awaited(JobV1):
    """A job whose ``async def status()`` takes virtual time on the loop, then holds."""

    def __init__(self, job_id: str, clock: FakeClock, seconds: float, status: JobStatus) -> None:
        super().__init__(None, job_id)
        self.clock = clock
        self.seconds = seconds
        self.answer = status
        self.begun: list[float] = []
        self.gate: asyncio.Event | None = None

    def submit(self) -> None:
        """Submitted when made."""

    async def status(self) -> JobStatus:  # type: ignore[override]
        self.begun.append(self.clock.monotonic())
        if self.seconds:
            for _ in range(3):  # the others answer first: the wait then waits for this one alone
                await asyncio.sleep(0)
            self.clock.advance(self.seconds)
            self.gate = asyncio.Event()
            await self.gate.wait()  # never set: the wait must give the query up
        return self.answer

    def result(self) -> None:
        """No result."""


@pytest.mark.parametrize("seconds", [10.0, 5.0], ids=["past", "to"])
@pytest.mark.parametrize("slow_first", [True, False])
def test_an_awaited_query_past_the_deadline_is_given_up(
    fake_clock: FakeClock, slow_first: bool, seconds: float
) -> None:
    """aio's own queries (``async def status()``) are given up at the deadline too.

    The slow one moves the clock on the loop itself, once the other has
    answered: that alone wakes the wait. A query still running when the
    clock reads the deadline exactly is given up there as well.
    """
    slow = Awaited("slow", fake_clock, seconds, D)
    quick = Awaited("quick", fake_clock, 0.0, D)
    jobs = [slow, quick] if slow_first else [quick, slow]

    async def main() -> Any:
        return await asyncio.wait_for(aio.wait(jobs, timeout=5), GATE_SECONDS)

    done, not_done = asyncio.run(main())
    assert (done, not_done) == ({quick}, {slow})
    assert slow.begun == [0.0]
    assert fake_clock.monotonic() == seconds


class Hinting(Taking):
    """A Taking job that asks to be polled again ``hint`` seconds after each answer."""

    hint: float | None = None

    def poll_hint(self, status: JobStatus) -> float | None:
        return self.hint


@pytest.mark.parametrize("end", [D, R])
def test_a_carried_answer_read_later_leaves_no_plan_to_ask_its_job_again(
    fake_clock: FakeClock, drive: str, end: JobStatus
) -> None:
    """Found by the deadline properties once queries took virtual time on workers.

    A carried job was planned as if asked with no answer; its answer, read at
    a later round, ended it (or planned it again), and the first plan still
    came due: its job was asked again, and the answer of that query, read
    for a job no longer pending, raised ``KeyError`` (on the system's clock
    too, where a slow query is carried alike).
    """
    polled = Hinting("polled", fake_clock, [(0.0, R)])
    polled.hint = 1.0
    slow = Hinting("slow", fake_clock, [(3.0, end), (0.0, end)])
    done, not_done = waited(drive, [polled, slow], timeout=4, poll=1, max_in_flight=2)
    assert (done, not_done) == (({slow}, {polled}) if end is D else (set(), {polled, slow}))
    assert slow.answered[0] == 3.0
    # Running, it is next due a poll after its answer: at the deadline, not at 3.5 as well.
    assert slow.begun == ([0.0] if end is D else [0.0, 4.0])


def test_a_query_left_asleep_wakes_when_the_block_ends_and_sleeps_no_more() -> None:
    """A query given up while asleep wakes as its FakeClock's block ends, where the time is.

    Its worker is not held for ever: a later sleep of the same query returns at once.
    """
    ended = threading.Event()
    times: list[float] = []

    class Twice(Taking):
        def status(self) -> JobStatus:
            self.clock.sleep(10)
            times.append(self.clock.monotonic())
            self.clock.sleep(10)  # after the block: at once
            times.append(self.clock.monotonic())
            ended.set()
            return D

    with FakeClock() as clock:
        slow = Twice("slow", clock, [(0.0, D)])
        quick = Taking("quick", clock, [(0.0, D)])
        done, not_done = jobv1.wait([slow, quick], timeout=5, max_in_flight=2)
        assert (done, not_done) == ({quick}, {slow})
        assert times == []  # still asleep while the block lasts
    assert ended.wait(GATE_SECONDS)
    assert times == [5.0, 5.0]


def test_a_share_begun_after_its_wait_let_go_holds_no_time() -> None:
    """A worker that begins its share once the wait stopped waiting for its run is not counted."""
    clock = FakeClock()
    run = object()
    clock._expect(run, 2)
    ran: list[int] = []
    clock._run_share(run, lambda: ran.append(clock._busy))  # the first: counted
    clock._let_go(run)  # the second never began: its count goes
    clock._run_share(run, lambda: ran.append(clock._busy))
    assert ran == [2, 0]
    assert clock._busy == 0
    # Its sleep, uncounted, waits for the time all the same.
    share = threading.Thread(target=clock._run_share, args=(run, lambda: clock.sleep(1)))
    share.start()
    while not clock._sleepers:  # a real wait for a real thread, a few microseconds long
        share.join(0.001)
    clock.advance(1)
    share.join(GATE_SECONDS)
    assert not share.is_alive()
    assert clock._busy == 0


def test_a_wait_with_no_end_lets_the_time_move_to_the_first_sleep_only(
    fake_clock: FakeClock,
) -> None:
    """With no deadline and no sleep to end, a waiting wait moves nothing."""
    woken = threading.Event()
    done = fake_clock._wait_for(None, woken.set, woken.is_set)
    assert fake_clock.monotonic() == 0.0
    fake_clock.advance(1)  # the time moved by the test: a wait with no end is not rung
    assert not done()
    assert not woken.is_set()


def test_a_wait_is_rung_once_and_not_at_all_once_something_else_woke_it(
    fake_clock: FakeClock,
) -> None:
    """The time reaching a wait's end rings it once; a wait woken already is left to wake."""
    rung: list[str] = []
    woken = threading.Event()
    woken.set()  # its queries answered: it is waking, whatever the time does
    waking = fake_clock._wait_for(5.0, lambda: rung.append("waking"), woken.is_set)
    waiting = fake_clock._wait_for(5.0, lambda: rung.append("waiting"), lambda: False)
    assert fake_clock.monotonic() == 5.0  # the one still waiting moved the time to its end
    fake_clock.advance(1)  # and again past it: neither is rung again
    assert rung == ["waiting"]
    assert (waking(), waiting()) == (False, True)


def test_a_query_blocked_for_real_when_its_wait_ends_holds_the_time_no_more(
    fake_clock: FakeClock, drive: str
) -> None:
    """An interrupted wait lets go of its queries: one still blocked does not stop the clock.

    A later wait on the same clock moves the time through its own queries'
    sleeps while that query stays blocked (a timer opens its gate, in case
    it would not).
    """
    gate = threading.Event()
    interrupt = Interrupt()

    class Blocked(Taking):
        def status(self) -> JobStatus:
            interrupt.set()
            gate.wait()
            return super().status()

    blocked = Blocked("blocked", fake_clock, [(0.0, R)])
    quick = Taking("quick", fake_clock, [(0.0, R)])
    safety = threading.Timer(GATE_SECONDS, gate.set)
    safety.start()
    try:
        with pytest.raises(jobv1.WaitInterruptedError):
            waited(drive, [blocked, quick], timeout=60, max_in_flight=2, interrupt=interrupt)
        slow = Taking("slow", fake_clock, [(10.0, D)])
        other = Taking("other", fake_clock, [(0.0, R)])
        done, not_done = waited(drive, [slow, other], timeout=5, max_in_flight=2)
        assert not gate.is_set()  # the time moved with the blocked query still blocked
    finally:
        gate.set()
        safety.cancel()
    assert (done, not_done) == (set(), {slow, other})
    assert fake_clock.monotonic() == 5.0


def test_the_shares_of_two_runs_at_once_are_all_counted() -> None:
    clock = FakeClock()
    first, second = object(), object()
    clock._expect(first, 2)
    clock._expect(second, 1)
    assert clock._busy == 3
    clock._let_go(first)
    assert clock._busy == 1
    clock._let_go(second)
    assert clock._busy == 0


@pytest.mark.parametrize("told", [False, True], ids=["untold", "on_status"])
def test_one_at_a_time_a_query_that_ends_at_the_deadline_leaves_the_rest_to_its_round(
    fake_clock: FakeClock, drive: str, told: bool
) -> None:
    """With ``max_in_flight=1``, no query is begun at the deadline but by the deadline's round.

    The first job's query ends at the deadline exactly: its round asks no
    other, and the deadline's round asks the second job, whose answer comes
    within that round's second. Asked in the first round instead, its query
    would be under way at the deadline, and given up.
    """
    at_deadline = Taking("at_deadline", fake_clock, [(2.0, R)])
    second = Taking("second", fake_clock, [(LAST_QUERY_SECONDS / 2, D)])
    statuses: list[JobStatus] = []
    on_status = (lambda job, status: statuses.append(status)) if told else None
    done, not_done = waited(
        drive, [at_deadline, second], timeout=2, poll=10, max_in_flight=1, on_status=on_status
    )
    assert (done, not_done) == ({second}, {at_deadline})
    assert at_deadline.begun == [0.0]  # answered at the deadline: not asked again
    assert second.begun == [2.0]
    assert second.answered == [2.0 + LAST_QUERY_SECONDS / 2]
    assert fake_clock.monotonic() == 2.0 + LAST_QUERY_SECONDS / 2
    assert statuses == ([R, D] if told else [])


def test_one_at_a_time_the_deadlines_round_begins_no_query_after_last_query_seconds(
    fake_clock: FakeClock, drive: str
) -> None:
    """Its queries there take 0.6 s each: the third would begin 1.2 s after the deadline.

    The round's queries end one ``LAST_QUERY_SECONDS`` (1 s) after it: the
    second, begun before that, runs to its end; the third is not begun.
    """
    jobs = [Taking(f"job{n}", fake_clock, [(0.0, R), (0.6, R)]) for n in range(3)]
    done, not_done = waited(drive, jobs, timeout=2, poll=10, max_in_flight=1)
    assert (done, not_done) == (set(), set(jobs))
    assert [job.begun for job in jobs] == [[0.0, 2.0], [0.0, 2.6], [0.0]]


def test_one_at_a_time_a_round_begins_no_query_past_the_deadline(
    fake_clock: FakeClock, drive: str
) -> None:
    """The second query runs past the deadline: the third job is the deadline's round's.

    There the first job, answered before the deadline, is asked first, as
    the jobs' order says; the second, answered after it, is not asked again.
    The blocking driver makes a query made alone in its own thread, where
    nothing gives it up: the deadline's round begins when it ends (1.2 s).
    The asyncio driver awaits it in a worker, and gives it up at the deadline.
    """
    jobs = [Taking(f"job{n}", fake_clock, [(0.6, R)]) for n in range(3)]
    done, not_done = waited(drive, jobs, timeout=1, poll=10, max_in_flight=1)
    assert (done, not_done) == (set(), set(jobs))
    at = 1.0 if drive == "asyncio" else 1.2  # when the deadline's round begins
    begun = [[round(time, 9) for time in job.begun] for job in jobs]
    assert begun == [[0.0, at], [0.6], [round(at + 0.6, 9)]]


def test_a_job_whose_query_an_earlier_wait_gave_up_is_not_asked_while_it_runs(
    fake_clock: FakeClock, drive: str
) -> None:
    """The next wait on it counts it as asked at its deadline, the query still asleep."""
    stuck = Taking("stuck", fake_clock, [(100.0, D)])
    other = Taking("other", fake_clock, [(0.0, R)])
    assert waited(drive, [stuck, other], timeout=1, max_in_flight=2) == (set(), {stuck, other})
    assert stuck.begun == [0.0]  # given up at 1.0, and asleep until 100
    before = len(other.begun)
    done, not_done = waited(drive, [stuck, other], timeout=1, poll=0.5, max_in_flight=2)
    assert (done, not_done) == (set(), {stuck, other})
    assert stuck.begun == [0.0]  # never asked again while its query runs
    assert other.begun[before:] == [1.0, 1.5, 2.0]
    assert fake_clock.monotonic() == 2.0


def test_a_round_whose_every_job_has_a_query_running_asks_none_and_waits_on(
    fake_clock: FakeClock, drive: str
) -> None:
    """Every job's query was given up by an earlier wait and runs on: the next wait times out."""
    stuck = [Taking(f"stuck{n}", fake_clock, [(100.0, D)]) for n in range(2)]
    assert waited(drive, stuck, timeout=1, max_in_flight=2) == (set(), set(stuck))
    done, not_done = waited(drive, stuck, timeout=1, poll=0.5, max_in_flight=2)
    assert (done, not_done) == (set(), set(stuck))
    assert [job.begun for job in stuck] == [[0.0], [0.0]]
    assert fake_clock.monotonic() == 2.0


class Theirs:
    """Another library's job, done at once: not jobv1's, so its backend is not looked at."""

    def job_id(self) -> str:
        return "theirs"

    def status(self) -> JobStatus:
        return D


@pytest.mark.parametrize("mixed", [False, True], ids=["jobv1s", "with-another-librarys"])
def test_a_backend_that_takes_one_query_at_a_time_bounds_the_wait(
    fake_clock: FakeClock, drive: str, mixed: bool
) -> None:
    """Its ``max_status_in_flight = 1`` holds under ``max_in_flight=2``: the queries take turns."""

    class OneAtATime:
        max_status_in_flight = 1

    backend = OneAtATime()
    jobs: list[Any] = [Taking(f"j{n}", fake_clock, [(1.0, D)]) for n in range(2)]
    for job in jobs:
        job._backend = backend
    given = [*jobs, Theirs()] if mixed else jobs
    done, _ = waited(drive, given, max_in_flight=2)
    assert len(done) == len(given)
    assert [job.begun for job in jobs] == [[0.0], [1.0]]
    assert fake_clock.monotonic() == 2.0


def test_a_query_that_fails_at_the_deadline_counts_as_the_deadlines_own(
    fake_clock: FakeClock, drive: str
) -> None:
    """A failure the retry rides out, come at the deadline itself, is its job's last query.

    (Its round waits for it: it ends before SLOW_QUERY_SECONDS.)
    """

    class FailsLate(Taking):
        def status(self) -> JobStatus:
            super().status()
            raise ConnectionError("reset")

    failing = FailsLate("failing", fake_clock, [(SLOW_QUERY_SECONDS / 2, R)])
    quick = Taking("quick", fake_clock, [(0.0, R)])
    retry = jobv1.Retry(ConnectionError, backoff=10)
    deadline = SLOW_QUERY_SECONDS / 2
    done, not_done = waited(
        drive, [failing, quick], timeout=deadline, poll=10, max_in_flight=2, retry=retry
    )
    assert (done, not_done) == (set(), {failing, quick})
    assert failing.begun == [0.0]  # not asked again at the deadline
    assert quick.begun == [0.0, deadline]
    assert fake_clock.monotonic() == deadline
