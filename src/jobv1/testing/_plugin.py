"""The pytest plugin that comes with jobv1: ``fake_clock``, ``fake_backend`` and more."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from ._backend import FakeBackend, restoring_fakes
from ._clock import FakeClock

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture
def fake_clock() -> Iterator[FakeClock]:
    """A :class:`~jobv1.testing.FakeClock` that every wait uses during the test."""
    with FakeClock() as clock:
        yield clock


@pytest.fixture
def fake_backend(fake_clock: FakeClock) -> FakeBackend:
    """A :class:`~jobv1.testing.FakeBackend` whose jobs live in the ``fake_clock`` time."""
    return FakeBackend()


@pytest.fixture(name="restoring_fakes")
def _restoring_fakes() -> Iterator[None]:
    """Lets :func:`jobv1.restore` rebuild the test kit's fake jobs during the test.

    See :func:`jobv1.testing.restoring_fakes`: without it they are refused.
    """
    with restoring_fakes():
        yield
