"""A reference provider on a real HTTP API, and the job service it talks to.

:mod:`.service` is a small job service with a rate limit and fault
injection, served on 127.0.0.1; :mod:`.provider` is a jobv1 provider for
it on httpx, written as ``docs/provider.md`` teaches. The integration tests
(``tests/test_http_provider.py``) and the benchmark
(``benchmarks/http_service.py``) run one against the other.
"""
