"""Test jobs and waits in virtual time: a fake clock, a fake backend, fake jobs.

The library never imports this package; tests do. Installing jobv1 also
gives pytest the fixtures ``fake_clock``, ``fake_backend`` and ``restoring_fakes``.
"""

from .. import _at_home
from .._clock import use_clock
from .._protocols import Clock, Wakeup
from ._backend import FakeBackend, FakeJob, Hold, Query, restoring_fakes
from ._clock import FakeClock
from ._conformance import check_jobv1, registering
from ._faults import Fault, Faults

__all__ = [
    "Clock",
    "FakeBackend",
    "FakeClock",
    "FakeJob",
    "Fault",
    "Faults",
    "Hold",
    "Query",
    "Wakeup",
    "check_jobv1",
    "registering",
    "restoring_fakes",
    "use_clock",
]

#: Where each public class and function is written, by name.
_WRITTEN_IN = _at_home(globals(), __all__, __name__)
