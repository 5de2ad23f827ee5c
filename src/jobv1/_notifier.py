"""``Notifier``: one push channel of a provider, heard by every wait on its backend's jobs.

Services that push (a websocket, server-sent events, webhooks, a message
queue) deliver every job's events on one channel. A provider gives its
backend a :class:`Notifier` (``backend.notifier``) and has the channel's
reader call :meth:`Notifier.notify` with a job's id, from any thread or
event loop. Every wait on that backend's jobs, blocking or ``aio``, then
treats them as event-driven: after a query that finds a job not final it
does not poll it, but asks it again as soon as it is notified, and every
``resync`` seconds all the same, in case the channel lost its event. While
the channel is down (:meth:`Notifier.down`), the waits poll those jobs by
their policy as they would any other; :meth:`Notifier.up` hands them back
to the channel.

A notification for a job no wait is on is remembered, the newest
``remember`` of them: a wait that begins later on that job asks it at once
(as it would anyway) and the job's last status stays readable through
:meth:`Notifier.status_of`, so a provider's ``status()`` can answer from
the channel without a request.
"""

from __future__ import annotations

import math

from ._checks import real
from ._status import JobStatus, as_status
from ._typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["Notifier", "notifier_of"]


class Notifier:
    """A provider's push channel, as the waits on its backend's jobs hear it.

    Give it to a backend as ``backend.notifier``; the channel's reader calls
    :meth:`notify` for each event. It is safe to use from any thread, and
    from an event loop: :meth:`notify`, :meth:`down` and :meth:`up` never
    block on a wait, and each does O(1) work per job they name.

    Args:
        resync: Every how many seconds a wait asks a notified job all the
            same, in case the channel lost an event: finite seconds ``> 0``.
            No wait notices an end that the channel dropped later than this.
            It is the pace of every job on the backend (a job's own
            ``resync_interval`` is for its own :meth:`~jobv1.JobV1.watch`).
        remember: How many notifications for jobs no wait is on are kept,
            the newest (and each job's last status, for :meth:`status_of`):
            an int ``>= 0``.

    Raises:
        TypeError: ``resync`` is not a number, ``remember`` not an int.
        ValueError: ``resync`` is not finite and ``> 0``, or ``remember < 0``.
    """

    __slots__ = ("_lock", "_remembered", "_up", "_waiters", "remember", "resync")

    def __init__(self, *, resync: float = 60.0, remember: int = 10_000) -> None:
        seconds = real("resync", resync)
        if not (0 < seconds < math.inf):
            raise ValueError(f"resync must be finite seconds > 0, got {resync!r}")
        if isinstance(remember, bool) or not isinstance(remember, int):
            raise TypeError(f"remember must be an int, not {remember!r}")
        if remember < 0:
            raise ValueError(f"remember must be >= 0, got {remember!r}")
        import threading  # only a provider with a push channel pays for it

        #: Every how many seconds a wait asks a notified job all the same.
        self.resync = seconds
        #: How many notifications for jobs no wait is on are kept, at most.
        self.remember = remember
        self._lock = threading.Lock()
        # The wake-ups of the waits on each job, by its id.
        self._waiters: dict[str, list[Callable[[], object]]] = {}
        # The last status notified for each job, the newest ``remember`` of them (a dict
        # keeps its order of insertion: the oldest goes first).
        self._remembered: dict[str, JobStatus | None] = {}
        self._up = True

    @property
    def is_up(self) -> bool:
        """``True`` while the channel is up: the waits rely on it, and resync at its pace."""
        return self._up

    def notify(self, job_id: str, status: object = None) -> None:
        """The channel says job ``job_id`` changed (to ``status``, if given): wake its waits.

        Args:
            job_id: The job's id, as its ``job_id()`` gives it.
            status: Its new status, jobv1's or Qiskit's ``JobStatus`` or a
                status's name, if the channel says; else ``None``.

        Raises:
            TypeError: ``job_id`` is not a str, or ``status`` no status.
        """
        if not isinstance(job_id, str):
            raise TypeError(f"job_id must be a str, not {job_id!r}")
        told = None if status is None else as_status(status)
        if told is None and isinstance(status, str):  # a status's name, as services send it
            told = JobStatus.__members__.get(status)
        if status is not None and told is None:
            raise TypeError(f"status must be a JobStatus or None, not {status!r}")
        with self._lock:
            remembered = self._remembered
            remembered.pop(job_id, None)  # the newest goes last
            remembered[job_id] = told
            if len(remembered) > self.remember:
                del remembered[next(iter(remembered))]
            waiters = self._waiters.get(job_id)
            woken = list(waiters) if waiters else ()
        for wakeup in woken:
            wakeup()

    def status_of(self, job_id: str) -> JobStatus | None:
        """The last status the channel gave for job ``job_id``, if remembered; else ``None``."""
        with self._lock:
            return self._remembered.get(job_id)

    def down(self) -> None:
        """The channel is down: every wait polls the jobs by its policy until :meth:`up`.

        Each job a wait is on is asked at once, so that none waits for an
        event that will not come.
        """
        with self._lock:
            self._up = False
            woken = [wakeup for waiters in self._waiters.values() for wakeup in waiters]
        for wakeup in woken:
            wakeup()

    def up(self) -> None:
        """The channel is up again: the waits rely on it once more, with its resync."""
        self._up = True

    def watch(self, job_id: str, wakeup: Callable[[], object]) -> Callable[[], None]:
        """Have ``wakeup()`` called when job ``job_id`` is notified; return what undoes it.

        The waits call it for each job they are on. A notification
        remembered for the job calls ``wakeup()`` at once.
        """
        with self._lock:
            self._waiters.setdefault(job_id, []).append(wakeup)
            remembered = job_id in self._remembered

        def undo() -> None:  # once or more: the second time finds nothing to undo
            with self._lock:
                waiters = self._waiters.get(job_id)
                if waiters is not None and wakeup in waiters:
                    waiters.remove(wakeup)
                    if not waiters:
                        del self._waiters[job_id]

        if remembered:
            wakeup()
        return undo

    def __repr__(self) -> str:
        state = "up" if self._up else "down"
        return f"<Notifier {state}: resync={self.resync:g} s, {len(self._waiters)} jobs watched>"


def notifier_of(backend: object) -> Notifier | None:
    """The notifier ``backend`` declares as ``notifier``, if any.

    Raises:
        TypeError: ``notifier`` is not a :class:`Notifier`.
    """
    notifier = getattr(backend, "notifier", None)
    if notifier is None or isinstance(notifier, Notifier):
        return notifier
    raise TypeError(f"notifier of {backend!r} must be a jobv1.Notifier or None, not {notifier!r}")
