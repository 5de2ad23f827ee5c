"""jobv1: job handles for remote services, with waits that keep their deadlines.

Subclass :class:`JobV1`; wait on many jobs, jobv1's or Qiskit's, with
:func:`wait` and :func:`as_completed`, or await them with :mod:`jobv1.aio`;
get a result under a deadline with :func:`result`, cancel with :func:`cancel`;
save a job with :meth:`JobV1.to_reference` and :func:`restore` it after a restart;
stay a Qiskit provider with :mod:`jobv1.qiskit`; run functions as
jobs on any executor with :class:`ExecutorBackend`; test with
:mod:`jobv1.testing`; show progress with :mod:`jobv1.monitor`. The
documentation is in the ``docs`` folder.
"""

from ._errors import (
    JobCancelledError,
    JobError,
    JobFailedError,
    JobTimeoutError,
    TooManyPendingError,
    WaitInterruptedError,
)
from ._futures import ExecutorBackend, FutureJob
from ._intake import Submit
from ._interop import as_job
from ._interrupt import Interrupt
from ._job import Job, JobV1
from ._lifecycle import cancel, result
from ._limit import RateLimit
from ._many import (
    ALL_COMPLETED,
    FIRST_COMPLETED,
    FIRST_EXCEPTION,
    AsCompleted,
    DoneAndNotDone,
    as_completed,
    wait,
)
from ._notifier import Notifier
from ._policy import Backoff, PerStatus
from ._reference import restore
from ._retry import Retry
from ._status import JOB_FINAL_STATES, JobStatus
from ._typing import TYPE_CHECKING

__version__ = "0.1.0"

if TYPE_CHECKING:
    from ._backend import Backend
    from ._protocols import PollPolicy

# Loaded on first use: these protocols need the typing module, which costs as
# much as starting the interpreter.
_LAZY = {"Backend": "jobv1._backend", "PollPolicy": "jobv1._protocols"}


def _at_home(namespace: dict[str, object], names: list[str], home: str) -> dict[str, str]:
    """Give the classes and functions of ``names`` the public module ``home`` as theirs.

    Tracebacks, reprs and pickles then say ``jobv1.JobTimeoutError``, not the
    private module it is written in. Returns where each was written, for the
    docs' source links.
    """
    written: dict[str, str] = {}
    for name in names:
        value = namespace.get(name)
        module = getattr(value, "__module__", None)
        if isinstance(module, str) and any(part.startswith("_") for part in module.split(".")):
            written[name] = module
            value.__module__ = home
    return written


#: The public submodules, reachable as attributes (``jobv1.aio.wait``) and loaded on
#: first use, so that ``import jobv1`` stays cheap. (``jobv1.qiskit`` needs Qiskit:
#: it is imported by name.)
_SUBMODULES = frozenset({"aio", "monitor", "sharded", "testing"})


def __getattr__(name: str) -> object:
    import importlib

    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        _WRITTEN_IN.update(_at_home(globals(), [name], __name__))
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")  # which sets the attribute
    raise AttributeError(f"module 'jobv1' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY, *_SUBMODULES})


__all__ = [
    "ALL_COMPLETED",
    "AsCompleted",
    "Backend",
    "Backoff",
    "DoneAndNotDone",
    "ExecutorBackend",
    "FIRST_COMPLETED",
    "FIRST_EXCEPTION",
    "FutureJob",
    "Interrupt",
    "JOB_FINAL_STATES",
    "Job",
    "JobCancelledError",
    "JobError",
    "JobFailedError",
    "JobStatus",
    "JobTimeoutError",
    "JobV1",
    "Notifier",
    "PerStatus",
    "PollPolicy",
    "RateLimit",
    "Retry",
    "Submit",
    "TooManyPendingError",
    "WaitInterruptedError",
    "as_completed",
    "as_job",
    "cancel",
    "restore",
    "result",
    "wait",
]

#: Where each public class and function is written, by name (the docs' source links read it).
_WRITTEN_IN = _at_home(globals(), __all__, __name__)
