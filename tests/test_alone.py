"""The fast path of a wait on one polled job behaves exactly as the general loop.

``JobV1.wait_for_final_state`` takes its own path (``jobv1._alone``) when
the wait has no hooks but a callback. Here both paths run the same scripted
job in virtual time, and everything the job, the callback and the clock see
is recorded and compared: which calls, in which order, at which times, and
how the wait ended.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from conftest import Listening, Recorder, examples, unheard
from jobv1 import Backoff, JobStatus, JobTimeoutError, JobV1, PollPolicy
from jobv1._arguments import check_one
from jobv1._policy import Fixed
from jobv1._polling import general
from jobv1._requests import StopIterationError, unshielded

R, Q, D, E = JobStatus.RUNNING, JobStatus.QUEUED, JobStatus.DONE, JobStatus.ERROR
try:  # answers a wrapped Qiskit job gives: equal to ours, not ours
    from qiskit.providers import JobStatus as QiskitStatus

    QISKIT_STATUSES: list[Any] = [QiskitStatus.RUNNING, QiskitStatus.DONE]
except ImportError:  # pragma: no cover - Qiskit is in the dev extra
    QISKIT_STATUSES = []


class Script(JobV1):
    """Answers its script, one step per query; each step may take time or fail."""

    def __init__(
        self, clock: Recorder, steps: list[tuple[Any, float]], hints: list[Any] | None
    ) -> None:
        super().__init__(None, "script")
        self.clock, self.steps = clock, list(steps)
        self.hints = None if hints is None else list(hints)

    def submit(self) -> None:
        """Submitted when made."""

    def result(self) -> None:
        """No result."""

    def status(self) -> JobStatus:
        answer, takes = self.steps.pop(0) if len(self.steps) > 1 else self.steps[0]
        self.clock.log.append(("status", self.clock.monotonic()))
        self.clock.advance(takes)
        if isinstance(answer, BaseException):
            raise answer
        return answer  # type: ignore[no-any-return]


class Hinted(Script):
    """A script whose poll_hint() answers its own list, one per call (an exception is raised)."""

    def poll_hint(self, status: JobStatus) -> float | None:
        assert self.hints is not None
        hint = self.hints.pop(0) if len(self.hints) > 1 else self.hints[0]
        self.clock.log.append(("hint", self.clock.monotonic(), status))
        self.clock.advance(0.1)  # a hint may take time too
        if isinstance(hint, BaseException):
            raise hint
        return hint  # type: ignore[no-any-return]


def _general(job: JobV1, *, wait: object, **options: Any) -> None:
    """The wait the loop makes, as ``wait_for_final_state`` runs it with hooks."""
    checked = check_one(
        job, poll=("wait", wait), on_status=None, retry=None, interrupt=None, **options
    )
    poller = general(checked)
    try:
        for _ in poller:
            pass
    except StopIterationError as carried:
        raise unshielded(carried) from None


def _run(  # noqa: PLR0917 - the test's axes, in order
    path: str,
    steps: list[tuple[Any, float]],
    hints: list[Any] | None,
    timeout: float | None,
    wait: float | PollPolicy,
    with_callback: bool,
    callback_takes: float = 0.0,
    listen: bool = False,
    sleeps: float = 1.0,
) -> list[tuple[Any, ...]]:
    log: list[tuple[Any, ...]] = []
    clock = Recorder(log, wakeups=True, scale=sleeps)
    job = (Hinted if hints is not None else Script)(clock, steps, hints)

    def callback(job_id: str, status: JobStatus, handle: Any) -> None:
        assert handle is job
        log.append(("callback", clock.monotonic(), job_id, status, type(status)))
        clock.advance(callback_takes)

    callback_ = callback if with_callback else None
    with clock, Listening(log, clock, listen=listen):
        try:
            if path == "fast":
                job.wait_for_final_state(timeout, wait, callback_)
            else:
                _general(job, timeout=timeout, wait=wait, callback=callback_)
        # RuntimeError: FakeClock's refusal of a wait that polls without delay for ever.
        except (
            JobTimeoutError,
            TypeError,
            ValueError,
            LookupError,
            StopIteration,
            RuntimeError,
        ) as error:
            log.append(("raised", type(error), str(error), clock.monotonic()))
        else:
            log.append(("returned", clock.monotonic()))
    return log


answers = st.sampled_from(
    [R, R, R, Q, D, E, "bad", LookupError("503"), StopIteration(), *QISKIT_STATUSES]
)
steps_ = st.lists(st.tuples(answers, st.sampled_from([0.0, 0.0, 0.3, 2.5])), min_size=1)
hints_ = st.none() | st.lists(
    st.sampled_from([None, 0.0, 0.7, 4.0, -1, "soon", LookupError("hint"), StopIteration()]),
    min_size=1,
)
timeouts = st.none() | st.sampled_from([-1.0, 0.0]) | st.floats(0, 20)
waits: st.SearchStrategy[float | PollPolicy] = (
    st.sampled_from([0.0, 1, 0.25])
    | st.floats(0.01, 10)
    | st.builds(Fixed, st.floats(0, 5))
    | st.builds(Backoff, initial=st.floats(0.05, 1), maximum=st.just(6.0))
    | st.builds(Backoff, jitter=st.just(0.5), seed=st.integers(0, 9))
)


@example(
    steps=[(R, 0.0)],
    hints=None,
    timeout=1.0,
    wait=0.3,
    with_callback=True,
    callback_takes=0.0,
    listen=True,
    sleeps=1.0,
)
@example(
    steps=[(R, 2.5), (D, 0.0)],
    hints=None,
    timeout=2.0,
    wait=1,
    with_callback=True,
    callback_takes=0.0,
    listen=False,
    sleeps=1.0,
)
@example(
    steps=[(R, 0.0)],
    hints=[LookupError("h")],
    timeout=0.0,
    wait=1,
    with_callback=False,
    callback_takes=0.0,
    listen=True,
    sleeps=1.0,
)
@example(  # a hint counts from its answer: a callback that takes 0.4 s leaves 0.3 s of it
    steps=[(R, 0.0)],
    hints=[0.7],
    timeout=None,
    wait=0.0,
    with_callback=True,
    callback_takes=0.4,
    listen=False,
    sleeps=1.0,
)
@example(  # a hint, then the policy: it takes up the Backoff where the hint left it
    steps=[(R, 0.0), (R, 0.0)],
    hints=[0.7, None],
    timeout=None,
    wait=Backoff(initial=0.5, maximum=6.0),
    with_callback=False,
    callback_takes=0.0,
    listen=False,
    sleeps=1.0,
)
@example(  # a hint under the floor is taken as "now" again after the policy paced the job
    steps=[(R, 0.0), (R, 0.0), (R, 0.0), (D, 0.0)],
    hints=[0.0, None, 0.0],
    timeout=None,
    wait=1,
    with_callback=False,
    callback_takes=0.0,
    listen=False,
    sleeps=1.0,
)
@example(  # a wake a microsecond before the deadline is the deadline (2.000001 - 1e-6 == 2.0)
    steps=[(R, 0.0)],
    hints=None,
    timeout=2.000001,
    wait=2,
    with_callback=True,
    callback_takes=0.0,
    listen=False,
    sleeps=1.0,
)
@example(  # a sleep to the deadline that ends early: the deadline is taken as come
    steps=[(R, 0.0)],
    hints=None,
    timeout=3.0,
    wait=5,
    with_callback=True,
    callback_takes=0.0,
    listen=False,
    sleeps=0.5,
)
@example(  # a sleep to the deadline, begun after the first, that ends early
    steps=[(R, 0.0)],
    hints=None,
    timeout=4.0,
    wait=3,
    with_callback=True,
    callback_takes=0.0,
    listen=False,
    sleeps=0.5,
)
@example(  # a sleep that ends late, on the deadline: its query is the deadline's, unhinted
    steps=[(R, 0.0)],
    hints=[None],
    timeout=2.0,
    wait=0.95,
    with_callback=False,
    callback_takes=0.0,
    listen=False,
    sleeps=2.0,
)
@settings(max_examples=examples(400))
@given(
    steps=steps_,
    hints=hints_,
    timeout=timeouts,
    wait=waits,
    with_callback=st.booleans(),
    callback_takes=st.sampled_from([0.0, 0.0, 0.4, 3.0]),
    listen=st.booleans(),
    sleeps=st.sampled_from([1.0, 1.0, 1.0, 0.5, 2.0]),
)
def test_the_fast_path_makes_the_loops_calls_at_the_loops_times(  # noqa: PLR0917 - one per axis
    steps: list[tuple[Any, float]],
    hints: list[Any] | None,
    timeout: float | None,
    wait: float | PollPolicy,
    with_callback: bool,
    callback_takes: float,
    listen: bool,
    sleeps: float,
) -> None:
    """The same calls, hooks and outcome; the same log records when the logger listens.

    Issue 23: listening took the general loop, so turning on debug logging
    could change what a wait did; it no longer picks the path, and what the
    fast path does heard is what it does unheard. ``sleeps`` scales the
    clock's sleeps: ones that end early or late are read alike too.
    """
    if timeout is None and all(answer in (R, Q) for answer, _ in steps):
        steps = [*steps, (D, 0.0)]  # a wait without a deadline must end
    axes = (steps, hints, timeout, wait, with_callback, callback_takes)
    fast = _run("fast", *axes, listen=listen, sleeps=sleeps)
    general = _run("general", *axes, listen=listen, sleeps=sleeps)
    assert fast == general
    assert fast[-1][0] in ("raised", "returned")
    if listen:
        assert unheard(fast) == _run("fast", *axes, listen=False, sleeps=sleeps)


def test_the_fast_path_is_taken_for_a_plain_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    # The comparison above proves nothing if the fast path were never taken.
    taken: list[object] = []
    import jobv1._job as job_module

    monkeypatch.setattr(job_module, "check_one", lambda *args, **kwargs: taken.append(args))
    log: list[tuple[Any, ...]] = []
    job = Script(Recorder(log, wakeups=True), [(D, 0.0)], None)
    job.wait_for_final_state(timeout=1, wait=Backoff(), callback=print)
    assert taken == []


@pytest.mark.parametrize("steps", [[(D, 0.0)], [(R, 0.0), (Q, 2.5), (D, 0.0)]])
def test_a_program_that_never_loaded_logging_waits_alike(
    monkeypatch: pytest.MonkeyPatch, steps: list[tuple[Any, float]]
) -> None:
    """The fast path asks who listens only once logging or OpenTelemetry is loaded."""
    from types import SimpleNamespace

    from jobv1 import _alone

    heard = _run("fast", steps, None, 10.0, 1, True)
    monkeypatch.setattr(_alone, "sys", SimpleNamespace(modules={}))
    assert _run("fast", steps, None, 10.0, 1, True) == heard


def test_a_huge_delay_past_the_clocks_range_is_refused_on_both_paths() -> None:
    messages = []
    for path in ("fast", "general"):
        log = _run(path, [(R, 0.0)], None, None, Fixed(1e308), False)
        assert log[-1][0] == "raised"
        assert log[-1][1] is ValueError
        assert "goes past the end of the clock's range" in log[-1][2]
        messages.append(log[-1][2])
    assert messages[0] == messages[1]  # the delay and the clock's time, named alike
    assert "a delay of 1e+308 s" in messages[1]
    assert "(it reads 1e+308)" in messages[1]
    clock = Recorder([], wakeups=True)
    clock.advance(1.7e308)
    with clock, pytest.raises(ValueError, match="past the end of the clock's range"):
        Script(clock, [(R, 0.0)], None).wait_for_final_state(wait=1.7e308)


def test_a_backend_rate_limit_takes_the_loop() -> None:
    from jobv1 import RateLimit

    class Limited:
        status_rate_limit = RateLimit(1)

    log: list[tuple[Any, ...]] = []
    clock = Recorder(log, wakeups=True)
    job = Script(clock, [(R, 0.0), (R, 0.0), (D, 0.0)], None)
    job._backend = Limited()  # type: ignore[assignment]
    with clock:
        job.wait_for_final_state(wait=0)
    # One query a second, though the policy asks for none in between.
    assert [entry[1] for entry in log if entry[0] == "status"] == [0.0, 1.0, 2.0]
    assert math.isclose(clock.monotonic(), 2.0)


class _NoDelays(PollPolicy):
    """A policy whose delays() gives something that cannot be iterated."""

    def delays(self) -> Any:
        return 5


_any_timeout: st.SearchStrategy[Any] = st.sampled_from(
    [None, 0, 0.5, 3, -1.0, True, "1", math.nan, math.inf, -math.inf, 1e10, Fraction(1, 2), []]
)
_any_wait: st.SearchStrategy[Any] = st.sampled_from(
    [
        *(0, 1, 0.25, -1, True, "5", math.nan, math.inf, None, 1e300, Fraction(1, 4)),
        *(Fixed(1), Backoff(), _NoDelays(), object()),
    ]
)


@settings(max_examples=examples(200))
@given(timeout=_any_timeout, wait=_any_wait, callback=st.sampled_from([None, print, 3, "f"]))
def test_the_fast_path_checks_its_arguments_as_the_loop_does(
    timeout: Any, wait: Any, callback: Any
) -> None:
    """Issue 23: the fast path checks the common arguments inline; it must refuse and
    accept exactly what the one check (``check_wait``) does, with the same message."""

    def outcome(path: str) -> tuple[Any, ...]:
        clock = Recorder([], wakeups=True)
        job = Script(clock, [(D, 0.0)], None)
        with clock:
            try:
                if path == "fast":
                    job.wait_for_final_state(timeout, wait, callback)
                else:
                    _general(job, timeout=timeout, wait=wait, callback=callback)
            except (TypeError, ValueError) as error:
                return type(error), str(error), job.steps
        return ("returned", job.steps)

    assert outcome("fast") == outcome("general")
