"""``Interrupt``: stop waits from another thread."""

from __future__ import annotations

from ._typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Protocol

    class _Settable(Protocol):
        def set(self) -> None: ...


__all__ = ["Interrupt"]


class Interrupt:
    """A switch that stops, from any thread, every wait it was given to.

    Pass it as ``interrupt=`` to a wait; calling :meth:`set` wakes the wait
    at once, and it raises :class:`~jobv1.WaitInterruptedError`. A wait given
    an interrupt that is already set raises before its first query. One
    interrupt can stop any number of waits, and stays set.

    Example::

        stop = Interrupt()
        threading.Thread(target=job.wait_for_final_state, kwargs={"interrupt": stop}).start()
        stop.set()  # the wait raises WaitInterruptedError in its thread
    """

    def __init__(self) -> None:
        import threading  # only programs that interrupt waits pay for it

        self._lock = threading.Lock()
        self._listeners: set[_Settable] = set()
        self._set = False

    def set(self) -> None:
        """Stop every wait given this interrupt, now and from now on."""
        with self._lock:
            self._set = True
            listeners = list(self._listeners)
        for listener in listeners:
            listener.set()

    def is_set(self) -> bool:
        """Whether :meth:`set` was called."""
        return self._set

    def _listen(self, event: _Settable) -> None:
        """Have :meth:`set` call ``event.set()`` too (at once if it is set already)."""
        with self._lock:
            self._listeners.add(event)
            if self._set:
                event.set()

    def _forget(self, event: _Settable) -> None:
        """Undo :meth:`_listen`."""
        with self._lock:
            self._listeners.discard(event)

    def __repr__(self) -> str:
        return f"<Interrupt {'set' if self._set else 'not set'}>"
