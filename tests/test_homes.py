"""Where jobv1's names say they live, and which hooks a job class keeps as the base's own.

Both are settled once, as jobv1 is imported (``tests/test_package.py`` checks
the outcome there); these run the same helpers on names made here.
"""

from __future__ import annotations

from typing import Any

import jobv1
from conftest import ScriptedJob
from jobv1 import JobStatus
from jobv1._traits import BASE, base, gives_hints, hints_of, watches, watches_of


def test_a_name_written_in_a_private_module_takes_the_public_one_as_its_home() -> None:
    class Private:
        """Written in a private module."""

    def function() -> None:
        """Written in a private module of a public one."""

    class Public:
        """Written in a public module: left as it is."""

    Private.__module__ = "jobv1._made"
    function.__module__ = "jobv1.part._made"
    Public.__module__ = "jobv1.aio"
    namespace: dict[str, object] = {
        "Private": Private,
        "function": function,
        "Public": Public,
        "number": 3,  # no __module__ at all
    }
    names = ["Private", "function", "Public", "number", "missing"]
    written = jobv1._at_home(namespace, names, "jobv1")
    assert written == {"Private": "jobv1._made", "function": "jobv1.part._made"}
    assert (Private.__module__, function.__module__) == ("jobv1", "jobv1")
    assert Public.__module__ == "jobv1.aio"


def test_a_hook_marked_as_the_bases_own_is_no_trait_of_the_class() -> None:
    """A class's ``poll_hint()`` or ``watch()`` marked so (a mixin's default) gives none."""

    class Kept(ScriptedJob):
        @base
        def poll_hint(self, status: JobStatus) -> float | None:
            return 1.0

        @base
        def watch(self, wakeup: Any) -> Any:
            return lambda: None

    assert getattr(Kept.poll_hint, BASE) is True
    job = Kept([JobStatus.DONE])
    traits = [gives_hints(job), hints_of(Kept), watches(job), watches_of(Kept)]
    assert traits == [False] * 4
    assert Kept.poll_hint(job, JobStatus.RUNNING) == 1.0  # marked, and kept as it was
