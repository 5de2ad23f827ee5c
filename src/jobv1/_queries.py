"""How a general wait asks its jobs: a record per job, asked alone or in batches.

:class:`Entry` is the general loop's record of a pending job, and is its
own query when the job is asked alone; :func:`groups` gathers the jobs due
together into the batches their backends take; :func:`ask_of` makes the
:class:`~jobv1._requests.Ask` a driver runs for a part of a round.
"""

from __future__ import annotations

from ._pacing import hint_of
from ._requests import Ask
from ._traits import is_async
from ._typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterator, Sequence
    from typing import Any, Union

    from ._limit import RateLimit
    from ._notifier import Notifier
    from ._protocols import Clock
    from ._requests import Answer, Answers
    from ._retry import Retry, Tries
    from ._status import JobStatus
    from ._traits import Pollable

    #: Answers the statuses of several jobs in one request, in their order.
    Batch = Callable[[Sequence[Pollable]], Sequence[JobStatus]]
    #: Says, for a job, which :data:`Batch` can query it along with others, and
    #: how many jobs that batch takes at most (``None``: any number); or ``None``.
    BatchOf = Callable[[Pollable], Union[tuple[Batch, Union[int, None]], None]]  # noqa: UP007
    #: A query of a round: an entry asked alone, or a batch and the entries it asks.
    Request = Union["Entry[J]", tuple[Batch, list["Entry[J]"]]]  # noqa: UP007

#: The jobs as the caller gave them: the loop queries them, or the views ``adapt`` makes.
J = TypeVar("J")

__all__ = ["Entry", "ask_of", "asked", "groups"]


def _batch_query(
    jobs: list[Pollable], batch: Batch, hinted: list[bool], clock: Clock
) -> Callable[[], Answers]:
    """The query of ``jobs`` by one call of ``batch``, asking the ``hinted`` ones for hints."""

    def query() -> Answers:
        answers = batch(jobs)
        if hasattr(answers, "__await__"):  # an async def job_statuses(), called from a thread
            raise not_awaited(jobs[0], answers)
        return _answered(jobs, list(answers), hinted, clock)

    return query


def _batch_awaited(
    jobs: list[Pollable], batch: Batch, hinted: list[bool], clock: Clock
) -> Callable[[], Awaitable[Answers]]:
    """:func:`_batch_query` for an ``async def job_statuses()``: awaited by an asyncio driver."""

    async def query() -> Answers:
        return _answered(jobs, list(await batch(jobs)), hinted, clock)  # type: ignore[misc]

    return query


def _answered(
    jobs: list[Pollable], answers: list[object], hinted: list[bool], clock: Clock
) -> Answers:
    """A batch's ``answers``, the ``hinted`` jobs' hints, and when they came."""
    # A batch that answers too few or too many statuses is refused by the loop.
    hints = [
        hint_of(job, answer) if wanted else None
        for job, answer, wanted in zip(jobs, answers, hinted, strict=False)
    ]
    return answers, hints, clock.monotonic()


def not_awaited(job: Pollable, answer: Any) -> TypeError:
    """The ``TypeError`` for the awaitable a blocking wait's batch query got; it is closed."""
    close = getattr(answer, "close", None)
    if callable(close):
        close()
    return TypeError(
        f"job_statuses() of the backend of job {job.job_id()!r} returned an awaitable "
        f"({type(answer).__name__}): only the jobv1.aio waits await an async def "
        "job_statuses(); the blocking waits call it from threads with no event loop"
    )


#: What an entry's ``grouping`` is until it is asked for.
_UNKNOWN = object()


class Entry(Generic[J]):
    """The loop's record of one pending job."""

    __slots__ = (
        "answered",
        "asks",
        "awaited",
        "batch",
        "before",
        "began",
        "clock",
        "deadline",
        "delays",
        "event_driven",
        "grouping",
        "handle",
        "held",
        "hint",
        "hinted",
        "hurried",
        "index",
        "job",
        "limit",
        "long_poll",
        "notifier",
        "resync",
        "retry",
        "status",
        "step",
        "tries",
        "when",
    )

    def __init__(self, index: int, handle: J, job: Pollable, clock: Callable[[], float]) -> None:
        #: The job's place in the wait's list: rounds query in that order.
        self.index = index
        #: The job as the caller gave it: what hooks are given and the wait reports.
        self.handle = handle
        #: What the loop queries: the job itself, or its adapted view.
        self.job = job
        #: The policy's delays for this job, from its first non-final answer on,
        #: unless the wait draws them once for all jobs (then: how many it took).
        self.delays: Iterator[float] | None = None
        self.step = 0
        self.status: JobStatus | None = None
        #: The job's poll hint at its last query, as :func:`hint_of` gave it.
        self.hint: object = None
        #: Whether its ``poll_hint()`` may give hints: ``False`` for the base's.
        self.hinted = True
        #: The retry its backend declares (``status_retry``), if any: the caller's wins.
        self.retry: Retry | None = None
        #: Whether its last hint was under :data:`~jobv1._pacing.HINT_FLOOR`, taken as "now".
        self.hurried = False
        #: Whether its next query asks for its hint too.
        self.asks = False
        #: The wait's clock's ``monotonic``: a query says when it was answered.
        self.clock = clock
        #: The batch its last query went through, or ``None`` if it was asked alone.
        self.batch: Batch | None = None
        #: The rate limit its backend declares, if any.
        self.limit: RateLimit | None = None
        #: The failures of its queries since the last one that answered, if any.
        self.tries: Tries | None = None
        #: Whether the job calls back when it ends, instead of being polled.
        self.event_driven = False
        #: For an event-driven job: every how many seconds it is queried all
        #: the same, or ``None``.
        self.resync: float | None = None
        #: The push channel that wakes it (its backend's ``notifier``), if any: while
        #: the channel is down, the job is polled as any other.
        self.notifier: Notifier | None = None
        #: When it is next due, as last planned.
        self.when = 0.0
        #: When its last answer came, on the wait's clock: a hint counts from then.
        self.answered = 0.0
        #: Whether its ``status()`` is an ``async def``: an asyncio driver awaits
        #: :meth:`asked_async`; a blocking one calls the entry, and the answer is refused.
        self.awaited = False
        #: The batch that can query it with others and its largest size, or
        #: ``None``, once the wait's ``batch`` has said (:data:`BatchOf`).
        self.grouping: Any = _UNKNOWN
        #: The longest its ``status(wait=...)`` may be held (its class's
        #: ``status_long_poll``), or ``None``: it is asked with short queries.
        self.long_poll: float | None = None
        #: The wait's deadline, for a long-poll: none is held past it.
        self.deadline: float | None = None
        #: For a long-poll: when the last began, the status before it, and how long it
        #: could be held.
        self.began = 0.0
        self.before: JobStatus | None = None
        self.held = 0.0

    def __call__(self) -> Answer:
        """The job's query alone: its status, its poll hint if asked, and when they came.

        The entry is its own query, so that a round makes no object per job.
        """
        job = self.job
        long = self.long_poll is not None
        answer = job.status(wait=self._hold()) if long else job.status()  # type: ignore[call-arg]
        return answer, hint_of(job, answer) if self.asks else None, self.clock()

    async def asked_async(self) -> Answer:
        """The job's query, its ``status()`` an ``async def``, awaited: as a call of the entry."""
        job = self.job
        if self.long_poll is None:
            answer = await job.status()  # type: ignore[misc]
        else:
            answer = await job.status(wait=self._hold())  # type: ignore[call-arg,misc]
        return answer, hint_of(job, answer) if self.asks else None, self.clock()

    def _hold(self) -> float:
        """How long this long-poll may be held: the class's most, or the time left if less.

        Notes what the query began with, for :meth:`held_out`.
        """
        assert self.long_poll is not None
        self.began, self.before = self.clock(), self.status
        held = self.long_poll
        if self.deadline is not None:
            held = min(held, max(0.0, self.deadline - self.began))
        self.held = held
        return held

    def held_out(self) -> bool:
        """Whether its last long-poll brought news, or was held as long as it could be.

        Then the job is asked again at once. One that came back sooner with
        the status it had (a service that does not hold the query), or the
        job's first, whose status is news of nothing, is not: the job waits
        its policy's delay, as a job polled with short queries.
        """
        before = self.before
        return (before is not None and self.status is not before) or (
            self.answered - self.began >= self.held
        )


def asked(request: Request[J]) -> list[Entry[J]]:
    """The entries a request asks."""
    return [request] if isinstance(request, Entry) else request[1]


def ask_of(part: list[Request[J]], hints: bool, clock: Clock) -> Ask:
    """The :class:`Ask` for the queries of ``part``; with ``hints``, polled jobs give hints."""
    queries: list[Callable[[], Answers | Answer]] = []
    local: list[int] = []
    remote: list[int] = []
    awaited: dict[int, Callable[[], Awaitable[Answer]]] = {}
    for index, request in enumerate(part):
        if isinstance(request, Entry):
            event_driven = request.event_driven
            request.asks = hints and request.hinted and not event_driven
            queries.append(request)
            if request.awaited:
                awaited[index] = request.asked_async
        else:
            batch, entries = request
            hinted = [hints and entry.hinted and not entry.event_driven for entry in entries]
            jobs = [entry.job for entry in entries]
            queries.append(_batch_query(jobs, batch, hinted, clock))
            if is_async(batch):
                awaited[index] = _batch_awaited(jobs, batch, hinted, clock)
            event_driven = all(entry.event_driven for entry in entries)
        (local if event_driven else remote).append(index)
    return Ask(queries, local, remote, awaited=awaited)


def groups(due: list[Entry[J]], find: BatchOf | None) -> Iterator[Request[J]]:
    """The due jobs' requests: an entry asked alone, or a batch and the entries it asks.

    A group larger than its batch takes is split into batches it takes.
    ``find`` says, for a job, which batch can ask it (:data:`BatchOf`).
    """
    if find is None or len(due) < 2:
        yield from due
        return
    together: dict[Batch, tuple[int | None, list[Entry[J]]]] = {}
    for entry in due:
        found = entry.grouping
        if found is _UNKNOWN:  # asked once per job, the first time it is due with others
            found = entry.grouping = find(entry.job)
        if found is None:
            yield entry
        else:
            together.setdefault(found[0], (found[1], []))[1].append(entry)
    for batch, (largest, entries) in together.items():
        size = len(entries) if largest is None else largest
        for first in range(0, len(entries), size):
            chunk = entries[first : first + size]
            yield (batch, chunk) if len(chunk) > 1 else chunk[0]
