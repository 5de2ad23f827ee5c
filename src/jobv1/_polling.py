"""The one poll loop behind every wait: one job or many, one deadline, exact.

The loop knows nothing of job classes: it polls anything :class:`Pollable`.
It keeps, for each job still pending, when the job is next due for a status
query, and sleeps until the earliest of those times or the deadline, whichever
comes first. It never sleeps past the deadline: it sleeps up to the deadline,
queries every pending job once more there, and then raises
:class:`~jobv1.JobTimeoutError` at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Protocol

from ._errors import JobTimeoutError
from ._status import JOB_FINAL_STATES, JobStatus

if TYPE_CHECKING:
    from ._clock import Clock
    from ._policy import PollPolicy

__all__ = ["Pollable", "Poller", "check_status"]


class Pollable(Protocol):
    """What the loop needs of a job."""

    def job_id(self) -> str:
        """The job's id, for messages and callbacks."""

    def status(self) -> JobStatus:
        """One status query."""

    def poll_hint(self, status: JobStatus) -> float | None:
        """Seconds the service asks to let pass before the next query, or ``None``."""


Callback = Callable[[str, JobStatus, Pollable], object]
StatusHook = Callable[[Pollable, JobStatus], object]


def check_status(job: Pollable, status: object) -> JobStatus:
    """Return ``status`` if it is a :class:`JobStatus`; else raise ``TypeError`` naming the job."""
    if not isinstance(status, JobStatus):
        raise TypeError(
            f"status() of job {job.job_id()!r} returned {status!r}, which is not a JobStatus"
        )
    return status


def _hint(job: Pollable, status: JobStatus) -> float | None:
    hint = job.poll_hint(status)
    if hint is None:
        return None
    if isinstance(hint, bool) or not isinstance(hint, (int, float)) or not 0 <= hint < float("inf"):
        raise ValueError(
            f"poll_hint() of job {job.job_id()!r} returned {hint!r}; "
            "it must be None or a finite number of seconds >= 0"
        )
    return float(hint)


def _next_delay(policy: PollPolicy, delays: Iterator[float]) -> float:
    try:
        delay = next(delays)
    except StopIteration:
        raise ValueError(f"poll policy {policy!r} ran out of delays") from None
    if (
        isinstance(delay, bool)
        or not isinstance(delay, (int, float))
        or not 0 <= delay < float("inf")
    ):
        raise ValueError(
            f"poll policy {policy!r} gave the delay {delay!r}; "
            "delays must be finite numbers of seconds >= 0"
        )
    return float(delay)


class _Entry:
    """The loop's record of one pending job."""

    __slots__ = ("delays", "due", "job", "status")

    def __init__(self, job: Pollable, delays: Iterator[float], due: float) -> None:
        self.job = job
        self.delays = delays
        self.due = due
        self.status: JobStatus | None = None


class Poller:
    """One wait over a set of jobs, with one deadline.

    Iterate it to get each job as it reaches a final state; the iteration
    ends when every job has, and raises :class:`~jobv1.JobTimeoutError` at
    the deadline if some have not.

    Args:
        jobs: The jobs, each once.
        clock: Where the time comes from.
        timeout: Seconds from now to the deadline; ``None`` for none; ``<= 0``
            for one query of each job and no sleep.
        policy: Paces the queries of each job, where the job gives no hint.
        callback: Called as ``callback(job_id, status, job)`` after each
            non-final query, except a query at or after the deadline.
        on_status: Called as ``on_status(job, status)`` once for each distinct
            status a job is seen in, the final one included.
    """

    def __init__(
        self,
        jobs: Iterable[Pollable],
        *,
        clock: Clock,
        timeout: float | None,
        policy: PollPolicy,
        callback: Callback | None = None,
        on_status: StatusHook | None = None,
    ) -> None:
        self._clock = clock
        self._policy = policy
        self._callback = callback
        self._on_status = on_status
        self.timeout = timeout
        now = clock.monotonic()
        self._deadline = None if timeout is None else now + timeout
        self.pending = [_Entry(job, iter(policy.delays()), now) for job in jobs]
        self._iterator = self._run()

    def __iter__(self) -> Iterator[Pollable]:
        return self._iterator

    def _run(self) -> Iterator[Pollable]:
        clock = self._clock
        deadline = self._deadline
        at_deadline = False
        while self.pending:
            now = clock.monotonic()
            due = [e for e in self.pending if at_deadline or e.due <= now]
            waiting: list[tuple[_Entry, JobStatus]] = []
            for entry in due:
                status = check_status(entry.job, entry.job.status())
                if status is not entry.status:
                    entry.status = status
                    if self._on_status is not None:
                        self._on_status(entry.job, status)
                if status in JOB_FINAL_STATES:
                    self.pending.remove(entry)
                    yield entry.job
                else:
                    waiting.append((entry, status))
            if not self.pending:
                return
            if deadline is not None and (at_deadline or clock.monotonic() >= deadline):
                raise self._timeout_error()
            if self._callback is not None:
                for entry, status in waiting:
                    self._callback(entry.job.job_id(), status, entry.job)
            now = clock.monotonic()
            for entry, status in waiting:
                hint = _hint(entry.job, status)
                entry.due = now + (
                    _next_delay(self._policy, entry.delays) if hint is None else hint
                )
            wake = min(e.due for e in self.pending)
            if deadline is not None and wake >= deadline:
                wake, at_deadline = deadline, True
            clock.sleep(max(0.0, wake - now))

    def _timeout_error(self) -> JobTimeoutError:
        if len(self.pending) == 1:
            entry = self.pending[0]
            what = f"job {entry.job.job_id()!r} did not reach a final state"
            last = f" (last status: {entry.status.name})" if entry.status else ""
        else:
            what = f"{len(self.pending)} jobs did not reach a final state"
            last = ""
        return JobTimeoutError(f"{what} within the timeout of {self.timeout!r} s{last}")
