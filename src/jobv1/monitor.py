"""A live progress display for waits: the successor to Qiskit's removed ``job_monitor``.

:class:`Monitor` is a state-change hook: pass it as ``on_status`` to any wait.
On a terminal it keeps one line up to date: the job's id, status, time since
it was first seen, and its queue position when the job can tell it; for many
jobs, a summary line. Written to a file or a pipe, it prints one line per
change instead. It needs nothing beyond the standard library.
"""

from __future__ import annotations

import itertools
import math
import os
import sys
import threading
from typing import TYPE_CHECKING, Any, TextIO

from ._checks import real, renamed
from ._clock import current_clock, waited
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

#: How many of the jobs that have waited longest a line about many jobs names.
LONGEST = 2


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
    manager: inside the block a live line also ticks every ``refresh``
    seconds, and leaving it ends a line still being updated.

    On a terminal the line is cut to the terminal's width, so that it never
    wraps, and it names the jobs that have waited longest. Lines of your own
    go through :meth:`print`, which writes them above the live line. In a
    Jupyter notebook (IPython's kernel, with ``output`` left to
    :data:`sys.stdout`) the line is one output updated in place. A stream
    that cannot encode ``·`` gets ``-``. A display that fails (a closed
    stream, a full disk) stops displaying, with a warning on the ``jobv1``
    logger: it never ends the wait it decorates.

    Args:
        output: Where to write; by default :data:`sys.stdout`. If it is a
            terminal (``isatty()``), one line is kept up to date; otherwise
            each change is a line of its own.
        quiet: Write nothing at all.
        refresh: Seconds between two redraws of a live line while jobs are
            pending, inside the ``with`` block; ``None`` (or ``math.inf``)
            redraws on changes only.

    Raises:
        TypeError: ``output`` has no ``write()``, ``quiet`` is not a bool,
            or ``refresh`` is not a number.
        ValueError: ``refresh`` is not a number of seconds ``> 0``.
    """

    def __init__(
        self, output: TextIO | None = None, *, quiet: bool = False, refresh: float | None = 1.0
    ) -> None:
        stream = sys.stdout if output is None else output
        if not callable(getattr(stream, "write", None)):
            raise TypeError(f"output must be a text stream with write(), not {output!r}")
        if not isinstance(quiet, bool):
            raise TypeError(f"quiet must be a bool, not {quiet!r}")
        if refresh is not None:
            seconds = real("refresh", refresh)
            if seconds <= 0:
                raise ValueError(f"refresh must be a number of seconds > 0, got {refresh!r}")
            refresh = None if seconds == math.inf else seconds
        isatty = getattr(stream, "isatty", None)
        self._output = stream
        self._quiet = quiet
        self._refresh = refresh
        self._live = bool(callable(isatty) and isatty())
        # In a notebook: the display to update in place, once the first line is shown.
        self._notebook = not self._live and output is None and _in_a_notebook()
        self._shown: Any = None
        self._encoding = _encoding_of(stream)
        self._dot = "·" if _can_encode("·", self._encoding) else "-"
        self._lock = threading.RLock()
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
        # The jobs not final, in the order they were first seen: the first have waited longest.
        self._pending: dict[int, None] = {}
        self._first = math.inf  # when the first job was seen
        self._width = 0
        self._failed: BaseException | None = None  # what stopped the display, if anything
        self._ticking: threading.Event | None = None

    def __repr__(self) -> str:
        display = (
            "quiet"
            if self._quiet
            else "live"
            if self._live
            else "notebook"
            if self._notebook
            else "lines"
        )
        return f"<Monitor {display}: {len(self._jobs)} jobs, {self._unfinished} not final>"

    def __call__(self, job: Any, status: JobStatus) -> None:
        """Record that ``job`` is now in ``status``, and show it."""
        self._update(job, status, changed=True)

    def callback(self, job_id: str, status: JobStatus, job: Any) -> None:
        """Refresh the line after a query, with the signature of a wait's ``callback``."""
        self._update(job, status, changed=status is not self._statuses.get(id(job)))

    def print(self, *values: object, sep: str = " ") -> None:
        """Write a line of your own, as :func:`print` would, above the live line.

        The live line is cleared, the text written, and the line drawn again
        below it: the two never share a row. Without a live line the text is
        simply written.
        """
        text = sep.join(str(value) for value in values)
        with self._lock:
            if self._quiet or self._failed is not None:
                return
            if self._width:
                self._write("\r" + " " * self._width + "\r" + text + "\n")
                self._width = 0
                self._redraw(current_clock().monotonic())
            else:
                self._write(text + "\n")

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
            if status in JOB_FINAL_STATES:
                self._pending.pop(key, None)
            else:
                self._pending[key] = None  # kept where it was first put
            if self._quiet or self._failed is not None:
                return
            if self._live:
                self._redraw(now)
            elif self._notebook:
                self._show(self._line(now))
            elif changed:
                self._write(self._describe(key, now) + "\n")

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
        text = f"{self._name(key)}: {self._statuses[key].name} {self._dot} {elapsed:.1f} s"
        position = self._positions[key]
        return text if position is None else f"{text} {self._dot} {position}"

    def _name(self, key: int) -> str:
        return _printable(str(self._jobs[key].job_id()))

    def _line(self, now: float) -> str:
        """The line that sums the jobs up now: one job's own, or the counts of many."""
        if len(self._statuses) == 1:
            return self._describe(next(iter(self._statuses)), now)
        counts = self._counts
        parts = ", ".join(f"{counts[s]} {s.name}" for s in JobStatus if s in counts)
        line = f"{len(self._statuses)} jobs: {parts} {self._dot} {now - self._first:.1f} s"
        longest = list(itertools.islice(self._pending, LONGEST))
        if longest:
            names = ", ".join(self._name(key) for key in longest)
            more = ", ..." if len(self._pending) > LONGEST else ""
            line += f" {self._dot} waiting longest: {names}{more}"
        return line

    def _redraw(self, now: float) -> None:
        # Cut to the terminal's cells, not characters: a line that wraps repeats.
        line, cells = _cut(self._line(now), _columns(self._output) - 1)
        self._write("\r" + line + " " * (self._width - cells), end=not self._unfinished)
        self._width = 0 if not self._unfinished else cells

    def _show(self, line: str) -> None:
        """Show ``line`` in the notebook's one output, updated in place."""
        from IPython.display import display

        data = {"text/plain": line}
        if self._shown is None:
            self._shown = display(data, raw=True, display_id=True)
        else:
            self._shown.update(data, raw=True)

    def _write(self, text: str, *, end: bool = False) -> None:
        """Write ``text`` (and end the line, with ``end``); a failure stops the display."""
        if self._failed is not None:
            return
        if self._encoding is not None:
            text = text.encode(self._encoding, "backslashreplace").decode(self._encoding)
        try:
            self._output.write(text + "\n" if end else text)
            self._output.flush()
        except (OSError, ValueError) as error:  # a closed stream, a full disk, ...
            self._failed = error
            from ._observe import logger

            logger().warning("the monitor stopped displaying: %r", error)

    def tick(self) -> None:
        """Redraw the live line now, with its elapsed time brought up to date."""
        with self._lock:
            if self._live and self._width and self._failed is None:
                self._redraw(current_clock().monotonic())

    def close(self) -> None:
        """End the line being kept up to date, if any, and stop its ticking."""
        ticking, self._ticking = self._ticking, None
        if ticking is not None:
            ticking.set()
        with self._lock:
            if self._width:  # only a live, not quiet, monitor draws lines
                self._width = 0
                self._write("\n")

    def __enter__(self) -> Monitor:
        if self._live and not self._quiet and self._refresh is not None:
            stop = self._ticking = threading.Event()
            refresh = self._refresh

            def ticker() -> None:
                while not waited(stop.wait, refresh):
                    self.tick()

            threading.Thread(target=ticker, name="jobv1-monitor", daemon=True).start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _in_a_notebook() -> bool:
    """Whether this runs in a Jupyter kernel (IPython is imported and has one)."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def _encoding_of(stream: object) -> str | None:
    """The encoding the stream writes with, if it says, and it is one Python knows."""
    encoding = getattr(stream, "encoding", None)
    return encoding if isinstance(encoding, str) and _can_encode("", encoding) else None


def _can_encode(text: str, encoding: str | None) -> bool:
    if encoding is None:
        return True
    try:
        text.encode(encoding)
    except (LookupError, UnicodeEncodeError):
        return False
    return True


def _cut(text: str, cells: int) -> tuple[str, int]:
    """``text`` cut to at most ``cells`` terminal cells, and the cells it takes.

    A wide character (East Asian wide or full-width: most CJK) takes two
    cells; a combining one takes none and stays with the character before.
    """
    if text.isascii():  # the common case: a cell a character
        line = text[:cells]
        return line, len(line)
    import unicodedata

    taken = 0
    for index, char in enumerate(text):
        width = (
            0
            if unicodedata.combining(char)
            else 2
            if unicodedata.east_asian_width(char) in ("W", "F")
            else 1
        )
        if taken + width > cells:
            return text[:index], taken
        taken += width
    return text, taken


def _columns(stream: object) -> int:
    """The width of the terminal ``stream`` writes to; 80 if it cannot say."""
    try:
        return os.get_terminal_size(stream.fileno()).columns or 80  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError):  # not a real terminal: a test's stand-in
        return 80


#: How :func:`job_monitor` paces its queries when not told.
_DEFAULT_POLL = Backoff()


def job_monitor(
    job: Any,
    interval: float | PollPolicy | None = None,
    quiet: bool = False,
    output: TextIO | None = None,
    *,
    timeout: float | None = None,
    poll: float | PollPolicy = _DEFAULT_POLL,
) -> None:
    """Wait for ``job`` to be final, showing its progress with a :class:`Monitor`.

    Args:
        job: The job to follow: a jobv1 job, a Qiskit job, or any job
            :func:`~jobv1.as_job` takes.
        interval: The old name of ``poll``, deprecated (Qiskit's name; it
            still works, with a :class:`DeprecationWarning`).
        quiet: Show nothing; just wait.
        output: Where to write; by default :data:`sys.stdout`.
        timeout: Seconds to wait at most; ``None`` for no limit.
        poll: Seconds between status queries, or a policy; by default
            :class:`~jobv1.Backoff`.

    Raises:
        JobTimeoutError: The job was not final by the deadline.
        TypeError: An argument is of the wrong type.
        ValueError: An argument is out of range.
    """
    policy = as_policy("poll", renamed("interval", interval, "poll", poll, _DEFAULT_POLL))
    with Monitor(output, quiet=quiet) as monitor:
        as_job(job).wait_for_final_state(timeout, policy, monitor.callback, on_status=monitor)
