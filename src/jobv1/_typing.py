"""Typing at no import cost: what the type checker sees, without importing ``typing``.

``import typing`` alone costs about as much as starting the interpreter. So
the modules that ``import jobv1`` loads import their typing names from here:
a type checker, for which ``TYPE_CHECKING`` is true, sees the real ones; at
run time ``Generic`` is a stand-in whose subscription returns the class
itself (so ``JobV1[int]`` still works), and a type variable is just its
name. The protocols that users check against at run time live in modules
loaded on first use (:mod:`jobv1._protocols`, :mod:`jobv1._backend`).
"""

from __future__ import annotations

TYPE_CHECKING = False

if TYPE_CHECKING:
    from typing import Generic

    from typing_extensions import TypeVar
else:

    class Generic:
        """Run-time stand-in for :class:`typing.Generic`."""

        __slots__ = ()

        def __class_getitem__(cls, parameters):
            return cls

    def TypeVar(name, *constraints, **options):  # noqa: N802 - mirrors typing.TypeVar
        """Run-time stand-in for :class:`typing.TypeVar`: the name."""
        return name


__all__ = ["TYPE_CHECKING", "Generic", "TypeVar"]
