"""Shared helpers for the test suite; the fixtures come from jobv1's own pytest plugin.

``driver`` (with :func:`waited` and :func:`completed`) runs a test under both
drivers, the blocking waits and their ``aio`` twins, as one suite over both.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import settings

import jobv1
from jobv1 import DoneAndNotDone, JobStatus, JobV1, _choose, aio
from jobv1.testing import FakeClock

pytest_plugins = ["pytester"]

# Virtual time makes every example fast, but a loaded machine (CI, coverage) can still
# stretch one past hypothesis' default 200 ms deadline: time is not what these tests check.
settings.register_profile("jobv1", deadline=None, print_blob=True)
# scripts/mutation runs the suite once per mutant: the same examples each time (a mutant's
# verdict must not depend on the draw) and fewer of them, saved nowhere
# (pyproject.toml's tool.mutmut passes --hypothesis-profile=mutation).
settings.register_profile(
    "mutation", settings.get_profile("jobv1"), derandomize=True, max_examples=30, database=None
)
settings.load_profile("jobv1")


def examples(count: int) -> int:
    """An explicit ``max_examples`` of ``count``, scaled as the profile loaded scales hypothesis'.

    ``count`` under the default 100 examples a test; so 30% of it under the
    mutation profile. Called as a test module is imported, after pytest
    loaded the profile it was given.
    """
    return max(1, count * settings().max_examples // 100)


class ScriptedJob(JobV1):
    """A job whose status() answers a fixed list of statuses, then repeats the last one."""

    def __init__(self, statuses: list[Any], job_id: str = "scripted") -> None:
        super().__init__(None, job_id)
        self._statuses = list(statuses)
        self.queries = 0

    def submit(self) -> None:
        """Nothing to submit."""

    def status(self) -> JobStatus:
        self.queries += 1
        if len(self._statuses) > 1:
            return self._statuses.pop(0)  # type: ignore[no-any-return]
        return self._statuses[0]  # type: ignore[no-any-return]

    def result(self) -> None:
        """No result."""


@pytest.fixture(params=["plain", "general"])
def loop(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Runs a test on each loop a blocking wait on plain polled jobs may take.

    ``wait`` and ``as_completed`` take their own loop (``jobv1._plain``) when
    every job is a plainly polled ``JobV1``; ``"general"`` makes them take
    the general one all the same.
    """
    if request.param == "general":
        monkeypatch.setattr(_choose, "plain_fits", lambda jobs, kinds: False)
    return request.param  # type: ignore[no-any-return]


class Recorder(FakeClock):
    """A FakeClock that notes each sleep in a shared log, the wake-up too if ``wakeups``.

    With ``scale``, each sleep moves the clock ``scale`` times the seconds
    asked: a stand-in for a ``time.sleep`` that ends early or late.
    """

    def __init__(
        self, log: list[tuple[Any, ...]], *, wakeups: bool = False, scale: float = 1.0
    ) -> None:
        super().__init__()
        self.log = log
        self._wakeups = wakeups
        self._scale = scale

    def sleep(self, seconds: float, wakeup: Any = None) -> bool:
        note = ("sleep", self.monotonic(), seconds)
        self.log.append((*note, wakeup) if self._wakeups else note)
        return super().sleep(seconds * self._scale, wakeup)


class Listening:
    """The ``jobv1`` logger at DEBUG for a ``with`` block, each record noted in ``log``.

    A record is noted as ``("log", message, its jobv1 fields, the clock's time)``,
    so that two runs of a wait can be compared record for record; with
    ``listen=False`` the block changes nothing.
    """

    def __init__(self, log: list[tuple[Any, ...]], clock: Any, *, listen: bool = True) -> None:
        import logging

        self.listen = listen
        self.logger = logging.getLogger("jobv1")
        self.log = log
        self.clock = clock
        outer = self

        class Noting(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                fields = sorted((k, v) for k, v in vars(record).items() if k.startswith("jobv1_"))
                outer.log.append(("log", record.getMessage(), fields, outer.clock.monotonic()))

        self.handler = Noting()
        self.level = self.logger.level

    def __enter__(self) -> Listening:
        if self.listen:
            self.logger.addHandler(self.handler)
            self.logger.setLevel("DEBUG")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.listen:
            self.logger.removeHandler(self.handler)
            self.logger.setLevel(self.level)


def unheard(log: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """``log`` without what :class:`Listening` noted: what a wait did, heard or not."""
    return [entry for entry in log if entry[0] != "log"]


@pytest.fixture(params=["blocking", "asyncio"])
def driver(request: pytest.FixtureRequest) -> str:
    """Runs a test under each driver: the blocking waits, and the ``aio`` ones."""
    return request.param  # type: ignore[no-any-return]


def waited(driver: str, jobs: list[Any], **options: Any) -> DoneAndNotDone[Any]:
    """``wait`` under ``driver``."""
    if driver == "blocking":
        return jobv1.wait(jobs, **options)
    return asyncio.run(aio.wait(jobs, **options))


def completed(driver: str, jobs: list[Any], **options: Any) -> list[Any]:
    """Every job ``as_completed`` yields under ``driver``, in order."""
    if driver == "blocking":
        return list(jobv1.as_completed(jobs, **options))

    async def take() -> list[Any]:
        return [job async for job in aio.as_completed(jobs, **options)]

    return asyncio.run(take())
