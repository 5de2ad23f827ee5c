"""What the plain loop's queries answered, read in the jobs' order: hooks, listeners, failures.

:class:`Answers` is :class:`~jobv1._reading.Reader`'s twin for the loop of
plain polled jobs (:mod:`jobv1._plain`): it reads one job's answer by its
index, tells ``on_status`` and the listeners, and notes a job found final.
A job's own failure (its query raised, or it answered what is not a
status) ends that job alone in ``ERROR``, as the general loop's reader
does with ``own_failures``: the plain loop runs only waits on many jobs,
which all keep each job's failure its own.
"""

from __future__ import annotations

from ._observe import failed
from ._requests import shielded
from ._status import JOB_FINAL_STATES, JobStatus
from ._typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from ._observe import Observer
    from ._workers import Sweep

__all__ = ["Answers"]

J = TypeVar("J")

_DONE, _CANCELLED, _ERROR = JOB_FINAL_STATES


class Answers(Generic[J]):
    """Reads each answer of a plain wait's jobs, by the job's index.

    Args:
        jobs: The wait's jobs, by index.
        read: Reads an answer that is not a jobv1 :class:`JobStatus` as one,
            or raises ``TypeError`` or ``ValueError``.
        on_status: Called as ``on_status(job, status)`` once for each
            distinct status a job is seen in; or ``None``.
    """

    __slots__ = ("_jobs", "_on_status", "_read", "_seen", "ended", "failures", "observer")

    def __init__(
        self,
        jobs: list[J],
        read: Callable[[Any, object], JobStatus],
        on_status: Callable[[Any, JobStatus], object] | None,
    ) -> None:
        self._jobs = jobs
        self._read = read
        self._on_status = None if on_status is None else shielded("on_status", on_status)
        # The last status each job was seen in, where on_status wants to know.
        self._seen: list[JobStatus | None] = [] if on_status is None else [None] * len(jobs)
        #: The indices of the jobs found final in the round under way.
        self.ended: set[int] = set()
        #: The failure that ended each job, by the job's ``id()``.
        self.failures: dict[int, Exception] = {}
        #: Who listens to the wait (the jobv1 logger, a span), once it starts; if anyone.
        self.observer: Observer | None = None

    def seen(self, pending: list[int]) -> dict[int, JobStatus]:
        """The status each job of ``pending`` was last told in, by the job's id."""
        jobs, seen = self._jobs, self._seen
        return {id(jobs[i]): status for i in pending if seen and (status := seen[i]) is not None}

    def untold(self) -> bool:
        """Whether nobody is told of each answer: no ``on_status``, and nobody listening."""
        return self._on_status is None and self.observer is None

    def found(self, index: int, answer: object, finished: list[tuple[J, JobStatus]]) -> None:
        """Job ``index`` answered ``answer``: tell ``on_status``, and note it if it is final."""
        job: Any = self._jobs[index]
        if type(answer) is JobStatus:
            status = answer
        else:
            try:
                status = self._read(job, answer)
            except (TypeError, ValueError) as bad:  # not a status
                self.failed(index, bad, finished)
                return
        if self.observer is not None:
            self.observer.queried(job.job_id(), status, 1)
        if self._on_status is not None and status is not self._seen[index]:
            self._seen[index] = status
            self._on_status(job, status)
        if status is _DONE or status is _CANCELLED or status is _ERROR:
            self.ended.add(index)
            finished.append((job, status))

    def failed(self, index: int, failure: Exception, finished: list[tuple[J, JobStatus]]) -> None:
        """Job ``index``'s query raised ``failure``, or answered what is not a status: it ends."""
        job: Any = self._jobs[index]
        self.failures[id(job)] = failure
        failed(self.observer, job.job_id(), failure)
        if self._on_status is not None and self._seen[index] is not _ERROR:
            self._seen[index] = _ERROR
            self._on_status(job, _ERROR)
        self.ended.add(index)
        finished.append((job, _ERROR))

    def news(
        self, sweep: Sweep, due: list[int], read: set[int], finished: list[tuple[J, JobStatus]]
    ) -> None:
        """Read the answers worth it that came while ``sweep`` runs on, into ``finished``.

        An eager wait's (:meth:`~jobv1._blocking.Driven.reads_early`): those
        the driver told of, as they came, and not ``read`` yet (added to it);
        ``due`` gives each job's index by its place in the sweep. The rest of
        the round's answers are read in the jobs' order when it ends.
        """
        from ._workers import FAILED

        for k in sweep.news[len(read) : sweep.told]:
            read.add(k)
            answer = sweep.answers[k]
            if answer is FAILED:
                self.failed(due[k], sweep.failures[k], finished)
            else:
                self.found(due[k], answer, finished)

    def late(
        self, given_up: list[tuple[Sweep, int, int]], finished: list[tuple[J, JobStatus]]
    ) -> list[tuple[Sweep, int, int]]:
        """Read the answers come since of the queries ``given_up`` (or carried), into ``finished``.

        Each is the sweep that made it, its place there, and its job's index.
        A query that raised ends its job, as in its own round.

        Returns:
            Those still running, for a later look.
        """
        from ._workers import FAILED, UNASKED

        running = []
        for sweep, k, index in given_up:
            answer = sweep.answers[k]
            if answer is UNASKED:
                running.append((sweep, k, index))
            elif answer is FAILED:
                self.failed(index, sweep.failures[k], finished)
            elif sweep.answered(k):  # else never asked after all
                self.found(index, answer, finished)
        return running
