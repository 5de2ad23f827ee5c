"""Shared helpers for the test suite; the fixtures come from jobv1's own pytest plugin."""

from __future__ import annotations

from typing import Any

from hypothesis import settings

from jobv1 import JobStatus, JobV1

pytest_plugins = ["pytester"]

# Virtual time makes every example fast, but a loaded machine (CI, coverage) can still
# stretch one past hypothesis' default 200 ms deadline: time is not what these tests check.
settings.register_profile("jobv1", deadline=None, print_blob=True)
settings.load_profile("jobv1")


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
