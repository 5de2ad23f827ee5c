"""``python -m jobv1 wait`` and ``status``: saved jobs, waited on from a shell or an agent.

Each file holds what :meth:`JobV1.to_reference() <jobv1.JobV1.to_reference>`
gave, as JSON: one reference, or a list of them. The jobs come back through
:func:`jobv1.restore` (their providers must be installed).

``wait`` waits on every job under one deadline, with a monitor (a live line
on a terminal, a line per change in a pipe), and exits with :data:`DONE`
when every job ended ``DONE``, :data:`TIMED_OUT` when the deadline came
first, :data:`FAILED` when a job ended ``ERROR`` or ``CANCELLED`` (or its
status could not be read), and :data:`USAGE` for bad arguments or a file it
cannot read. With ``--json`` it writes one JSON object per job on stdout, and
nothing else there (the monitor goes to stderr): ``id``, ``provider``,
``status`` (its name, ``null`` if not final) and ``seconds`` (from the start
of the wait to its end being seen, ``null`` if not final), and ``error`` for
a job whose status could not be read.

``status`` asks each job once and prints its status (``--json``: as above,
without ``seconds``); it exits :data:`FAILED` if a status could not be read.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ._clock import current_clock
from ._errors import JobError
from ._interop import as_job
from ._many import wait
from ._reference import restore
from ._status import JOB_FINAL_STATES, JobStatus, check_status

if TYPE_CHECKING:
    from typing import TextIO

__all__ = ["DONE", "FAILED", "TIMED_OUT", "USAGE", "status_command", "wait_command"]

#: Every job ended ``DONE`` (``status``: every status was read).
DONE = 0
#: A job ended ``ERROR`` or ``CANCELLED``, or its status could not be read.
FAILED = 1
#: Bad arguments, or a file that cannot be read as references.
USAGE = 2
#: The deadline came before every job ended, as ``timeout(1)`` says it.
TIMED_OUT = 124


class UnreadableError(Exception):
    """A file that does not hold references, or a reference no provider restores."""


def references(paths: list[str]) -> list[dict[str, Any]]:
    """The references the files at ``paths`` hold, in order; else :class:`UnreadableError`."""
    found: list[dict[str, Any]] = []
    for path in paths:
        try:
            with open(path, encoding="utf-8") as file:
                data = json.load(file)
        except (OSError, ValueError) as bad:
            raise UnreadableError(f"{path}: {bad}") from None
        items = data if isinstance(data, list) else [data]
        if not items or not all(isinstance(item, dict) for item in items):
            raise UnreadableError(f"{path}: holds no reference (a JSON object, or a list of them)")
        found.extend(items)
    return found


def _restored(paths: list[str]) -> list[tuple[dict[str, Any], Any]]:
    """Each reference of the files with its job restored; else :class:`UnreadableError`."""
    jobs = []
    for reference in references(paths):
        try:
            jobs.append((reference, restore(reference)))
        except (TypeError, ValueError, JobError) as bad:  # noqa: PERF203 - the first one ends it
            raise UnreadableError(f"{reference!r}: {bad}") from None
    return jobs


def wait_command(
    paths: list[str], timeout: float | None, as_json: bool, out: TextIO, err: TextIO
) -> int:
    """``python -m jobv1 wait``: see the module's docstring; the exit status."""
    from .monitor import Monitor  # loads threading: only the command line pays for it

    try:
        jobs = _restored(paths)
    except UnreadableError as bad:
        print(f"python -m jobv1 wait: {bad}", file=err)
        return USAGE
    clock = current_clock()  # the wait's: seconds on it, virtual in a test
    started = clock.monotonic()
    ended: dict[int, tuple[JobStatus, float]] = {}
    monitor = Monitor(err if as_json else out)

    def seen(job: Any, status: JobStatus) -> None:
        if status in JOB_FINAL_STATES:
            ended[id(job)] = (status, clock.monotonic() - started)
        monitor(job, status)

    with monitor:
        outcome = wait([job for _, job in jobs], timeout=timeout, on_status=seen)
    for reference, job in jobs:
        status, seconds = ended.get(id(job), (None, None))
        line: dict[str, Any] = {
            "id": reference["job_id"],
            "provider": reference["provider"],
            "status": None if status is None else status.name,
            "seconds": None if seconds is None else round(seconds, 3),
        }
        failure = outcome.exception(job)
        if failure is not None:
            line["error"] = f"{type(failure).__name__}: {failure}"
        if as_json:
            print(json.dumps(line), file=out)
    if outcome.not_done:
        return TIMED_OUT
    finals = {ended[id(job)][0] for _, job in jobs}
    return DONE if finals == {JobStatus.DONE} else FAILED


def status_command(paths: list[str], as_json: bool, out: TextIO, err: TextIO) -> int:
    """``python -m jobv1 status``: see the module's docstring; the exit status."""
    try:
        jobs = _restored(paths)
    except UnreadableError as bad:
        print(f"python -m jobv1 status: {bad}", file=err)
        return USAGE
    code = DONE
    for reference, job in jobs:
        line: dict[str, Any] = {"id": reference["job_id"], "provider": reference["provider"]}
        try:
            view = as_job(job)  # another library's job is read as the waits read it
            line["status"] = check_status(view, view.status()).name
        except Exception as failure:  # reported, and the others asked on
            line["status"] = None
            line["error"] = f"{type(failure).__name__}: {failure}"
            code = FAILED
        if as_json:
            print(json.dumps(line), file=out)
        else:
            shown = line["status"] or line["error"]
            print(f"{line['id']}\t{shown}", file=out)
    return code
