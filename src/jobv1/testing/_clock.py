"""``FakeClock``: virtual time for waits."""

from __future__ import annotations

import math
import threading
import weakref
from typing import TYPE_CHECKING

from .._checks import check_seconds, real
from .._clock import install, uninstall

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import TracebackType

    from .._protocols import Wakeup

__all__ = ["FakeClock"]

#: How many sleeps in a row may leave virtual time where it is before one raises:
#: a wait that polls with no delay would otherwise never reach its deadline.
STALLED_SLEEPS = 10_000
#: A sleep that moves the time by less than this leaves it where it was, for that
#: count: no clock sleeps so finely, and a wait that polls every 1e-200 s near 0
#: moves the time, but would take longer than the universe to reach its deadline.
STILL = 1e-9


class FakeClock:
    """A virtual monotonic clock: sleeping advances it at once, nothing really sleeps.

    Use it as a context manager to make waits run on it, or take the
    ``fake_clock`` pytest fixture, which does that for one test. An
    hour-long wait then takes milliseconds, and a test can assert at what
    virtual time each status query happened.

    Inside the ``with`` block it serves the thread that entered the block
    and every thread that thread starts inside it (their pools' workers
    included, and the threads those start), but not the threads that were
    already running nor those other threads start: a real wait elsewhere in
    the process keeps the real clock, and a test in another thread its own
    clock. ``process_wide=True`` makes it serve every thread.

    Time never goes backwards: :meth:`advance` refuses a negative step. It is
    safe to use from many threads; each sleep advances the one shared time,
    so waits in several threads on one clock move it for each other.

    A query that a wait runs on its worker threads takes the time it sleeps
    on the clock (a fake service that sleeps before it answers, say), and
    such queries sleep side by side: the time moves, while the wait waits
    for them, to the end of the first sleep, once every one of them is
    asleep or done (as trio's autojump moves time once every task is
    blocked). So the wait gives up those still asleep at its deadline, and
    carries a round's slow ones over, as it does on the system's clock, at
    exact virtual times. A query that is neither asleep nor done holds the
    time still: a query that blocks for real makes its wait wait for it.
    :meth:`advance` is no sleep: it moves the time for everybody at once.

    Virtual time moves only when something sleeps, so a wait that polls with
    no delay (``wait=0``, or a delay under a nanosecond, which no clock
    sleeps, and which may not even change the time) would
    never reach its deadline: after 10,000 sleeps in a row that leave the
    time where it was, :meth:`sleep` raises ``RuntimeError`` saying so.

    Args:
        start: The time :meth:`monotonic` reads at first.
        process_wide: Serve every thread of the process inside the block.

    Raises:
        TypeError: ``start`` is not a real number, or ``process_wide`` not a
            bool.
        ValueError: ``start`` is not finite.
    """

    def __init__(self, start: float = 0.0, *, process_wide: bool = False) -> None:
        now = real("start", start)
        if math.isinf(now):
            raise ValueError(f"start must be finite, got {start!r}")
        if not isinstance(process_wide, bool):
            raise TypeError(f"process_wide must be a bool, not {process_wide!r}")
        self._now = now
        self._lock = threading.Lock()
        self._process_wide = process_wide
        self._stalled = 0  # sleeps in a row that left the time where it was
        # Whether it was ever read, slept on or moved: then it is in use, entered or not.
        self._used = False
        #: Signalled whenever a query's share changes state (see :meth:`_settle`).
        self._changed = threading.Condition(self._lock)
        self._shares: dict[int, _Share] = {}  # by the worker thread that runs each
        self._expected: dict[int, int] = {}  # by id of run: its shares not begun yet
        self._busy = 0  # shares counted and awake: the time holds still for them
        self._sleepers: list[_Sleeper] = []
        self._waiters: list[_Waiter] = []
        # Shares of queries woken together that wait to move the time on (advance()).
        self._moving: set[_Share] = set()
        self._released = False  # its block ended: a query's sleep no longer waits
        _UNENTERED[self] = threading.get_ident()

    def monotonic(self) -> float:
        """The current virtual time in seconds."""
        self._used = True
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        """Move the time forward by ``seconds``.

        It moves the time for everybody at once, as a test does, from any
        thread: a query a wait runs on a worker thread that advances the
        clock (rather than sleeping on it) is never given up for it, nor
        carried over; the wait sees the time it moved once the query ends.

        Raises:
            TypeError: ``seconds`` is not a real number.
            ValueError: ``seconds`` is negative, infinite or NaN.
        """
        step = check_seconds("seconds", seconds)
        self._used = True
        with self._lock:
            # The time moves on from where the queries woken with this one leave it.
            self._others_settled(self._shares.get(threading.get_ident()))
            before = self._now
            self._move_to(before + step)
            if self._now != before:
                self._stalled = 0

    def sleep(self, seconds: float, wakeup: Wakeup | None = None) -> bool:
        """Advance by ``seconds`` at once, unless ``wakeup`` is already set.

        Nothing else moves in virtual time while a sleep lasts, so a wake-up
        that is not already set when the sleep starts cannot cut it short.
        A query a wait runs on a worker thread sleeps beside the others
        instead, until the time reaches its end (see the class).

        Returns:
            Whether ``wakeup`` is set.

        Raises:
            TypeError: ``seconds`` is not a real number.
            ValueError: ``seconds`` is negative, infinite or NaN.
            RuntimeError: This is the 10,001st sleep in a row that leaves
                the time where it was: a wait polling with no delay, which
                would never reach its deadline in virtual time.
        """
        step = check_seconds("seconds", seconds)
        self._used = True
        if wakeup is not None and wakeup.is_set():
            return True
        share = self._shares.get(threading.get_ident())
        if share is not None:
            self._sleep_in(share, step)
            return wakeup is not None and wakeup.is_set()
        with self._lock:
            before = self._now
            self._move_to(before + step)
            self._stalled = self._stalled + 1 if self._now - before < STILL else 0
            if self._stalled > STALLED_SLEEPS:
                self._stalled = 0
                raise RuntimeError(
                    f"virtual time stood still at {before!r} through {STALLED_SLEEPS} sleeps "
                    f"in a row (the last of {seconds!r} s): a wait that polls with no delay "
                    "never reaches its deadline on a FakeClock; poll with a delay that moves "
                    "the time"
                )
        return wakeup is not None and wakeup.is_set()

    # -- queries that take time: the waits' side (jobv1._clock.wait_until, Run.start)

    def _expect(self, run: object, shares: int) -> None:
        """``shares`` workers will run ``run``'s queries: the time holds still until each has."""
        with self._lock:
            self._expected[id(run)] = self._expected.get(id(run), 0) + shares
            self._busy += shares

    def _run_share(self, run: object, share: Callable[[], None]) -> None:
        """Run a worker's ``share`` of ``run``'s queries: its sleeps are the queries' time."""
        me = threading.get_ident()
        mine = _Share(run)
        with self._lock:
            expected = self._expected.pop(id(run), 0)
            if expected:  # counted as busy since it was expected
                if expected > 1:
                    self._expected[id(run)] = expected - 1
            else:  # the wait stopped waiting for it before it began
                mine.counted = False
            self._shares[me] = mine
        try:
            share()
        finally:
            with self._lock:
                del self._shares[me]
                if mine.counted:
                    self._busy -= 1
                self._settle()

    def _let_go(self, run: object) -> None:
        """The wait stopped waiting for ``run``: its queries awake no longer hold the time."""
        with self._lock:
            self._busy -= self._expected.pop(id(run), 0)
            for share in self._shares.values():
                if share.run is run and share.counted and not share.woken:
                    share.counted = False  # awake as it began: it may be blocked for real
                    self._busy -= 1
            self._settle()

    def _wait_for(
        self,
        end: float | None,
        ring: Callable[[], object],
        waking: Callable[[], bool],
        *,
        jumps: bool = True,
    ) -> Callable[[], bool]:
        """A wait waits, until ``end`` (``None``: no end), for its queries: the time may move.

        While it waits (and ``waking()`` says it is not waking already), and
        no query is awake, the time moves to the first end of a query's
        sleep, or to ``end``: there ``ring()`` is called, once; so it is when
        something else moves the time to ``end``. With ``jumps=False`` the
        time never moves by itself for this wait (its queries run where the
        clock cannot see them asleep): it is only rung.

        Returns:
            What the wait calls once it stopped waiting: it says whether it rang.
        """
        waiter = _Waiter(end, ring, waking, jumps)
        with self._lock:
            self._waiters.append(waiter)
            self._settle()

        def done() -> bool:
            with self._lock:
                self._waiters.remove(waiter)
                # The queries woken where the time is answer there, before the wait looks.
                self._changed.wait_for(self._none_woken)
            return waiter.rang

        return done

    def _sleep_in(self, share: _Share, seconds: float) -> None:
        """A query's sleep: until the time reaches its end, moved by the others or by waits."""
        if not seconds or self._released:  # a query left running after the block ends
            return
        with self._lock:
            sleeper = _Sleeper(self._now + seconds, share)
            self._sleepers.append(sleeper)
            share.woken = False
            if share.counted:
                share.counted = False
                self._busy -= 1
            self._settle()
        sleeper.awake.wait()

    def _wake_due(self) -> list[_Share]:
        """Wake the sleeps whose end has come; they hold the time until they sleep or end."""
        now = self._now
        due = [sleeper for sleeper in self._sleepers if sleeper.end <= now]
        if not due:
            return []
        self._sleepers = [sleeper for sleeper in self._sleepers if sleeper.end > now]
        for sleeper in due:  # asleep, it was not counted
            sleeper.share.woken = sleeper.share.counted = True
            self._busy += 1
            sleeper.awake.set()
        return [sleeper.share for sleeper in due]

    def _ring_due(self) -> None:
        """Ring the waits whose end has come, once no query is awake (the lock held)."""
        if self._busy:  # a query awake may still answer at this time: the waits wait for it
            return
        now = self._now
        for waiter in self._waiters:
            if waiter.rang or waiter.waking():
                continue
            if waiter.end is not None and waiter.end <= now:
                waiter.rang = True
                waiter.ring()

    def _move_to(self, target: float) -> None:
        """Move the time to ``target`` (lock held), through the ends of the queries' sleeps.

        First the queries woken where the time is answer there; then, at each
        end, the sleeps that end there wake, and this waits for them to sleep
        again or end, before the time moves on.
        """
        mine = self._shares.get(threading.get_ident())  # a query that advances the clock

        def others_settled() -> bool:
            return self._settled_but(mine)

        self._others_settled(mine)
        while True:
            ends = [sleeper.end for sleeper in self._sleepers if sleeper.end <= target]
            if not ends:
                break
            self._now = max(self._now, min(ends))
            self._wake_due()
            self._changed.wait_for(others_settled)
            self._ring_due()
        self._now = max(self._now, target)
        self._ring_due()
        self._settle()

    def _others_settled(self, mine: _Share | None) -> None:
        """Wait (the lock held) until no query woken by the time, but ``mine``, is awake.

        Queries woken together that each move the time on (:meth:`advance`)
        wait here for one another: each lets the others go first while it
        waits; the first to get the lock moves the time, the next once that
        query is done, from where the time is then.
        """
        if mine is not None:
            self._moving.add(mine)
            self._changed.notify_all()  # a query that waited for this one may go first now
        try:
            self._changed.wait_for(lambda: self._settled_but(mine))
        finally:
            self._moving.discard(mine)

    def _settled_but(self, mine: _Share | None) -> bool:
        """Whether no query woken by the time is awake (the lock held) but ``mine``.

        Nor one that waits to move the time on: it goes after (:meth:`_others_settled`).
        """
        moving = self._moving
        shares = self._shares.values()
        return not any(s.woken for s in shares if s is not mine and s not in moving)

    def _none_woken(self, besides: _Share | None = None) -> bool:
        """Whether no query woken by the time, but ``besides``, is still awake (the lock held)."""
        return not any(share.woken for share in self._shares.values() if share is not besides)

    def _settle(self) -> None:
        """With the lock held, after any change: move the time if every query is asleep."""
        self._changed.notify_all()
        while not self._busy:
            waiting = [w for w in self._waiters if w.jumps and not w.rang and not w.waking()]
            if not waiting:
                return
            if self._wake_due():
                return
            if any(w.end is not None and w.end <= self._now for w in waiting):
                self._ring_due()
                return
            ends = [sleeper.end for sleeper in self._sleepers]
            ends += [w.end for w in waiting if w.end is not None]
            if not ends:
                return
            self._now = max(self._now, min(ends))
            self._stalled = 0

    def _release(self) -> None:
        """The block ends: every query still asleep wakes where the time is, and sleeps no more."""
        with self._lock:
            self._released = True
            for sleeper in self._sleepers:
                sleeper.awake.set()
            self._sleepers = []

    def __enter__(self) -> FakeClock:
        install(self, process_wide=self._process_wide)
        _UNENTERED.pop(self, None)
        self._released = False
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        uninstall(self)
        self._release()

    def __repr__(self) -> str:
        with self._lock:  # not monotonic(): a repr does not put the clock to use
            return f"FakeClock(now={self._now!r})"


class _Share:
    """A worker's share of a wait's queries, on a FakeClock."""

    __slots__ = ("counted", "run", "woken")

    def __init__(self, run: object) -> None:
        self.run = run
        #: Whether the time holds still for it: awake in a run waited for, or woken.
        self.counted = True
        #: Whether the time woke it from a sleep, and it has not slept again since.
        self.woken = False


class _Sleeper:
    """A query's sleep on a FakeClock: until the time reaches ``end``."""

    __slots__ = ("awake", "end", "share")

    def __init__(self, end: float, share: _Share) -> None:
        self.end = end
        self.share = share
        self.awake = threading.Event()


class _Waiter:
    """A wait waiting for its queries on a FakeClock: see ``FakeClock._wait_for``."""

    __slots__ = ("end", "jumps", "rang", "ring", "waking")

    def __init__(
        self, end: float | None, ring: Callable[[], object], waking: Callable[[], bool], jumps: bool
    ) -> None:
        self.end = end
        self.ring = ring
        self.waking = waking
        self.jumps = jumps
        self.rang = False


#: The FakeClocks made and never entered, with the thread that made each: a
#: fake job submitted in that thread on the system's clock, while one of them
#: was never used either (read, slept on, moved), was meant to run on it.
_UNENTERED: weakref.WeakKeyDictionary[FakeClock, int] = weakref.WeakKeyDictionary()


def unentered() -> FakeClock | None:
    """A FakeClock that this thread made and never entered nor used, if one is still alive."""
    me = threading.get_ident()
    made = list(_UNENTERED.items())
    return next((clock for clock, maker in made if maker == me and not clock._used), None)
