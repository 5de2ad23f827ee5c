"""A live progress display for waits: the successor to Qiskit's removed ``job_monitor``.

:class:`Monitor` is a state-change hook: pass it as ``on_status`` to any wait.
On a terminal it keeps one line up to date: the job's id, status, time since
it was first seen, and its queue position when the job can tell it; for many
jobs, a summary line. Written to a file or a pipe, it prints one line per
change instead. It needs nothing beyond the standard library.
"""

from __future__ import annotations

import math
import sys
import threading
from typing import TYPE_CHECKING, Any, TextIO

from ._clock import current_clock
from ._interop import as_job
from ._policy import Backoff, as_policy
from ._status import JOB_FINAL_STATES, JobStatus

if TYPE_CHECKING:
    from types import TracebackType

    from ._protocols import PollPolicy

__all__ = ["Monitor", "job_monitor"]


#: Seconds between two ``queue_position()`` calls for a job whose status has not changed:
#: each may be a request to the service.
POSITION_EVERY = 30.0


def _queue_position(job: Any) -> str | None:
    """What to show of the job's ``queue_position()``, if it has one: never an error.

    A display must not end the wait it decorates: a position that cannot be
    read is shown as such, with the reason, instead of raising.
    """
    method = getattr(job, "queue_position", None)
    if not callable(method):
        return None
    try:
        position = method()
    except Exception as error:  # shown, not raised: see above
        return f"queue position unavailable ({type(error).__name__})"
    if position is None:
        return None
    if isinstance(position, int) and not isinstance(position, bool):
        return f"queue position {position}"
    if isinstance(position, float) and position.is_integer():
        return f"queue position {int(position)}"
    return f"queue position unreadable ({_printable(repr(position))})"


def _printable(text: str) -> str:
    """``text`` with its control characters escaped.

    A remote service chooses job ids, and a terminal obeys the escape
    sequences written to it.
    """
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


class Monitor:
    """Shows the progress of waits, as a state-change hook.

    Use it as ``on_status=monitor`` with any wait, and, for a line that
    refreshes its elapsed time at every query, as ``callback=monitor.callback``
    with :meth:`~jobv1.JobV1.wait_for_final_state`. It is a context
    manager: leaving the block ends a line still being updated.

    Args:
        output: Where to write; by default :data:`sys.stdout`. If it is a
            terminal (``isatty()``), one line is kept up to date; otherwise
            each change is a line of its own.
        quiet: Write nothing at all.

    Raises:
        TypeError: ``output`` has no ``write()``, or ``quiet`` is not a bool.
    """

    def __init__(self, output: TextIO | None = None, *, quiet: bool = False) -> None:
        stream = sys.stdout if output is None else output
        if not callable(getattr(stream, "write", None)):
            raise TypeError(f"output must be a text stream with write(), not {output!r}")
        if not isinstance(quiet, bool):
            raise TypeError(f"quiet must be a bool, not {quiet!r}")
        isatty = getattr(stream, "isatty", None)
        self._output = stream
        self._quiet = quiet
        self._live = bool(callable(isatty) and isatty())
        self._lock = threading.Lock()
        # Keyed by the job itself (its id(), with the job kept alive in _jobs): two
        # backends' jobs may share an id string, and are two lines all the same.
        self._jobs: dict[int, Any] = {}
        self._started: dict[int, float] = {}
        self._statuses: dict[int, JobStatus] = {}
        self._positions: dict[int, str | None] = {}
        self._asked: dict[int, float] = {}  # when queue_position() was last called
        # Kept as the statuses change, so that a line costs the same for any number of jobs.
        self._counts: dict[JobStatus, int] = {}
        self._unfinished = 0
        self._first = math.inf  # when the first job was seen
        self._width = 0

    def __repr__(self) -> str:
        display = "quiet" if self._quiet else "live" if self._live else "lines"
        return f"<Monitor {display}: {len(self._jobs)} jobs, {self._unfinished} not final>"

    def __call__(self, job: Any, status: JobStatus) -> None:
        """Record that ``job`` is now in ``status``, and show it."""
        self._update(job, status, changed=True)

    def callback(self, job_id: str, status: JobStatus, job: Any) -> None:
        """Refresh the line after a query, with the signature of a wait's ``callback``."""
        self._update(job, status, changed=status is not self._statuses.get(id(job)))

    def _update(self, job: Any, status: JobStatus, *, changed: bool) -> None:
        now = current_clock().monotonic()
        key = id(job)
        position = self._positions.get(key)
        if status is not JobStatus.QUEUED:
            position = None
        elif changed or now - self._asked.get(key, -math.inf) >= POSITION_EVERY:
            self._asked[key] = now
            position = _queue_position(job)
        with self._lock:
            self._jobs[key] = job
            if key not in self._started:
                self._started[key] = now
                self._first = min(self._first, now)
            self._count(self._statuses.get(key), -1)
            self._count(status, 1)
            self._statuses[key] = status
            self._positions[key] = position
            if self._quiet:
                return
            if self._live:
                self._redraw(now)
            elif changed:
                self._output.write(self._describe(key, now) + "\n")
                self._output.flush()

    def _count(self, status: JobStatus | None, change: int) -> None:
        if status is None:
            return
        count = self._counts.get(status, 0) + change
        if count:
            self._counts[status] = count
        else:
            del self._counts[status]
        if status not in JOB_FINAL_STATES:
            self._unfinished += change

    def _describe(self, key: int, now: float) -> str:
        elapsed = now - self._started[key]
        job_id = _printable(str(self._jobs[key].job_id()))
        text = f"{job_id}: {self._statuses[key].name} · {elapsed:.1f} s"
        position = self._positions[key]
        return text if position is None else f"{text} · {position}"

    def _redraw(self, now: float) -> None:
        if len(self._statuses) == 1:
            line = self._describe(next(iter(self._statuses)), now)
        else:
            counts = self._counts
            parts = ", ".join(f"{counts[s]} {s.name}" for s in JobStatus if s in counts)
            line = f"{len(self._statuses)} jobs: {parts} · {now - self._first:.1f} s"
        self._output.write("\r" + line.ljust(self._width))
        self._width = len(line)
        if not self._unfinished:
            self._end_line()
        self._output.flush()

    def _end_line(self) -> None:
        self._output.write("\n")
        self._width = 0

    def close(self) -> None:
        """End the line being kept up to date, if any."""
        with self._lock:
            if self._width:  # only a live, not quiet, monitor draws lines
                self._end_line()
                self._output.flush()

    def __enter__(self) -> Monitor:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def job_monitor(
    job: Any,
    interval: float | PollPolicy | None = None,
    quiet: bool = False,
    output: TextIO | None = None,
    *,
    timeout: float | None = None,
) -> None:
    """Wait for ``job`` to be final, showing its progress with a :class:`Monitor`.

    Args:
        job: The job to follow: a jobv1 job, a Qiskit job, or any job
            :func:`~jobv1.as_job` takes.
        interval: Seconds between status queries, or a policy; by default
            :class:`~jobv1.Backoff`.
        quiet: Show nothing; just wait.
        output: Where to write; by default :data:`sys.stdout`.
        timeout: Seconds to wait at most; ``None`` for no limit.

    Raises:
        JobTimeoutError: The job was not final by the deadline.
        TypeError: An argument is of the wrong type.
        ValueError: An argument is out of range.
    """
    policy = Backoff() if interval is None else as_policy("interval", interval)
    with Monitor(output, quiet=quiet) as monitor:
        as_job(job).wait_for_final_state(timeout, policy, monitor.callback, on_status=monitor)
