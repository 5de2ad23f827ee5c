"""The states a job moves through, and which of them are final."""

from __future__ import annotations

import enum

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "JOB_FINAL_STATES",
    "KNOWN",
    "QUIET",
    "STATUS_NAMES",
    "JobStatus",
    "as_status",
    "check_status",
    "is_final",
    "is_qiskit_status",
    "not_a_status",
]


def is_qiskit_status(value: object) -> bool:
    """Whether ``value`` is a member of ``qiskit.providers.JobStatus``, without importing Qiskit."""
    kind = type(value)
    return kind.__name__ == "JobStatus" and kind.__module__ == "qiskit.providers.jobstatus"


class JobStatus(enum.Enum):
    """Where a job is in its life.

    The member names and values are those of ``qiskit.providers.JobStatus``, in
    the same order. A member also compares equal, with an equal hash, to the
    Qiskit member of the same name, in both directions: ``JobStatus.DONE ==
    qiskit.providers.JobStatus.DONE``, and either enum's members are found in
    the other's tuples, sets and dict keys. jobv1 never imports Qiskit to do
    so. Only identity differs: the two are distinct objects, so compare them
    with ``==``, never ``is``. ``JobStatus(qiskit_member)`` gives the jobv1
    member of the same name.

    A job normally moves from ``INITIALIZING`` through ``QUEUED`` and
    ``VALIDATING`` to ``RUNNING`` and ends in one of the final states:
    ``DONE``, ``CANCELLED`` or ``ERROR``.
    """

    INITIALIZING = "job is being initialized"
    QUEUED = "job is queued"
    VALIDATING = "job is being validated"
    RUNNING = "job is actively running"
    CANCELLED = "job has been cancelled"
    DONE = "job has successfully run"
    ERROR = "job incurred error"

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if is_qiskit_status(other):
            return self._name_ == other._name_  # type: ignore[attr-defined, no-any-return]
        # Two members of ours that are not one: both sides answer NotImplemented,
        # and Python falls back to identity, which is False.
        return NotImplemented

    def __hash__(self) -> int:
        # Qiskit's members hash as enum members do, by name: equal members hash equal.
        return hash(self._name_)

    @classmethod
    def _missing_(cls, value: object) -> JobStatus | None:
        # JobStatus(qiskit.providers.JobStatus.DONE) is JobStatus.DONE.
        return cls[value._name_] if is_qiskit_status(value) else None  # type: ignore[attr-defined]


JOB_FINAL_STATES: tuple[JobStatus, ...] = (JobStatus.DONE, JobStatus.CANCELLED, JobStatus.ERROR)
"""The statuses a job never leaves: ``DONE``, ``CANCELLED`` and ``ERROR``."""

_DONE, _CANCELLED, _ERROR = JOB_FINAL_STATES


def is_final(status: JobStatus) -> bool:
    """Whether a jobv1 member is final: by identity, the cheapest test there is."""
    return status is _DONE or status is _CANCELLED or status is _ERROR


def as_status(value: object) -> JobStatus | None:
    """``value`` as jobv1's :class:`JobStatus` if it is one, or Qiskit's; else ``None``."""
    if isinstance(value, JobStatus):
        return value
    found = _FROM_QISKIT.get(id(value))
    if found is not None:
        return found
    if not is_qiskit_status(value):
        return None
    found = _FROM_QISKIT[id(value)] = JobStatus(value)
    _QISKIT_MEMBERS.append(value)  # alive for good, so that no other object takes its id
    KNOWN.add(id(value))
    if found not in JOB_FINAL_STATES:
        QUIET.add(id(value))
    return found


# Qiskit's members met so far, by id, as ours: a wait over Qiskit's jobs reads
# one per query, and an Enum's lookup by value costs ten times a dict's.
_FROM_QISKIT: dict[int, JobStatus] = {}
_QISKIT_MEMBERS: list[object] = []
#: The ids of the answers that say a job is pending: jobv1's members that are not
#: final, and Qiskit's, as they are met. An answer whose id is here needs no look.
QUIET: set[int] = {id(member) for member in JobStatus if member not in JOB_FINAL_STATES}
#: The ids of every status met: jobv1's members, and Qiskit's as they are met. An
#: answer whose id is not here may not be a status at all.
KNOWN: set[int] = {id(member) for member in JobStatus}


#: The class attribute by which a job class says its ``status()`` may answer a
#: status's name (``"DONE"``), as Qiskit's primitive jobs of IBM's runtime do.
STATUS_NAMES = "_status_names"


def check_status(job: Any, status: object) -> JobStatus:
    """``status`` as jobv1's :class:`JobStatus` if it is one, or Qiskit's; else a ``TypeError``.

    A job whose class says so (:data:`STATUS_NAMES`) may answer a status's
    name too; a name that is none is a ``ValueError``.
    """
    converted = as_status(status)
    if converted is None:
        if type(status) is str and getattr(type(job), STATUS_NAMES, False):
            named = JobStatus.__members__.get(status)
            if named is None:
                raise ValueError(
                    f"status() of job {job.job_id()!r} returned {status!r}, which names "
                    f"no status: one of {', '.join(JobStatus.__members__)}"
                )
            return named
        raise not_a_status(job, status, "which is not a JobStatus")
    return converted


def not_a_status(job: Any, answer: object, why: str) -> TypeError:
    """The ``TypeError`` for a ``status()`` that answered ``answer``, not a status, ``why``.

    An awaitable answer (an ``async def status()``) is closed, so that it is
    not left never awaited, and the error says what to do.
    """
    if hasattr(answer, "__await__"):
        close = getattr(answer, "close", None)
        if callable(close):
            close()
        return TypeError(
            f"status() of job {job.job_id()!r} returned an awaitable ({type(answer).__name__}): "
            "jobv1's waits call status() from threads with no event loop and cannot await "
            "it; give the job a status() that returns the status itself"
        )
    return TypeError(f"status() of job {job.job_id()!r} returned {answer!r}, {why}")
