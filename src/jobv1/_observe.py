"""What a wait tells the world: the ``jobv1`` logger, and OpenTelemetry if it is set up.

Nothing here costs anything unless someone listens. A wait asks
:func:`observer` once, as it starts: if the ``jobv1`` logger records debug
messages, or OpenTelemetry has a tracer provider that records, it gets an
:class:`Observer` that it tells of each query, each sleep and its end;
otherwise ``None``, and it tells nothing. ``logging`` and ``opentelemetry``
are never imported to find out: a program that has not imported them has
not set them up.

Records on the ``jobv1`` logger (a :class:`logging.NullHandler` is its own,
so that nothing is printed unless the program configures logging):

- ``DEBUG`` per status query: the job, its status and the attempt (1, or
  one more than the failures just before it);
- ``DEBUG`` per sleep: the seconds, and why that long (``policy``,
  ``hint``, ``retry``, ``resync``, ``schedule``, ``deadline``,
  ``rate limit``, ``push``);
- ``WARNING`` per failure a :class:`~jobv1.Retry` rides out, whoever
  listens, with the error (one for a batch request, naming its first job
  and how many others it asked);
- ``WARNING`` per job a wait on many jobs ends for a failure of its own
  (its status could not be read), whoever listens, with the error.

Each record carries its fields in ``extra``, as attributes named
``jobv1_job_id``, ``jobv1_status``, ``jobv1_attempt``, ``jobv1_seconds``,
``jobv1_reason`` and ``jobv1_error``. The span of a wait is named
``jobv1.wait``; it has the same fields as events (``jobv1.query``,
``jobv1.sleep``, ``jobv1.retry``, ``jobv1.failed``) and its outcome as the attribute
``jobv1.outcome``: ``done``, ``timeout``, ``interrupted``, ``stopped`` (the
caller stopped early, as ``FIRST_COMPLETED`` does) or ``error``.
"""

from __future__ import annotations

import sys

from ._typing import TYPE_CHECKING

if TYPE_CHECKING:
    import logging
    from collections.abc import Callable, Generator
    from typing import Any, TypeVar

    T = TypeVar("T")

    from ._status import JobStatus

__all__ = [
    "LOGGER",
    "Observer",
    "Told",
    "ending",
    "failed",
    "listening",
    "logger",
    "observed",
    "observer",
    "ridden_out",
]

#: The name of jobv1's logger.
LOGGER = "jobv1"


_logger: logging.Logger | None = None


def logger() -> logging.Logger:
    """The ``jobv1`` logger, with a :class:`logging.NullHandler` of its own."""
    global _logger  # noqa: PLW0603 - found once: every wait asks
    if _logger is None:
        import logging

        found = logging.getLogger(LOGGER)
        if not any(isinstance(handler, logging.NullHandler) for handler in found.handlers):
            found.addHandler(logging.NullHandler())
        _logger = found
    return _logger


class Observer:
    """Tells the logger and the span of one wait what the wait does."""

    __slots__ = ("log", "span")

    def __init__(self, log: logging.Logger | None, span: Any) -> None:
        #: The ``jobv1`` logger, if it records debug messages.
        self.log = log
        #: The wait's OpenTelemetry span, if one records.
        self.span = span

    def queried(self, job_id: str, status: JobStatus, attempt: int) -> None:
        """A status query answered ``status``."""
        if self.log is not None:
            self.log.debug(
                "job %s is %s (attempt %d)",
                job_id,
                status.name,
                attempt,
                extra={
                    "jobv1_job_id": job_id,
                    "jobv1_status": status.name,
                    "jobv1_attempt": attempt,
                },
            )
        if self.span is not None:
            self.span.add_event(
                "jobv1.query",
                {"jobv1.job_id": job_id, "jobv1.status": status.name, "jobv1.attempt": attempt},
            )

    def sleeping(self, seconds: float, reason: str) -> None:
        """The wait sleeps ``seconds``, for ``reason``."""
        if self.log is not None:
            self.log.debug(
                "sleeping %.6g s (%s)",
                seconds,
                reason,
                extra={"jobv1_seconds": seconds, "jobv1_reason": reason},
            )
        if self.span is not None:
            self.span.add_event("jobv1.sleep", {"jobv1.seconds": seconds, "jobv1.reason": reason})

    def ended(self, outcome: str, error: BaseException | None) -> None:
        """The wait ended: ``outcome`` is one of the module's words; ``error``, what it raised."""
        span = self.span
        if span is None:
            return
        span.set_attribute("jobv1.outcome", outcome)
        if outcome == "error" and error is not None:
            from opentelemetry.trace import Status, StatusCode

            span.record_exception(error)
            span.set_status(Status(StatusCode.ERROR, repr(error)))
        span.end()


def observer(jobs: int, timeout: float | None) -> Observer | None:
    """An :class:`Observer` for a wait on ``jobs`` jobs, or ``None`` if nobody listens."""
    log = _debug_log()
    span = None
    trace = _tracing()
    if trace is not None:
        attributes: dict[str, Any] = {"jobv1.jobs": jobs}
        if timeout is not None:
            attributes["jobv1.timeout"] = timeout
        started = trace.get_tracer(LOGGER).start_span("jobv1.wait", attributes=attributes)
        if started.is_recording():
            span = started
    if log is None and span is None:
        return None
    return Observer(log, span)


def _debug_log() -> logging.Logger | None:
    """The ``jobv1`` logger if it records debug messages; else (or without logging) ``None``."""
    logging = sys.modules.get("logging")
    if logging is None:
        return None
    found = logger()
    return found if found.isEnabledFor(logging.DEBUG) else None


def _tracing() -> Any:
    """``opentelemetry.trace``, if the program has set a tracer provider; else ``None``."""
    trace = sys.modules.get("opentelemetry.trace")
    if trace is None:
        return None
    provider = trace.get_tracer_provider()
    if isinstance(provider, (trace.ProxyTracerProvider, trace.NoOpTracerProvider)):
        return None  # the API alone, with nothing behind it
    return trace


def ending(raised: BaseException, errors: tuple[type[BaseException], ...]) -> str:
    """How a wait that raised ``raised`` ended, in this module's words.

    ``errors`` are the classes of the errors the wait raises at its deadline
    and on an interrupt.
    """
    if isinstance(raised, errors[0]):
        return "timeout"
    if isinstance(raised, errors[1]):
        return "interrupted"
    return "error"


def observed(
    steps: Generator[T, Any, None],
    watcher: Observer | None,
    errors: tuple[type[BaseException], ...],
    pending: Callable[[], object],
) -> Generator[T, Any, None]:
    """``steps``, a wait's loop, telling ``watcher`` how it ended (if anyone listens).

    ``pending`` says whether jobs are left: a loop closed early with some is
    "stopped" (the caller had enough: ``FIRST_COMPLETED``, a ``break``).
    """
    if watcher is None:
        return (yield from steps)
    with Told(watcher, errors, pending):
        yield from steps


class Told:
    """A ``with`` block that tells ``watcher`` how the wait inside it ended.

    It ended "done", unless it raised: then it timed out, was interrupted,
    or failed (:func:`ending`); a loop closed early (``GeneratorExit``) with
    jobs left, as ``pending`` says, was "stopped". The error is never
    swallowed.
    """

    __slots__ = ("errors", "pending", "watcher")

    def __init__(
        self,
        watcher: Observer,
        errors: tuple[type[BaseException], ...],
        pending: Callable[[], object] | None = None,
    ) -> None:
        self.watcher = watcher
        self.errors = errors
        self.pending = pending

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, raised: BaseException | None, traceback: object) -> None:
        if raised is None:
            self.watcher.ended("done", None)
        elif isinstance(raised, GeneratorExit):
            pending = self.pending
            self.watcher.ended("stopped" if pending is not None and pending() else "done", None)
        else:
            self.watcher.ended(ending(raised, self.errors), raised)


def listening() -> bool:
    """Whether a wait starting now would have an observer; cheap when nobody listens."""
    return _tracing() is not None or _debug_log() is not None


def ridden_out(
    watcher: Observer | None,
    job_id: str,
    error: Exception,
    failures: int,
    budget: int,
    *,
    what: str,
) -> None:
    """A :class:`~jobv1.Retry` rode out a failed ``what`` of ``job_id``: a warning, and an event."""
    logger().warning(
        "a %s of job %s failed (%d of %d failures allowed): %r",
        what,
        job_id,
        failures,
        budget,
        error,
        extra={"jobv1_job_id": job_id, "jobv1_attempt": failures, "jobv1_error": repr(error)},
    )
    if watcher is not None and watcher.span is not None:
        watcher.span.add_event(
            "jobv1.retry",
            {
                "jobv1.job_id": job_id,
                "jobv1.attempt": failures,
                "jobv1.error": repr(error),
                "jobv1.what": what,
            },
        )


def failed(watcher: Observer | None, job_id: str, error: Exception) -> None:
    """A wait on many jobs ended job ``job_id`` for ``error``: its status could not be read."""
    logger().warning(
        "job %s failed: its status could not be read: %r",
        job_id,
        error,
        extra={"jobv1_job_id": job_id, "jobv1_error": repr(error)},
    )
    if watcher is not None and watcher.span is not None:
        watcher.span.add_event("jobv1.failed", {"jobv1.job_id": job_id, "jobv1.error": repr(error)})
