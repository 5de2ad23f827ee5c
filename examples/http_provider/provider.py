"""A jobv1 provider for the job service of :mod:`service`, on httpx: the reference example.

What a provider on a real HTTP API needs, and nothing else:

- every HTTP answer turned into a status or an exception that says what
  went wrong (:class:`TooManyRequestsError` and :class:`UnavailableError` carry the
  service's ``Retry-After``, in seconds or as an HTTP date);
- defaults that survive the service's faults with no ``retry=`` or
  ``rate_limit=`` from the caller: the backend declares ``status_retry``
  (429, 503, refused connections and timeouts, paced by Retry-After) and
  ``status_rate_limit`` (the service's published rate, shared by every wait);
- ``job_statuses`` for the service's batch endpoint, with an exception in
  the place of a job whose state cannot be read, so that it fails alone;
- a ``poll_hint`` read from the last answer (no request of its own);
- ``result()`` with no second status query for a job just seen complete;
- ``cancel()``, and references that rebuild a job after a restart.

httpx's ``Client`` is thread-safe, so the backend lets the waits run several
queries at once; a client that is not (a ``requests.Session``) would declare
``max_status_in_flight = 1``.
"""

from __future__ import annotations

import email.utils
import time
from typing import TYPE_CHECKING, Any

import httpx

import jobv1
from jobv1 import Backoff, JobError, JobStatus, JobV1, RateLimit, Retry

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "PROVIDER",
    "HttpBackend",
    "HttpJob",
    "ServiceError",
    "TooManyRequestsError",
    "UnavailableError",
    "UnknownStateError",
    "retry_after",
]

#: The name the jobs' references carry, and the entry point that restores them.
PROVIDER = "jobv1-http-example"

#: The service's states, as jobv1's statuses.
STATES = {
    "QUEUED": JobStatus.QUEUED,
    "RUNNING": JobStatus.RUNNING,
    "COMPLETED": JobStatus.DONE,
    "FAILED": JobStatus.ERROR,
    "CANCELLED": JobStatus.CANCELLED,
}


class ServiceError(JobError):
    """The service answered with an error.

    Args:
        message: What went wrong.
        status_code: The HTTP status code, if the service answered.
        retry_after: Seconds the service asked the client to wait, if it did.
    """

    def __init__(
        self, message: str, *, status_code: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.retry_after = retry_after


class TooManyRequestsError(ServiceError):
    """429: the client went past the service's rate limit."""


class UnavailableError(ServiceError):
    """503: the service cannot answer for now."""


class UnknownStateError(ServiceError):
    """The service reported a state this provider does not know: the job's status is unreadable."""


def retry_after(error: Exception) -> float | None:
    """The delay the service asked for with ``error`` (``Retry(retry_after=...)`` reads it)."""
    return getattr(error, "retry_after", None)


def parse_retry_after(value: str | None) -> float | None:
    """A ``Retry-After`` header in seconds: a number of seconds, or an HTTP date."""
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class HttpBackend:
    """The service at ``url``, as a backend whose jobs jobv1 waits on.

    Args:
        url: The service's base URL.
        client: The httpx client to use; by default one of its own.
        requests_per_second: The service's published rate for one client:
            every wait on this backend's jobs shares it.
        max_failures: How many failures in a row a wait rides out per job.
    """

    #: The most ids the service takes in one batch request.
    max_status_batch = 100

    def __init__(
        self,
        url: str,
        *,
        client: httpx.Client | None = None,
        requests_per_second: int = 50,
        max_failures: int = 10,
    ) -> None:
        self.url = url
        self.client = client if client is not None else httpx.Client(base_url=url, timeout=10.0)
        self.status_rate_limit = RateLimit(requests_per_second, per=1.0)
        self.status_retry = Retry(
            httpx.TransportError,  # refused, reset, timed out
            TooManyRequestsError,
            UnavailableError,
            max_failures=max_failures,
            backoff=Backoff(initial=0.25, multiplier=2, maximum=5, jitter=0.1),
            retry_after=retry_after,
        )

    @property
    def name(self) -> str:
        """The backend's name: the service's URL, which a reference keeps."""
        return self.url

    def close(self) -> None:
        """Close the backend's client."""
        self.client.close()

    def request(self, method: str, path: str, body: Any = None) -> Any:
        """One request to the service; its JSON answer, or the :class:`ServiceError` it means."""
        response = self.client.request(method, path, json=body)
        if response.status_code < 400:
            return response.json()
        delay = parse_retry_after(response.headers.get("Retry-After"))
        kind = {429: TooManyRequestsError, 503: UnavailableError}.get(
            response.status_code, ServiceError
        )
        raise kind(
            f"{method} {path}: HTTP {response.status_code} {response.text}",
            status_code=response.status_code,
            retry_after=delay,
        )

    def run(self, program: Any = None, /, **options: Any) -> HttpJob:
        """Submit a job; the service's job is described by ``options``, ``program`` is unused.

        The options are the service's: ``queue`` and ``run`` (seconds),
        ``outcome`` (``"DONE"`` or ``"ERROR"``), ``result``, ``eta`` (when
        the service says it will start, if not after ``queue``), and ``hold``
        (seconds every answer about the job takes).
        """
        return HttpJob(self, self.request("POST", "/jobs", options)["id"])

    def job_statuses(self, jobs: Sequence[HttpJob]) -> list[JobStatus | Exception]:
        """The statuses of ``jobs`` in one request; an exception in the place of one unreadable."""
        answer = self.request("POST", "/jobs/states", {"ids": [job.job_id() for job in jobs]})
        statuses: list[JobStatus | Exception] = []
        for job, found in zip(jobs, answer["jobs"], strict=True):
            if "error" in found:
                statuses.append(ServiceError(f"job {job.job_id()}: {found['error']}"))
                continue
            try:
                statuses.append(job.read(found))
            except UnknownStateError as unknown:
                statuses.append(unknown)
        return statuses


class HttpJob(JobV1):
    """A job of the service.

    Args:
        backend: The backend it runs on.
        job_id: The service's id for it.
    """

    reference_provider = PROVIDER

    def __init__(self, backend: HttpBackend, job_id: str) -> None:
        super().__init__(backend, job_id)
        self._http = backend
        self._last: dict[str, Any] | None = None  # the service's last answer about this job

    def submit(self) -> None:
        """Jobs are submitted by :meth:`HttpBackend.run`."""
        raise JobError("jobs are submitted by the backend's run()")

    def read(self, answer: dict[str, Any]) -> JobStatus:
        """The status ``answer`` says; :class:`UnknownStateError` for a state not known."""
        self._last = answer
        state = answer.get("state")
        status = STATES.get(state) if isinstance(state, str) else None
        if status is None:
            raise UnknownStateError(
                f"job {self.job_id()!r} is in a state this provider does not know: {state!r}"
            )
        return status

    def status(self) -> JobStatus:
        """The job's status, from the service."""
        return self.read(self._http.request("GET", f"/jobs/{self.job_id()}"))

    def poll_hint(self, status: JobStatus) -> float | None:
        """When a queued job should start, from the service's last answer."""
        if status is JobStatus.QUEUED and self._last is not None:
            hint = self._last.get("starts_in")
            return float(hint) if isinstance(hint, (int, float)) else None
        return None

    def result(self, timeout: float | None = None) -> Any:
        """The job's result: at once for a job just seen complete, else after waiting for it."""

        def fetch() -> Any:
            return self._http.request("GET", f"/jobs/{self.job_id()}/result")["result"]

        if self._last is not None and self._last.get("state") == "COMPLETED":
            return fetch()  # just seen DONE: no second status query
        return jobv1.result(self, timeout, fetch=fetch)

    def cancel(self) -> bool:
        """Ask the service to cancel the job; it is cancelled a moment later, if still pending."""
        self._http.request("POST", f"/jobs/{self.job_id()}/cancel")
        return True

    @classmethod
    def from_reference(cls, reference: dict[str, Any]) -> HttpJob:
        """The job a reference stands for, on a backend of its own for the reference's service."""
        return cls(HttpBackend(reference["backend"]), reference["job_id"])
