"""``Backend``: what a job needs of the backend it runs on."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from ._job import JobV1

__all__ = ["Backend"]


@runtime_checkable
class Backend(Protocol):
    """The minimal backend: a name, and a way to run something as a job.

    Any object with these two members is a ``Backend``; ``isinstance`` checks
    for them. Qiskit's backends satisfy it.
    """

    @property
    def name(self) -> str:
        """The backend's name."""

    def run(self, run_input: Any, /, **options: Any) -> JobV1[Any]:
        """Start running ``run_input`` and return its job at once."""
