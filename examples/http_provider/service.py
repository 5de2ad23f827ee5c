"""A small job service over HTTP, for tests and benchmarks: real sockets on 127.0.0.1.

It runs jobs that last a set time (queued, then running, then done or
failed) and answers as a real job service does, with the faults a real one
has, each switched on by the test that wants it:

- a per-client rate limit, answering ``429`` with ``Retry-After`` (whole
  seconds, as most services send, or an HTTP date);
- random ``503`` answers (with ``Retry-After: 1``);
- an outage: the port refuses connections for a while, then serves again;
- slow answers: a share of them held for some seconds, or every answer
  about one job (its ``hold``);
- jobs the service no longer knows by a state (``"DELETED"``).

Endpoints (JSON in and out)::

    POST /jobs                {"queue": s, "run": s, "outcome": "DONE", "result": ..., "eta": s,
                               "hold": s}
    GET  /jobs/ID             {"id", "state", "starts_in"?}
    POST /jobs/states         {"ids": [...]}  ->  {"jobs": [{"id", "state"} | {"id", "error"}]}
    GET  /jobs/ID/result      the result; 409 while the job has not completed
    POST /jobs/ID/cancel      202: the job is cancelled a moment later, if still pending

:meth:`JobService.start` binds a free port and serves from a thread;
:meth:`JobService.stop` ends it. :attr:`JobService.answers` counts what it
answered, by status code.
"""

from __future__ import annotations

import collections
import email.utils
import itertools
import json
import math
import random
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["JobService"]

#: How long after a cancel request a pending job is cancelled.
CANCEL_SECONDS = 0.05
#: The most ids one ``POST /jobs/states`` takes.
MAX_BATCH = 100


class _Bucket:
    """A token bucket: ``rate`` requests a second, ``burst`` at once."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.tokens = float(burst)
        self.at = time.monotonic()

    def take(self) -> float:
        """Take a token; 0 if one was free, else the seconds until one is."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


class JobService:
    """The job service; see the module's docstring.

    Args:
        rate: Requests a second each client may make (by its ``X-Client``
            header, else its address); ``None`` for no limit.
        burst: Requests a client may make at once after a quiet spell.
        unavailable: The share of answers that are ``503``.
        slow: The share of answers held for ``slow_seconds`` first.
        slow_seconds: How long a slow answer is held.
        http_date: Whether ``Retry-After`` is an HTTP date, not seconds.
        seed: Seeds the random faults, so that a run can be repeated.
    """

    def __init__(
        self,
        *,
        rate: float | None = None,
        burst: int = 1,
        unavailable: float = 0.0,
        slow: float = 0.0,
        slow_seconds: float = 5.0,
        http_date: bool = False,
        seed: int = 0,
    ) -> None:
        self.rate, self.burst = rate, burst
        self.unavailable, self.slow, self.slow_seconds = unavailable, slow, slow_seconds
        self.http_date = http_date
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._jobs: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1)
        self._buckets: dict[str, _Bucket] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0
        #: How many answers of each status code the service gave; ``0`` counts the requests
        #: dropped unanswered in an outage (those refused are not seen at all).
        self.answers: collections.Counter[int] = collections.Counter()
        #: How many requests each endpoint answered: ``submit``, ``state``, ``states``, ...
        self.requests: collections.Counter[str] = collections.Counter()

    # -- running it ------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The service's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> JobService:
        """Serve on a free port of 127.0.0.1 (the same port again after an outage)."""
        service = self

        class Handler(_Handler):
            owner = service

        server = _Server(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(target=server.serve_forever, name="job-service")
        self._thread.start()
        return self

    def serving(self) -> bool:
        """Whether the service is up (not stopped, nor in an outage)."""
        return self._server is not None

    def stop(self) -> None:
        """Stop serving: the port refuses connections, and those kept alive are dropped.

        Until :meth:`start`, that is.
        """
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        self._server = None
        server.shutdown()
        server.server_close()
        thread.join()
        self._thread = None

    def outage(self, seconds: float) -> threading.Thread:
        """Refuse connections for ``seconds``, from now; the thread that serves again after."""
        self.stop()

        def back() -> None:
            time.sleep(seconds)
            self.start()

        thread = threading.Thread(target=back, name="job-service-outage")
        thread.start()
        return thread

    def __enter__(self) -> JobService:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the jobs --------------------------------------------------------------------

    def lose(self, job_id: str, state: str = "DELETED") -> None:
        """Make job ``job_id`` answer ``state``, one no client knows, from now on."""
        with self._lock:
            self._jobs[job_id]["lost"] = state

    def submit(self, body: dict[str, Any]) -> str:
        """Make the job ``body`` describes; its id. ``ValueError`` for a bad one."""
        queue, run = float(body.get("queue", 0.0)), float(body.get("run", 0.0))
        outcome, hold = body.get("outcome", "DONE"), float(body.get("hold", 0.0))
        if outcome not in ("DONE", "ERROR") or min(queue, run, hold, body.get("eta", 0)) < 0:
            raise ValueError(f"bad job: {body!r}")
        with self._lock:
            job_id = f"job-{next(self._ids)}"
            now = time.monotonic()
            eta = float(body.get("eta", queue))  # the start it announces: maybe too soon
            self._jobs[job_id] = {
                "eta": now + eta,
                "start": now + queue,
                "end": now + queue + run,
                "outcome": outcome,
                "result": body.get("result"),
                "cancel": math.inf,
                "lost": None,
                "hold": hold,
            }
        return job_id

    def state(self, job_id: str) -> dict[str, Any]:
        """What ``GET /jobs/ID`` answers; ``KeyError`` for an unknown job."""
        job = self._jobs[job_id]
        now = time.monotonic()
        answer: dict[str, Any] = {"id": job_id}
        if job["lost"] is not None:
            answer["state"] = job["lost"]
        elif now >= job["cancel"] and job["cancel"] < job["end"]:
            answer["state"] = "CANCELLED"
        elif now >= job["end"]:
            answer["state"] = "COMPLETED" if job["outcome"] == "DONE" else "FAILED"
        elif now >= job["start"]:
            answer["state"] = "RUNNING"
        else:
            answer["state"] = "QUEUED"
            answer["starts_in"] = round(max(0.0, job["eta"] - now), 3)
        return answer

    def hold(self, ids: list[str]) -> None:
        """Hold an answer about the jobs ``ids`` as long as the slowest of them asks."""
        held = max((self._jobs[i]["hold"] for i in ids if i in self._jobs), default=0.0)
        if held:
            time.sleep(held)

    def ended_at(self, job_id: str) -> float:
        """When job ``job_id`` ended or will end, on ``time.monotonic()``."""
        job = self._jobs[job_id]
        return float(min(job["end"], job["cancel"]))

    def result(self, job_id: str) -> Any:
        """What job ``job_id`` gave, once it has completed."""
        return self._jobs[job_id]["result"]

    def cancel(self, job_id: str) -> None:
        """Cancel job ``job_id`` a moment from now, if it is still pending then."""
        job = self._jobs[job_id]
        job["cancel"] = min(job["cancel"], time.monotonic() + CANCEL_SECONDS)

    # -- faults ----------------------------------------------------------------------

    def note(self, endpoint: str | None = None, code: int | None = None) -> None:
        """Count a request to ``endpoint``, or an answer with ``code``."""
        with self._lock:
            if endpoint is not None:
                self.requests[endpoint] += 1
            if code is not None:
                self.answers[code] += 1

    def limited(self, client: str) -> float:
        """0 if ``client`` may make a request now, else the seconds until it may."""
        if self.rate is None:
            return 0.0
        with self._lock:
            bucket = self._buckets.setdefault(client, _Bucket(self.rate, self.burst))
            return bucket.take()

    def draw(self) -> tuple[bool, bool]:
        """Whether this answer is a 503, and whether it is slow."""
        with self._lock:
            return (
                self._random.random() < self.unavailable,
                self._random.random() < self.slow,
            )

    def retry_after(self, seconds: float) -> str:
        """A ``Retry-After`` value for ``seconds``: whole seconds, or an HTTP date."""
        whole = max(1, math.ceil(seconds))
        if self.http_date:
            return email.utils.formatdate(time.time() + whole, usegmt=True)
        return str(whole)


_JOB = re.compile(r"^/jobs/([\w-]+)(/result|/cancel)?$")


class _Server(ThreadingHTTPServer):
    """The service's server: a client gone before its answer is sent is no error of the service."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if not isinstance(error, ConnectionError):  # reset, broken pipe: the client hung up
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    owner: JobService
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out at once, not 40 ms apart

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests read :attr:`JobService.answers`."""

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, method: str) -> None:
        service = self.owner
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not service.serving():  # down: a connection kept alive is dropped, unanswered
            service.note(code=0)
            self.close_connection = True
            return
        client = self.headers.get("X-Client") or self.client_address[0]
        wait = service.limited(client)
        if wait:
            self._send(429, {"error": "too many requests"}, service.retry_after(wait))
            return
        unavailable, slow = service.draw()
        if slow:
            time.sleep(service.slow_seconds)
        if unavailable:
            self._send(503, {"error": "unavailable"}, service.retry_after(1))
            return
        try:
            body = json.loads(raw) if raw else {}
            code, answer = self._route(method, body)
        except KeyError as unknown:
            code, answer = 404, {"error": f"no job {unknown.args[0]}"}
        except ValueError as bad:
            code, answer = 400, {"error": str(bad)}
        self._send(code, answer)

    def _route(self, method: str, body: dict[str, Any]) -> tuple[int, Any]:  # noqa: PLR0911
        service = self.owner
        if method == "POST" and self.path == "/jobs":
            service.note("submit")
            return 201, {"id": service.submit(body)}
        if method == "POST" and self.path == "/jobs/states":
            service.note("states")
            ids = body.get("ids")
            if not isinstance(ids, list) or len(ids) > MAX_BATCH:
                raise ValueError(f"ids must be a list of at most {MAX_BATCH} ids")
            service.hold(ids)
            answers = []
            for job_id in ids:
                try:
                    answers.append(service.state(job_id))
                except KeyError:  # noqa: PERF203 - one job unknown, the others answered
                    answers.append({"id": job_id, "error": "no such job"})
            return 200, {"jobs": answers}
        match = _JOB.match(self.path)
        if match is None:
            return 404, {"error": f"no endpoint {method} {self.path}"}
        job_id, action = match.groups()
        if method == "GET" and action is None:
            service.note("state")
            service.hold([job_id])
            return 200, service.state(job_id)
        if method == "GET" and action == "/result":
            service.note("result")
            state = service.state(job_id)["state"]
            if state != "COMPLETED":
                return 409, {"error": f"job {job_id} is {state}"}
            return 200, {"result": service.result(job_id)}
        if method == "POST" and action == "/cancel":
            service.note("cancel")
            service.cancel(job_id)
            return 202, {}
        return 405, {"error": f"{method} {self.path} is not allowed"}

    def _send(self, code: int, answer: Any, retry_after: str | None = None) -> None:
        self.owner.note(code=code)
        data = json.dumps(answer).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if retry_after is not None:
            self.send_header("Retry-After", retry_after)
        self.end_headers()
        self.wfile.write(data)
