"""The status queries a wait gave up while they ran: one job never has two in flight.

A wait that ends at its deadline (or on an interrupt) leaves a query still
running on a worker thread to finish by itself. Without a record of it, the
next wait on the same job would start another, and a ``status()`` stuck on
a dead connection would gather one more call, and one more thread, with
every wait. So each query given up is noted here, by the job as the caller
gave it, until its answer comes: meanwhile a wait does not ask that job
again (at its deadline, the job counts as asked), and asks it as usual once
the query has ended.

Nothing is kept per job otherwise, and a wait looks here only while some
query is noted (:data:`noted` is empty in the common case); a query is
forgotten once it has ended (:func:`prune`).
"""

from __future__ import annotations

import _thread
import time

from ._typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["busy", "give_up", "noted", "prune", "settle"]

#: Seconds between two looks at a query given up, while :func:`settle` waits for it.
SETTLE_SECONDS = 0.005

#: The queries given up and maybe still running, by the id of the job as given:
#: the job itself (which keeps its id its own), the sequence the query's
#: answer comes into, its place there, and what stands there until it does.
noted: dict[int, tuple[object, Sequence[object], int, object]] = {}
_lock = _thread.allocate_lock()


def give_up(job: object, answers: Sequence[object], place: int, unanswered: object) -> None:
    """A wait gave up the query of ``job`` whose answer comes into ``answers[place]``.

    ``unanswered`` is what stands there until the answer does.
    """
    with _lock:
        noted[id(job)] = (job, answers, place, unanswered)


def _running(found: tuple[object, Sequence[object], int, object]) -> bool:
    _, answers, place, unanswered = found
    return answers[place] is unanswered


def busy(job: object) -> bool:
    """Whether a query of ``job`` that a wait gave up is still running."""
    found = noted.get(id(job))
    return found is not None and _running(found)


def prune() -> bool:
    """Forget the queries given up that have ended since; return whether any still runs.

    A wait calls it at each round while :data:`noted` is not empty: a query
    that ended is forgotten even if no wait asks its job again, and the job
    with it.
    """
    with _lock:
        for key in [key for key, found in noted.items() if not _running(found)]:
            del noted[key]
        return bool(noted)


def settle(job: object) -> None:
    """Block until no query of ``job`` that a wait gave up is running.

    What runs next on the job (a ``cancel()`` after a wait timed out) then
    never overlaps its ``status()``, as it never does where the query ran in
    the waiting thread. It looks every :data:`SETTLE_SECONDS`, on the real
    clock: a query runs in real time, whatever clock the wait read.
    """
    while busy(job):
        time.sleep(SETTLE_SECONDS)
