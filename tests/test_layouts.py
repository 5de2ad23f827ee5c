"""What every layout tells its drivers (issue 23): the same of the same wait.

A driver (:mod:`jobv1._blocking`, :mod:`jobv1.aio`) reads of a wait's
loop only what :class:`jobv1._requests.Layout` says: its clock, deadline,
interrupt and bound on queries in flight. Each layout is made here from the
same checked wait and must say the same.
"""

from __future__ import annotations

import concurrent.futures
from typing import Any

import pytest

from jobv1 import FutureJob, Interrupt, JobStatus, _choose, _options
from jobv1._arguments import Checked
from jobv1._futurewait import FutureWait
from jobv1._plain import Plain
from jobv1._polling import Poller
from jobv1._polling import general as general_loop
from jobv1.testing import FakeBackend, FakeClock, Hold


def _checked(jobs: list[Any], interrupt: Interrupt) -> Checked[Any]:
    return _options.check_many(
        jobs,
        timeout=5.0,
        poll=1.0,
        on_status=None,
        retry=None,
        interrupt=interrupt,
        max_in_flight=3,
        rate_limit=None,
    )


def test_every_layout_tells_its_drivers_the_same_of_one_wait(fake_clock: FakeClock) -> None:
    fake_clock.advance(7.0)
    interrupt = Interrupt()
    polled = [FakeBackend().run(script=[Hold(JobStatus.RUNNING)]) for _ in range(2)]
    futures = [FutureJob(None, f"f{n}", concurrent.futures.Future[int]()) for n in range(2)]
    plain, futurewait = (
        _choose.layout(_checked(polled, interrupt)),
        _choose.layout(_checked(futures, interrupt)),
    )
    general = general_loop(_checked(polled, interrupt))
    assert (type(plain), type(futurewait), type(general)) == (Plain, FutureWait, Poller)
    layouts: list[Any] = [plain, futurewait, general]
    seen = {
        (layout.clock, layout.deadline, layout.interrupt, layout.max_in_flight)
        for layout in layouts
    }
    assert seen == {(fake_clock, 12.0, interrupt, 3)}
    assert [layout.interrupted() for layout in layouts] == [False] * 3
    interrupt.set()
    assert [layout.interrupted() for layout in layouts] == [True] * 3


@pytest.mark.parametrize("timeout", [None, 0.0])
def test_a_layout_without_a_deadline_says_none(fake_clock: FakeClock, timeout: Any) -> None:
    futures = [FutureJob(None, f"f{n}", concurrent.futures.Future[int]()) for n in range(2)]
    checked = _options.check_many(
        futures,
        timeout=timeout,
        poll=1.0,
        on_status=None,
        retry=None,
        interrupt=None,
        max_in_flight=8,
        rate_limit=None,
    )
    layout = _choose.layout(checked)
    assert layout.deadline == (None if timeout is None else fake_clock.monotonic())
    assert layout.interrupt is None
    assert not layout.interrupted()
