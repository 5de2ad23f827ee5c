"""Jobs that survive a restart: :func:`restore` turns a saved reference back into a job.

A job's :meth:`~jobv1.JobV1.to_reference` is a small JSON-able dict: which
provider, which backend, the job's id, and what else its provider needs to
find the job again (never credentials). A provider names itself on its job
class (:attr:`~jobv1.JobV1.reference_provider`) and registers, under that
name in the :data:`GROUP` entry-point group, the function that rebuilds one
of its jobs from such a dict. :func:`restore` looks that function up, in this
process or any other where the provider is installed.
"""

from __future__ import annotations

from ._errors import JobError
from ._interop import view
from ._traits import GROUP
from ._typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

__all__ = ["GROUP", "check_reference", "restore"]


#: The restore functions found so far, by provider: an entry point is looked up once.
#: (:func:`jobv1.testing.registering` adds one for a test.)
found: dict[str, Callable[[dict[str, Any]], object]] = {}


def check_reference(reference: object) -> str:
    """The provider's name in ``reference``, once it is checked.

    Raises:
        TypeError: ``reference`` is not a dict, or its ``provider``,
            ``job_id`` or ``backend`` is of the wrong type.
        ValueError: A key is missing, or the provider's name is empty.
    """
    if not isinstance(reference, dict):
        raise TypeError(f"reference must be a dict (as json.loads gives), not {reference!r}")
    for key in ("provider", "backend", "job_id"):
        if key not in reference:
            raise ValueError(f"reference {reference!r} has no {key!r}")
    provider, backend, job_id = reference["provider"], reference["backend"], reference["job_id"]
    if not isinstance(provider, str):
        raise TypeError(f"the provider of reference {reference!r} must be a str, not {provider!r}")
    if not provider:
        raise ValueError(f"the provider of reference {reference!r} must not be empty")
    if backend is not None and not isinstance(backend, str):
        raise TypeError(
            f"the backend of reference {reference!r} must be a str or None, not {backend!r}"
        )
    if not isinstance(job_id, str):
        raise TypeError(f"the job_id of reference {reference!r} must be a str, not {job_id!r}")
    return provider


def _restorer(provider: str) -> Callable[[dict[str, Any]], object]:
    """The function the provider registered to restore its jobs; looked up once."""
    known = found.get(provider)
    if known is not None:
        return known
    from importlib.metadata import entry_points  # only a restore pays for it

    points = entry_points(group=GROUP, name=provider)
    if not points:
        raise JobError(
            f"no provider named {provider!r} is installed: no entry point of that name "
            f"in the group {GROUP!r}"
        )
    values = sorted({point.value for point in points})
    if len(values) > 1:
        raise JobError(
            f"the provider {provider!r} is registered more than once in the group "
            f"{GROUP!r}: {', '.join(values)}"
        )
    loaded: object = next(iter(points)).load()
    if not callable(loaded):
        raise TypeError(
            f"the entry point {provider!r} of the group {GROUP!r} ({values[0]}) is "
            f"{loaded!r}, not a function that restores jobs"
        )
    found[provider] = loaded
    return loaded


def restore(reference: dict[str, Any]) -> Any:
    """The job a saved reference stands for, made again in this process.

    ``reference`` is what :meth:`JobV1.to_reference() <jobv1.JobV1.to_reference>`
    gave, perhaps in another process, after a trip through JSON. The function
    that rebuilds the job is the one the job's provider registered under its
    name in the ``jobv1.providers`` entry-point group; it is looked up once
    per process. The job comes back as any other: wait on it, ask its
    status, fetch its result.

    Args:
        reference: The reference, a dict with at least ``"provider"``,
            ``"backend"`` and ``"job_id"``.

    Returns:
        The job as its provider made it (a :class:`~jobv1.JobV1`, or a job
        of another library that the waits take), with the reference's id.

    Raises:
        TypeError, ValueError: ``reference`` is not a reference, or the
            provider gave back something that is not a job with its id.
        JobError: No provider of that name is installed, or several are.
    """
    provider = check_reference(reference)
    job = _restorer(provider)(reference)

    job_id = view(job, f"the provider {provider!r} must restore a job").job_id()
    if job_id != reference["job_id"]:
        raise ValueError(
            f"the provider {provider!r} restored {reference!r} as a job whose id is {job_id!r}"
        )
    return job
