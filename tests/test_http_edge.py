"""The test kit at the HTTP edge: Faults, registering, a provider faked in virtual time.

Issue 25, item 8.
"""

from __future__ import annotations

import email.utils
import json
import time
from typing import Any

import httpx
import pytest
from examples.http_provider.provider import (
    PROVIDER,
    HttpBackend,
    HttpJob,
    TooManyRequestsError,
    UnavailableError,
)

import jobv1
from jobv1 import JobStatus, restore
from jobv1.testing import FakeClock, Fault, Faults, registering


def test_faults_are_met_in_the_order_planned(fake_clock: FakeClock) -> None:
    faults = (
        Faults().too_many(retry_after=2, times=2).unavailable().slow(3).unavailable(retry_after=1.5)
    )
    assert repr(faults) == "<Faults: 5 planned, 0 met>"
    met = [faults.next() for _ in range(6)]
    assert met == [
        Fault(429, {"Retry-After": "2"}),
        Fault(429, {"Retry-After": "2"}),
        Fault(503),
        Fault(delay=3.0),
        Fault(503, {"Retry-After": "1.5"}),
        None,
    ]
    assert fake_clock.monotonic() == 3  # the slow answer took its time on the clock
    assert [when for when, _ in faults.met] == [0, 0, 0, 0, 3]
    assert repr(faults) == "<Faults: 0 planned, 5 met>"


def test_an_outage_refuses_every_request_until_it_is_over(fake_clock: FakeClock) -> None:
    faults = Faults().too_many().outage(10)
    fake_clock.advance(9.5)
    assert faults.next() == Fault(refused=True)
    fake_clock.advance(0.5)
    assert faults.next() == Fault(429, {"Retry-After": "1"})  # what was planned comes after


def test_retry_after_as_an_http_date(fake_clock: FakeClock) -> None:
    fault = Faults().too_many(retry_after=30, http_date=True).next()
    assert fault is not None
    assert fault.headers["Retry-After"].endswith(" GMT")  # as HTTP dates are written
    when = email.utils.parsedate_to_datetime(fault.headers["Retry-After"])
    assert 28 <= when.timestamp() - time.time() <= 30


def test_a_fault_says_what_it_is() -> None:
    assert Fault().headers == {}
    assert repr(Fault()) == "Fault()"
    assert (
        repr(Fault(429, {"Retry-After": "2"})) == "Fault(status=429, headers={'Retry-After': '2'})"
    )
    assert repr(Fault(refused=True, delay=1.0)) == "Fault(refused=True, delay=1.0)"
    assert Fault(503) != Fault(429)
    assert Fault(503) != "503"
    with pytest.raises(TypeError):
        hash(Fault())


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda f: f.too_many(times=0), ValueError, r"times must be at least 1, got 0"),
        (lambda f: f.unavailable(times=True), TypeError, r"times must be an int, not True"),
        (lambda f: f.slow(-1), ValueError, r"^seconds must be a finite number of seconds >= 0"),
        (lambda f: f.outage(-5), ValueError, r"^seconds must be a finite number of seconds >= 0"),
        (lambda f: f.outage("5"), TypeError, r"^seconds must be"),
        (lambda f: f.too_many(retry_after=-2), ValueError, r"^retry_after must be a finite"),
        (lambda f: f.too_many(http_date="yes"), TypeError, r"http_date must be a bool, not 'yes'"),
    ],
)
def test_a_bad_plan_is_refused_naming_the_argument(call: Any, error: type, message: str) -> None:
    faults = Faults()
    with pytest.raises(error, match=message):
        call(faults)
    assert repr(faults) == "<Faults: 0 planned, 0 met>"


def test_registering_stands_for_a_provider_in_a_block_only() -> None:
    reference = {"provider": "acme-test", "backend": None, "job_id": "a-1"}

    def restored(ref: dict[str, Any]) -> Any:
        return HttpJob(HttpBackend("http://acme"), ref["job_id"])

    with pytest.raises(jobv1.JobError, match="no provider named 'acme-test'"):
        restore(reference)
    with registering("acme-test", restored):
        assert restore(reference).job_id() == "a-1"
        with registering("acme-test", lambda ref: restored({"job_id": "a-1"})):
            assert restore(reference).job_id() == "a-1"
        assert restore(reference).job_id() == "a-1"  # the outer one is back
    with pytest.raises(jobv1.JobError, match="no provider named 'acme-test'"):
        restore(reference)
    with pytest.raises(TypeError, match="provider must be a str, not 3"), registering(3, restored):  # type: ignore[arg-type]
        pass
    with pytest.raises(TypeError, match="restore must be callable, not 'x'"), registering("a", "x"):  # type: ignore[arg-type]
        pass


class Service:
    """The reference service's submit and state endpoints, faked in memory on the fake clock."""

    def __init__(self, clock: FakeClock, faults: Faults) -> None:
        self.clock, self.faults = clock, faults
        self.ends: dict[str, float] = {}
        self.requests: list[tuple[float, str, int]] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        fault = self.faults.next()
        if fault is not None and fault.refused:
            raise httpx.ConnectError("refused", request=request)
        path, now = request.url.path, self.clock.monotonic()
        if fault is not None and fault.status is not None:
            self.requests.append((now, path, fault.status))
            return httpx.Response(fault.status, headers=fault.headers, json={"error": "fault"})
        self.requests.append((now, path, 200))
        body = json.loads(request.content or b"{}")
        if path == "/jobs":
            job_id = f"job-{len(self.ends) + 1}"
            self.ends[job_id] = now + body["run"]
            return httpx.Response(201, json={"id": job_id})
        if path == "/jobs/states":
            return httpx.Response(200, json={"jobs": [self.state(i) for i in body["ids"]]})
        return httpx.Response(200, json=self.state(path.split("/")[2]))  # GET /jobs/ID

    def state(self, job_id: str) -> dict[str, str]:
        done = self.clock.monotonic() >= self.ends[job_id]
        return {"id": job_id, "state": "COMPLETED" if done else "RUNNING"}


def test_a_429_on_a_batch_holds_every_request_until_its_retry_after(fake_clock: FakeClock) -> None:
    """Server backpressure in virtual time: after a 429 asking for 5 s, nothing for 5 s."""
    faults = Faults()
    service = Service(fake_clock, faults)
    client = httpx.Client(transport=httpx.MockTransport(service.handle), base_url="http://fake")
    backend = HttpBackend("http://fake", client=client)
    backend.max_status_batch = 10
    jobs = [backend.run(run=20 + n % 5) for n in range(50)]
    service.requests.clear()
    fake_clock.advance(1)
    faults.unavailable(retry_after=3).too_many(retry_after=5).outage(0.5)
    outcome = jobv1.wait(jobs)
    assert (outcome.done, outcome.failures) == (set(jobs), {})
    refused_at = faults.met[0][0]
    (told,) = [when for when, path, status in service.requests if status == 429]
    assert all(
        when >= told + 5 for when, path, status in service.requests if when > told
    )  # the hold reached every request, not only the one told
    assert refused_at == 1
    assert fake_clock.monotonic() >= 24
    assert [job.status() for job in jobs[:3]] == [JobStatus.DONE] * 3
    with registering(PROVIDER, lambda ref: HttpJob(backend, ref["job_id"])):
        again = restore(jobs[0].to_reference())
    assert again.status() is JobStatus.DONE
    faults.unavailable(retry_after=1)
    with pytest.raises(UnavailableError):
        again.status()
    faults.too_many()
    with pytest.raises(TooManyRequestsError):
        again.status()
