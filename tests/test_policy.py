"""Poll policies: Fixed and Backoff as immutable, validated values."""

from __future__ import annotations

import concurrent.futures
import copy
import itertools
import math
import pickle
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import jobv1
from jobv1 import Backoff, ExecutorBackend, JobStatus, JobV1, PollPolicy, Retry
from jobv1._policy import Fixed, as_policy, drawn_once
from jobv1.testing import FakeClock


def first(policy: PollPolicy, n: int) -> list[float]:
    return list(itertools.islice(policy.delays(), n))


def test_fixed_repeats_its_interval() -> None:
    assert first(Fixed(2.5), 4) == [2.5] * 4
    assert first(Fixed(0), 2) == [0, 0]


def test_backoff_grows_to_its_cap_landing_on_its_multiples() -> None:
    # 0.07 + 0.08 would skip over 0.08: that delay is cut to land on it
    assert first(Backoff(initial=0.01, multiplier=2, maximum=0.08), 7) == pytest.approx(
        [0.01, 0.02, 0.04, 0.01, 0.08, 0.08, 0.08]
    )
    # Backoff(): the queries after 5 s are those of fixed 5 s polling, and two more
    times = list(itertools.accumulate(first(Backoff(), 15)))
    assert [round(t, 3) for t in times[8:]] == [3.744, 5, 7.883, 10, 15, 20, 25]


def test_a_backoff_that_never_reaches_its_cap_still_lands_on_its_multiples() -> None:
    policy = Backoff(initial=2, multiplier=1, maximum=5)
    assert first(policy, 7) == [2, 2, 1, 2, 2, 1, 2]
    assert drawn_once(policy) is None  # it never settles: each job iterates its own


@given(
    initial=st.floats(1e-3, 10),
    multiplier=st.floats(1, 4),
    extra=st.floats(0, 100),
    jitter=st.sampled_from([0.0, 0.3, 1.0]),
    seed=st.integers(0, 10),
)
def test_a_backoff_never_skips_a_multiple_of_its_cap(
    initial: float, multiplier: float, extra: float, jitter: float, seed: int
) -> None:
    cap = initial + extra
    delays = first(Backoff(initial, multiplier, cap), 300)
    assert all(0 <= delay <= cap for delay in delays)
    times = list(itertools.accumulate(delays))
    for multiple in range(1, int(times[-1] / cap) + 1):
        # some query lands on it, within the rounding of a float sum
        assert min(abs(time - multiple * cap) for time in times) <= 1e-6 * multiple * cap
    # jitter shortens those delays, each by at most its share
    jittered = first(Backoff(initial, multiplier, cap, jitter, seed), 300)
    for delay, shorter in zip(delays, jittered, strict=True):
        assert delay * (1 - jitter) <= shorter <= delay


def test_backoff_defaults() -> None:
    policy = Backoff()
    assert (policy.initial, policy.multiplier, policy.maximum, policy.jitter, policy.seed) == (
        0.05,
        1.5,
        5.0,
        0.0,
        None,
    )
    assert first(policy, 3) == pytest.approx([0.05, 0.075, 0.1125])


def test_seeded_jitter_is_reproducible_and_only_shortens() -> None:
    policy = Backoff(initial=1, multiplier=1, maximum=1000, jitter=0.5, seed=7)
    delays = first(policy, 50)  # 50 s at most: none comes to the cap's first multiple
    assert delays == first(policy, 50)
    assert all(0.5 < d <= 1 for d in delays)
    assert len(set(delays)) > 40
    assert first(Backoff(1, 1, 1000, 0.5, seed=8), 50) != delays


def test_unseeded_jitter_differs_between_waits() -> None:
    policy = Backoff(initial=1, multiplier=1, maximum=1, jitter=0.5)
    assert first(policy, 20) != first(policy, 20)


@given(
    initial=st.floats(0, 10, exclude_min=True),
    multiplier=st.floats(1, 10),
    extra=st.floats(0, 100),
    jitter=st.floats(0, 1),
    seed=st.integers(),
)
def test_the_cap_is_never_exceeded(
    initial: float, multiplier: float, extra: float, jitter: float, seed: int
) -> None:
    assume(multiplier == 1 or initial * multiplier != initial)  # else refused: see below
    maximum = initial + extra
    delays = first(Backoff(initial, multiplier, maximum, jitter, seed), 60)
    assert all(0 <= d <= maximum for d in delays)


def test_policies_are_immutable_values() -> None:
    policy = Backoff(0.1, 2, 1)
    with pytest.raises(AttributeError, match="Backoff is immutable"):
        policy.initial = 3
    with pytest.raises(AttributeError, match="Fixed is immutable"):
        del Fixed(1).interval
    assert policy == Backoff(0.1, 2, 1)
    assert policy != Backoff(0.1, 2, 2)
    assert policy != Fixed(0.1)
    assert Fixed(1) == Fixed(1.0)
    assert len({Backoff(), Backoff(), Fixed(5), Fixed(5)}) == 2
    assert (
        repr(policy) == "Backoff(initial=0.1, multiplier=2.0, maximum=1.0, jitter=0.0, seed=None)"
    )
    assert repr(Fixed(3)) == "Fixed(interval=3.0)"
    assert isinstance(policy, PollPolicy)


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        (
            {"initial": -0.1},
            ValueError,
            "initial must be a finite number of seconds >= 0, got -0.1",
        ),
        ({"initial": math.nan}, ValueError, "initial must not be NaN"),
        ({"initial": "1"}, TypeError, "initial must be a real number, not '1'"),
        ({"multiplier": 0.5}, ValueError, "multiplier must be finite and >= 1, got 0.5"),
        ({"multiplier": math.inf}, ValueError, "multiplier must be finite and >= 1, got inf"),
        ({"multiplier": None}, TypeError, "multiplier must be a real number, not None"),
        ({"maximum": math.inf}, ValueError, "maximum must be a finite number of seconds"),
        ({"initial": 2, "maximum": 1}, ValueError, r"maximum must be >= initial \(2\), got 1"),
        ({"jitter": 1.5}, ValueError, "jitter must be between 0 and 1, got 1.5"),
        ({"jitter": -0.1}, ValueError, "jitter must be between 0 and 1, got -0.1"),
        ({"jitter": math.nan}, ValueError, "jitter must not be NaN"),
        ({"jitter": False}, TypeError, "jitter must be a real number, not False"),
        ({"seed": 1.5}, TypeError, "seed must be an int or None, not 1.5"),
        ({"seed": True}, TypeError, "seed must be an int or None, not True"),
    ],
)
def test_backoff_validates_on_construction(
    kwargs: dict[str, Any], error: type[Exception], words: str
) -> None:
    with pytest.raises(error, match=words):
        Backoff(**kwargs)


def test_as_policy() -> None:
    policy = Backoff()
    assert as_policy("wait", policy) is policy
    assert as_policy("wait", 3) == Fixed(3)
    with pytest.raises(TypeError, match="wait must be a number of seconds or a poll policy"):
        as_policy("wait", [1, 2])
    with pytest.raises(ValueError, match="wait must be a finite number of seconds >= 0"):
        as_policy("wait", -3)
    with pytest.raises(TypeError, match="interval must be a real number"):
        Fixed("3")  # type: ignore[arg-type]


def test_distinct_policies_hash_apart() -> None:
    hashes = {hash(Backoff(initial=n / 100, maximum=10)) for n in range(1, 101)}
    assert len(hashes) > 90  # a constant hash would make sets and dicts of policies crawl
    assert hash(Fixed(1)) != hash(Fixed(2))


def _policy_value(policy: Any) -> list[float]:
    """Run in a worker process: the first delays of a policy sent there by pickling."""
    return list(itertools.islice(policy.delays(), 4))


@pytest.mark.parametrize(
    "value",
    [
        Fixed(2.5),
        Backoff(),
        Backoff(initial=0.1, multiplier=3, maximum=9, jitter=0.5, seed=7),
        Retry(ConnectionError, TimeoutError, max_failures=2, backoff=Backoff(initial=1)),
        Retry(OSError, backoff=3),
    ],
    ids=repr,
)
def test_policies_pickle_copy_and_deepcopy_to_equal_values(value: Any) -> None:
    """Issue 11, 3: they raised 'is immutable' and broke a process pool."""
    for twin in (
        pickle.loads(pickle.dumps(value)),
        copy.copy(value),
        copy.deepcopy(value),
    ):
        assert twin == value
        assert type(twin) is type(value)
        assert hash(twin) == hash(value)
        with pytest.raises(AttributeError, match="is immutable"):
            twin.anything = 1


def test_a_policy_crosses_into_a_process_pool() -> None:
    policy = Backoff(initial=0.5, multiplier=2, maximum=3, jitter=0.2, seed=1)
    with (
        concurrent.futures.ProcessPoolExecutor(max_workers=1) as pool,
        ExecutorBackend(pool, name="processes") as backend,
    ):
        jobs = [backend.run(_policy_value, policy) for _ in range(3)]
        assert [job.result(timeout=60) for job in jobs] == [_policy_value(policy)] * 3


@pytest.mark.parametrize(
    ("initial", "multiplier"),
    [(0, 2), (0, 1), (0.0, 1.5), (5e-324, 1.1), (1e-320, 1.0000001)],
)
def test_a_backoff_that_cannot_grow_is_refused(initial: float, multiplier: float) -> None:
    """Issue 11, 4: from 0 (or a sub-ulp step) it stayed at 0 and polled without pause."""
    with pytest.raises(ValueError, match="this backoff would never grow") as caught:
        Backoff(initial=initial, multiplier=multiplier)
    assert str(caught.value) == (
        f"initial must be > 0 and large enough to grow by multiplier={multiplier!r}, got "
        f"{initial!r}: this backoff would never grow (for back-to-back queries, pass wait=0)"
    )


def test_the_smallest_backoffs_that_grow_are_accepted() -> None:
    assert first(Backoff(initial=5e-324, multiplier=2, maximum=1), 3) == [5e-324, 1e-323, 2e-323]
    assert first(Backoff(initial=1e-9, multiplier=1, maximum=1), 2) == [1e-9, 1e-9]


@given(
    initial=st.floats(1e-3, 10),
    multiplier=st.floats(1, 4),
    extra=st.floats(0, 100),
    steps=st.lists(st.integers(0, 60), max_size=30),
)
def test_delays_drawn_once_are_the_policys_own(
    initial: float, multiplier: float, extra: float, steps: list[int]
) -> None:
    backoff = Backoff(initial, multiplier, initial + extra)
    for policy in (backoff, Fixed(initial)):
        drawn = drawn_once(policy)
        if multiplier == 1 and backoff.initial != backoff.maximum and policy is backoff:
            assert drawn is None  # it may never settle (see above)
            continue
        assert drawn is not None
        expected = first(policy, 61)
        # asked in any order, as jobs at different steps ask
        assert [drawn.at(step) for step in steps] == [expected[step] for step in steps]
        assert [drawn.at(step) for step in range(61)] == expected
        # and kept only as far as they change: once settled, the last repeats
        kept = len(drawn.drawn)
        if drawn.settled:
            assert expected[kept - 1 :] == [drawn.last] * (61 - kept + 1)
            assert kept == 1 or expected[kept - 2] != drawn.last or expected[kept - 1] != drawn.last


class Counted(Backoff):
    """A Backoff subclass: it may draw as it likes, so each job draws its own."""

    __slots__ = ()
    calls = 0

    def delays(self) -> Iterator[float]:
        type(self).calls += 1
        return super().delays()


def test_only_policies_that_pace_every_job_alike_are_drawn_once() -> None:
    assert drawn_once(Backoff(jitter=0.5)) is None
    assert drawn_once(Backoff(jitter=0.5, seed=1)) is None
    assert drawn_once(Counted()) is None
    assert drawn_once(Backoff()) is not None


class Timed(JobV1[None]):
    """Records when it is queried; answers RUNNING ``runs`` times, then DONE; hints once."""

    def __init__(self, job_id: str, clock: FakeClock, runs: int, hint: float | None) -> None:
        super().__init__(None, job_id)
        self.clock, self.runs, self.hint = clock, runs, hint
        self.times: list[float] = []

    def submit(self) -> None:
        """Nothing to submit."""

    def result(self) -> None:
        """No result."""

    def status(self) -> JobStatus:
        self.times.append(self.clock.monotonic())
        return JobStatus.RUNNING if len(self.times) <= self.runs else JobStatus.DONE

    def poll_hint(self, status: JobStatus) -> float | None:
        hint, self.hint = self.hint, None
        return hint


@pytest.mark.parametrize("policy", [Backoff(initial=1, multiplier=2, maximum=4), Counted(1, 2, 4)])
def test_each_job_keeps_its_own_step_in_the_policy(fake_clock: FakeClock, policy: Backoff) -> None:
    Counted.calls = 0
    plain = Timed("plain", fake_clock, 5, None)
    hinted = Timed("hinted", fake_clock, 5, 0.5)  # a hint spends no step of the policy
    jobv1.wait([plain, hinted], poll=policy, max_in_flight=1)
    assert plain.times == [0, 1, 3, 4, 8, 12]  # 3 + 2 * 2 would skip over 4
    assert hinted.times == [0, 0.5, 1.5, 3.5, 4.5, 8.5]
    # Counted is asked once before any query, then once per job; Backoff never per job
    assert Counted.calls == (3 if type(policy) is Counted else 0)


def test_under_a_hint_the_steps_are_counted_to_the_last_delay_that_fits() -> None:
    from jobv1._pacing import HINT_STEPS, under_hint

    drawn = drawn_once(Backoff(initial=1, multiplier=2, maximum=64))
    assert drawn is not None
    assert [under_hint(drawn, 0, s) for s in (0.5, 1, 6.5, 7, 14, 15)] == [0, 1, 2, 3, 3, 4]
    assert under_hint(drawn, 2, 4) == 3  # from the third delay (4 s) on
    fast = drawn_once(Fixed(0.01))
    assert fast is not None
    assert under_hint(fast, 0, 10) == HINT_STEPS  # a thousand delays fit: 64 go by
