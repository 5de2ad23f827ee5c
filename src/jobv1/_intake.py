"""The open end of an ``as_completed`` wait: jobs added while it runs, and a submission window.

A sweep submits more jobs than a service lets one user have pending. Given
``max_pending=N``, :func:`jobv1.as_completed` reads its jobs lazily: it
draws jobs as its first round begins until ``N`` are pending, and the next
one only when a job it waits on has ended. A generator such as ``(backend.run(c) for c in
circuits)`` thus submits each job when there is room for it. An element
may also be a :class:`Submit`, a submission the wait makes itself: when
the service refuses it for having too many jobs pending
(:class:`~jobv1.TooManyPendingError`, or what the caller names), the wait
keeps it, and submits it again once one of its own jobs has ended.

:meth:`jobv1.AsCompleted.add` puts a job made meanwhile into the wait, from
any thread. :class:`Intake` keeps both, and the general loop
(:class:`~jobv1._polling.Poller`) takes in what it gives at the start of
each round.
"""

from __future__ import annotations

import collections

from ._errors import TooManyPendingError
from ._requests import Call
from ._typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterator
    from typing import Any

    from ._requests import Step, Waker

__all__ = ["Intake", "Submit", "check_max_pending", "check_refused"]


class Submit:
    """A job to submit when a submission window has room: ``fn(*args, **kwargs)``.

    Given among the jobs of :func:`jobv1.as_completed` (or its ``aio``
    twin), it is called when the window has room, and the job it returns is
    waited on. Unlike a generator's submission, it can be made again: when
    it raises what the wait's ``refused`` names (by default
    :class:`~jobv1.TooManyPendingError`), the wait submits it again once
    one of its jobs has ended.

    Args:
        fn: Submits the job and returns it, as ``backend.run`` does.
        *args: Its positional arguments.
        **kwargs: Its keyword arguments.

    Raises:
        TypeError: ``fn`` is not callable.
    """

    __slots__ = ("args", "fn", "kwargs")

    def __init__(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> None:
        if not callable(fn):
            raise TypeError(f"fn must be callable, not {fn!r}")
        #: What submits the job.
        self.fn = fn
        #: Its positional arguments.
        self.args = args
        #: Its keyword arguments.
        self.kwargs = kwargs

    def __call__(self) -> Any:
        """Submit the job: ``fn(*args, **kwargs)``."""
        return self.fn(*self.args, **self.kwargs)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Submit):
            return NotImplemented
        return (self.fn, self.args, self.kwargs) == (other.fn, other.args, other.kwargs)

    __hash__ = None  # type: ignore[assignment]  # its arguments may not hash

    def __repr__(self) -> str:
        given = [repr(self.fn), *map(repr, self.args)]
        given += [f"{name}={value!r}" for name, value in self.kwargs.items()]
        return f"Submit({', '.join(given)})"


def check_max_pending(max_pending: object) -> int | None:
    """``max_pending``: ``None`` or an int ``>= 1``; else a ``TypeError`` or ``ValueError``."""
    if max_pending is None:
        return None
    if isinstance(max_pending, bool) or not isinstance(max_pending, int):
        raise TypeError(f"max_pending must be an int or None, not {max_pending!r}")
    if max_pending < 1:
        raise ValueError(f"max_pending must be at least 1, got {max_pending!r}")
    return max_pending


def check_refused(refused: object) -> Callable[[Exception], bool]:
    """``refused`` (an exception class, a tuple of them, or a predicate) as a predicate.

    Raises:
        TypeError: ``refused`` is none of these.
    """
    classes = refused if isinstance(refused, tuple) else (refused,)
    if classes and all(isinstance(each, type) and issubclass(each, Exception) for each in classes):
        return lambda error: isinstance(error, classes)
    if not isinstance(refused, (type, tuple)) and callable(refused):
        return lambda error: bool(refused(error))
    raise TypeError(
        "refused must be an exception class, a tuple of them, or a function of an "
        f"exception, not {refused!r}"
    )


def _called(call: Callable[[], object]) -> Generator[Step[Any], object, tuple[bool, Any]]:
    """Have the driver make ``call``: ``(True, its value)`` or ``(False, its exception)``."""
    outcome = yield Call(call)
    assert isinstance(outcome, tuple)  # as the drivers send it back
    return outcome


#: What :meth:`Intake._next` gives once the jobs given are all drawn.
_END = object()


class Intake:
    """What an open wait has yet to take in: the jobs added, and the window's jobs not drawn.

    Args:
        source: The jobs (or :class:`Submit` s) not drawn yet; ``None`` for none.
        max_pending: How many jobs may be pending at once, at most, before
            the next is drawn; ``None`` for no bound.
        refused: Whether a submission's failure is a refusal for too many
            jobs pending; ``None`` for a wait that makes no submission.
        check: Checks a job drawn or added, raising a ``TypeError`` if it
            is none.
    """

    __slots__ = (
        "_added",
        "_check",
        "_held",
        "_held_at",
        "_refused",
        "_source",
        "max_pending",
        "waker",
    )

    def __init__(
        self,
        source: Iterator[object] | None,
        max_pending: int | None,
        refused: Callable[[Exception], bool] | None,
        check: Callable[[object], object],
    ) -> None:
        self._source = source
        #: How many jobs may be pending at once, at most; ``None`` for no bound.
        self.max_pending = max_pending
        self._refused = refused
        self._check = check
        # The jobs added, from any thread (a deque's append and popleft are atomic).
        self._added: collections.deque[object] = collections.deque()
        # A submission refused, to make again once a job has ended; and how many
        # jobs had ended when it was refused.
        self._held: Submit | None = None
        self._held_at = 0
        #: Wakes the driver's sleep when a job is added; set once the wait runs.
        self.waker: Waker | None = None

    def add(self, job: object) -> None:
        """Add ``job`` to the wait, from any thread: it is taken in at its next round."""
        self._check(job)
        self._added.append(job)
        if self.waker is not None:
            self.waker.set()

    def drain(self) -> list[object]:
        """Take out the jobs added and not taken in: for a wait that ended before it took them."""
        added = self._added
        return [added.popleft() for _ in range(len(added))]

    def ready(self, pending: int, ended: int) -> bool:
        """Whether the window has jobs to draw now, into room it has.

        ``pending`` and ``ended`` are as :meth:`take` takes them. (A job
        added sets the waker, which ends the sleep this saves.)
        """
        if self.max_pending is not None and pending >= self.max_pending:
            return False
        if self._held is not None:
            return ended > self._held_at
        return self._source is not None

    def more(self) -> bool:
        """Whether anything is left to take in: jobs added, or jobs of the window not drawn."""
        return bool(self._added) or self._source is not None or self._held is not None

    def take(
        self, pending: int, ended: int, *, draw: bool
    ) -> Generator[Step[Any], object, list[object]]:
        """The jobs to take in now: those added, then those the window has room for.

        Args:
            pending: How many jobs the wait has pending.
            ended: How many of its jobs have ended so far: a refused
                submission is made again only once this grew.
            draw: Whether to draw from the window at all (not once the
                deadline has come: a job submitted then would not be waited on).

        Raises:
            Exception: What the jobs' iterator or a submission raised, but
                a refusal while other jobs are pending (a refusal with none
                pending is raised: no end would come to make room).
        """
        taken = self.drain()
        if not draw:
            return taken
        bound = self.max_pending
        while bound is None or pending + len(taken) < bound:
            held = self._held
            if held is not None:
                if ended <= self._held_at:
                    break  # no job has ended since it was refused
                item: object = held
                self._held = None
            elif self._source is None:
                break
            else:
                ok, drawn = yield from _called(self._next)
                if not ok:
                    raise drawn  # the iterator's own exception: the wait ends with it
                item = drawn
                if item is _END:
                    self._source = None
                    break
            if isinstance(item, Submit):
                ok, made = yield from _called(item)
                if not ok:
                    refused = self._refused is not None and self._refused(made)
                    if not refused or pending + len(taken) == 0:
                        raise made
                    self._held, self._held_at = item, ended
                    break
                item = made
            self._check(item)
            taken.append(item)
        return taken

    def _next(self) -> object:
        """The next element of the jobs given, or :data:`_END`."""
        assert self._source is not None  # asked for only while there is one
        return next(self._source, _END)


#: The default of ``refused=``: a provider's refusal for too many jobs pending.
REFUSED: tuple[type[Exception], ...] = (TooManyPendingError,)
