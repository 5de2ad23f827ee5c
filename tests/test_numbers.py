"""One rule for numbers, everywhere (issue 11, 11, 12 and 15): any real number, not only int and float."""

from __future__ import annotations

import itertools
import math
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import pytest

from jobv1 import Backoff, JobStatus
from jobv1._clock import SystemClock
from jobv1.testing import FakeBackend, FakeClock, FakeJob, Hold, check_jobv1

R = JobStatus.RUNNING
NUMBERS = [np.int64(2), np.float32(2.0), Fraction(2), Decimal(2), 2, 2.0]


class NumberPolicy:
    """A policy whose delays are of some numeric type."""

    def __init__(self, delay: Any) -> None:
        self.delay = delay

    def delays(self) -> Iterator[Any]:
        return itertools.repeat(self.delay)


@pytest.mark.parametrize("number", NUMBERS, ids=repr)
def test_any_real_number_is_a_delay_a_hint_a_timeout_and_a_wait(
    fake_clock: FakeClock, fake_backend: FakeBackend, number: Any
) -> None:
    job = fake_backend.run(script=[Hold(R, seconds=5)])
    job.wait_for_final_state(timeout=number * 5, wait=NumberPolicy(number))
    assert [q.time for q in job.queries] == [0, 2, 4, 6]

    class Hinted(FakeJob):
        def poll_hint(self, status: JobStatus) -> Any:
            return number

    hinted = Hinted(None, "hinted", script=[Hold(R, seconds=4)])
    hinted.submit()
    start = fake_clock.monotonic()
    hinted.wait_for_final_state(wait=100, timeout=Decimal(10))  # type: ignore[arg-type]
    assert [q.time - start for q in hinted.queries] == [0, 2, 4]


@pytest.mark.parametrize("zero", [np.int64(0), np.float32(0), Fraction(0), Decimal(0)], ids=repr)
def test_zero_of_any_type_is_a_wait(fake_clock: FakeClock, zero: Any) -> None:
    """No delay between queries, as ``wait=0``: zero is no less a number of seconds than 2."""
    job = FakeJob(None, "at-once", script=[Hold(R, queries=2)])
    job.submit()
    job.wait_for_final_state(wait=zero)
    assert [q.time for q in job.queries] == [0, 0, 0]


@pytest.mark.parametrize(
    "timeout", [np.int64(2), np.float32(0.5), Fraction(1, 2), Decimal("0.5")], ids=repr
)
def test_the_conformance_kit_takes_any_real_timeout(fake_clock: FakeClock, timeout: Any) -> None:
    backend = FakeBackend()
    check_jobv1(
        done=lambda: backend.run(result=1),
        error=lambda: backend.run(error=ValueError("x")),
        pending=lambda: backend.run(script=[Hold(R)], cancellable=True),
        result_error=Exception,
        cancel="cancels",
        timeout=timeout,
    )


def test_a_delay_past_the_clocks_range_fails_clearly(fake_clock: FakeClock) -> None:
    """It used to be a bare AssertionError under a FakeClock."""
    job = FakeBackend().run(script=[Hold(R)])
    with pytest.raises(ValueError, match="goes past the end of the clock's range") as caught:
        job.wait_for_final_state(wait=1e308)
    assert str(caught.value) == (
        "a delay of 1e+308 s before the next query of job 'fake-1' goes past the end of the "
        "clock's range (it reads 1e+308)"
    )


def test_a_real_sleep_longer_than_the_system_allows_is_made_of_several(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """wait=1e10 with an interrupt, or a hint of 1e10, overflowed Event.wait and time.sleep."""
    now = [1000.0]
    slept: list[float] = []

    def fake_sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    monkeypatch.setattr(time, "sleep", fake_sleep)
    clock = SystemClock()
    assert clock.sleep(2.5e9) is False
    assert slept == [1e9, 1e9, pytest.approx(0.5e9)]
    assert now[0] == pytest.approx(1000 + 2.5e9)
    # chunked only past the longest, and the last part as long as what is left
    for seconds, parts in [(1e9, [1e9]), (2e9, [1e9, 1e9]), (1e9 + 0.25, [1e9, 0.25])]:
        slept.clear()
        clock.sleep(seconds)
        assert slept == pytest.approx(parts, abs=1e-6)

    class Wakeup:
        def __init__(self, after: int) -> None:
            self.calls: list[float] = []
            self.after = after

        def wait(self, timeout: float | None = None) -> bool:
            assert timeout is not None
            self.calls.append(timeout)
            now[0] += timeout
            return self.is_set()

        def is_set(self) -> bool:
            return len(self.calls) > self.after

    never = Wakeup(after=11)
    assert clock.sleep(1e10 + 1, never) is False
    assert never.calls[:10] == [1e9] * 10
    assert len(never.calls) == 11
    soon = Wakeup(after=1)
    assert clock.sleep(5e9, soon) is True  # woken during its second part
    assert soon.calls == [1e9, 1e9]


@pytest.mark.realtime
def test_a_huge_wait_with_an_interrupt_sleeps_and_wakes() -> None:
    from jobv1 import Interrupt, WaitInterruptedError

    interrupt = Interrupt()
    job = FakeBackend().run(script=[Hold(R)])
    timer = threading.Timer(0.05, interrupt.set)
    timer.start()
    started = time.monotonic()
    with pytest.raises(WaitInterruptedError):
        job.wait_for_final_state(wait=1e10, timeout=1e12, interrupt=interrupt)
    timer.join()
    assert time.monotonic() - started < 30  # generous: a loaded machine


@pytest.mark.parametrize("endless", [math.inf, np.float32("inf"), Decimal("inf")], ids=repr)
def test_an_infinite_timeout_of_any_type_means_no_deadline(
    fake_clock: FakeClock, endless: Any
) -> None:
    job = FakeBackend().run(script=[Hold(R, seconds=7200)])
    job.wait_for_final_state(timeout=endless, wait=3600)
    assert fake_clock.monotonic() == 7200


def test_a_backoff_takes_any_real_numbers() -> None:
    policy = Backoff(initial=Fraction(1, 4), multiplier=np.float64(2), maximum=Decimal(1))  # type: ignore[arg-type]
    assert list(itertools.islice(policy.delays(), 4)) == [0.25, 0.5, 0.25, 1.0]
