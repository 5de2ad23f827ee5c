"""What a wait's loop asks of its driver, and how a blocking driver runs queries.

A loop does no I/O itself: it is a generator that yields requests and is sent
their outcomes. :class:`Ask` asks for status queries, :class:`Sleep` for a
sleep that a waker may cut short, :class:`Breathe` for a moment for others
(the event loop); between them it yields the jobs that ended in a round.
:class:`Launch` asks for calls the loop laid out itself (a
:class:`~jobv1._workers.Run`). The blocking driver (:mod:`jobv1._blocking`)
carries the requests out in the caller's thread; :mod:`jobv1.aio` carries the
same requests out on an event loop. Any :class:`Layout` is driven by both.
"""

from __future__ import annotations

from ._typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Generator
    from typing import Any, Protocol, Union

    from ._interrupt import Interrupt
    from ._protocols import Clock
    from ._status import JobStatus
    from ._workers import Run

    #: What the query of several jobs at once gives back: the answers; for each
    #: the job's poll hint (what ``poll_hint()`` returned, a failure, or ``None``
    #: if not asked); and the time on the wait's clock when the answers came.
    Answers = tuple[list[object], list[object], float]
    #: What the query of one job gives back: its answer, its hint and when they came.
    Answer = tuple[object, object, float]
    #: What a driver sends back for each query of an :class:`Ask`: ``(True,
    #: answers)``, ``(False, the exception)``, ``None`` if it gave the query up
    #: while it ran (its outcome may still come, in the same list), or
    #: :data:`UNBEGUN` if it never began it.
    Outcome = Union[tuple[bool, Any], None, object]  # noqa: UP007

#: The jobs of a wait, as the caller gave them.
J = TypeVar("J")

__all__ = [
    "EARLY",
    "SLICE",
    "UNBEGUN",
    "Ask",
    "Breathe",
    "Call",
    "Launch",
    "Sleep",
    "StopIterationError",
    "outcome_of",
    "shielded",
    "unshielded",
]

#: What a driver sends back for a query of an :class:`Ask` that it never began
#: (the deadline or an interrupt came first).
UNBEGUN = object()
#: What a driver sends back for an eager :class:`Ask` or :class:`Launch` when
#: answers worth reading came while other queries of the same run still run
#: (:meth:`~jobv1._workers.Run.early`): the loop reads those, then yields the
#: same request again, and the driver goes on waiting for the rest.
EARLY = object()


class Ask:
    """A request to the driver: call each query and send back their :data:`Outcome` s, in order.

    A driver runs several queries at once, up to the wait's ``max_in_flight``;
    it may give up those still running at the deadline, or when the interrupt
    is set (:meth:`Poller.query_end`), and send ``None`` for them (their
    outcomes come into the same list later), and :data:`UNBEGUN` for those it
    never began.
    """

    __slots__ = ("awaited", "eager", "local", "queries", "remote", "run", "until")

    def __init__(
        self,
        queries: list[Callable[[], Answers | Answer]],
        local: list[int],
        remote: list[int],
        *,
        eager: bool = False,
        awaited: dict[int, Callable[[], Awaitable[Answer]]] | None = None,
    ) -> None:
        #: Status queries, or batch queries: each returns the statuses in order,
        #: and the ``poll_hint()`` of each job found pending, asked in the same
        #: thread right after its status, so that a driver that runs queries
        #: off its own thread runs the hints there too.
        self.queries = queries
        #: The indices of the queries whose every job is event-driven, whose
        #: ``status()`` is cheap and does not block: a driver runs them in place.
        self.local = local
        #: The indices of the others, in order.
        self.remote = remote
        #: Of those, the queries of jobs whose ``status()`` is an ``async def``, by
        #: index: what an asyncio driver awaits on its loop instead. A blocking
        #: driver runs them as the others, and the awaitable answer is refused.
        self.awaited = {} if awaited is None else awaited
        #: Whether the driver hands over the answers worth reading as they come
        #: (:data:`EARLY`), where other queries are still running.
        self.eager = eager
        #: From when the queries still running, all begun, are carried over
        #: (:meth:`~jobv1._workers.Run.carries`); ``None``: never.
        self.until: float | None = None
        #: The run of the remote queries, once a driver began it.
        self.run: Run | None = None

    def configure(self, run: Run) -> None:
        """Make ``run``, a driver's of the remote queries, tell the news and carry as asked."""
        run.eager = self.eager
        run.until = self.until

    def run_local(self) -> tuple[list[Outcome], list[int]]:
        """Run the local queries here; return the outcomes so far and the others' indices."""
        outcomes: list[Outcome] = [None] * len(self.queries)
        for index in self.local:
            outcomes[index] = outcome_of(self.queries[index])
        return outcomes, self.remote


class Launch:
    """A request to the driver: make the calls of ``run``; send back the indices never begun.

    The loop laid the calls out itself, in a :class:`~jobv1._workers.Run`
    (a :class:`~jobv1._workers.Sweep` of plain status queries, say), and
    reads their outcomes from it. They go to at most the wait's
    ``max_in_flight`` workers, given up at the deadline or the interrupt as
    :class:`Ask` says.
    """

    __slots__ = ("run",)

    def __init__(self, run: Run) -> None:
        self.run = run


class Breathe:
    """A request to the driver: let others run a moment (the event loop), then send back ``None``.

    The loop asks for it every :data:`SLICE` jobs of a long stretch of work
    (watching many jobs, reading a round's answers), so that an asyncio
    driver hands control back to its event loop; a blocking driver just
    goes on.
    """

    __slots__ = ()


#: How many jobs the loop sees to between two :class:`Breathe` requests.
SLICE = 1000


class Call:
    """A request to the driver: make one call of the caller's code; send back its outcome.

    An open wait draws its next job so (a generator's ``next()``, a
    :class:`~jobv1.Submit`'s submission): a blocking driver makes the call
    in its own thread, an asyncio driver on a worker thread, so that a
    provider's blocking submission never blocks the event loop. The outcome
    is ``(True, value)`` or ``(False, exception)``, as :func:`outcome_of`
    gives it.
    """

    __slots__ = ("call",)

    def __init__(self, call: Callable[[], object]) -> None:
        self.call = call


class Sleep:
    """A request to the driver: sleep ``seconds``, or until the waker is set; send back woken.

    ``seconds`` is infinite when every pending job is event-driven and there
    is no deadline: the sleep then lasts until the waker is set.
    """

    __slots__ = ("seconds",)

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds


if TYPE_CHECKING:
    #: What the loop yields to its driver: a request, or the list of the jobs
    #: that ended in a round, with their final statuses.
    Step = Union[Ask, Launch, Sleep, Breathe, Call, list[tuple[J, JobStatus]]]  # noqa: UP007

    class Waker(Protocol):
        """Wakes a driver's sleep, from any thread; :class:`threading.Event` is one."""

        def set(self) -> None:
            """Wake the sleep (or the next one, if none is under way)."""

        def clear(self) -> None:
            """Forget a wake-up that was not slept through yet."""

        def is_set(self) -> bool:
            """Whether a wake-up is pending."""

    class Layout(Protocol[J]):
        """A wait's loop, as its drivers see it: its requests and what they need to run them."""

        #: How many calls a driver may run at once.
        max_in_flight: int
        #: Stops the wait when set; ``None`` if the wait has none.
        interrupt: Interrupt | None

        @property
        def clock(self) -> Clock:
            """The clock the wait reads and sleeps on."""

        @property
        def deadline(self) -> float | None:
            """When the wait ends, on :attr:`clock`; ``None`` for no deadline."""

        def interrupted(self) -> bool:
            """Whether the wait's interrupt is set."""

        def reads_early(self) -> bool:
            """Whether answers are read as they come, and ``as_completed`` reads ahead."""

        def not_done(self) -> list[J]:
            """The jobs not seen in a final state yet, in their order."""

        def failure_of(self, job: J) -> Exception | None:
            """The failure of its own that ended ``job`` (``own_failures``), or ``None``."""

        def had(self) -> set[int]:
            """The ids of every job the wait has had: each counts once."""

        def seen(self) -> dict[int, JobStatus]:
            """The status each pending job was last told to ``on_status`` in, by its id.

            Empty if the wait has no ``on_status``: what a wait that takes the
            jobs over starts from, so that no status is told twice.
            """

        def steps(
            self, make_waker: Callable[[], Waker], *, blocking: bool = False
        ) -> Generator[Step[J], object, None]:
            """The loop, as requests to a driver.

            ``make_waker`` makes what the driver's sleeps wake on;
            ``blocking`` says whether the driver's thread may block on a
            query (the caller's thread does; an event loop's does not).
            """


class StopIterationError(RuntimeError):
    """Carries a ``StopIteration`` from a job's or a hook's code out of the loop.

    A generator, as the loop is, turns a ``StopIteration`` raised in it into a
    bare ``RuntimeError``; this one says where it came from and keeps it as its
    ``__cause__``. The blocking waits raise the ``StopIteration`` itself; an
    iterator (``as_completed``) or a coroutine cannot, and raises this.
    """

    def __init__(self, where: str, error: StopIteration) -> None:
        super().__init__(f"{where} raised StopIteration")
        self.__cause__ = error  # raised without "from": this is its cause


class _Shielded:
    """A function, with a ``StopIteration`` it raises carried as :class:`StopIterationError`.

    An object of two slots, not a closure (a function, a tuple and two
    cells): a wait on 100,000 event-driven jobs keeps one per job.
    """

    __slots__ = ("function", "where")

    def __init__(self, where: str, function: Callable[..., object]) -> None:
        self.where = where
        self.function = function

    def __call__(self, *args: object) -> object:
        try:
            return self.function(*args)
        except StopIteration as error:
            raise StopIterationError(self.where, error)  # noqa: B904 - it sets its cause


def shielded(where: str, function: Callable[..., object]) -> Callable[..., object]:
    """``function``, with a ``StopIteration`` it raises carried as :class:`StopIterationError`."""
    return _Shielded(where, function)


def unshielded(error: StopIterationError) -> BaseException:
    """The ``StopIteration`` that ``error`` carries, to be raised as itself."""
    cause = error.__cause__
    assert isinstance(cause, StopIteration)  # only ever made with one
    return cause


def outcome_of(query: Callable[[], object]) -> tuple[bool, Any]:
    """Run one query (or any call): ``(True, its value)``, or ``(False, the exception)``."""
    try:
        return True, query()
    except Exception as failure:  # handed to the loop, which raises it or rides it out
        return False, failure
