"""The pytest plugin that comes with jobv1: the ``fake_clock`` and ``fake_backend`` fixtures."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from ._backend import FakeBackend
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
