"""The HTTP port's door (gateway/http/ratelimit.py) on an injected clock and an in-memory
transport: token buckets per address, Retry-After, bodies cut off while they arrive, the
admin token."""

from __future__ import annotations

import json

from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.web.resource import Resource
from twisted.web.server import Site

from gateway.http.jsonio import read_json
from gateway.http.ratelimit import Door, RateLimiter, admin_allowed, limited_request, retry_after


def test_a_bucket_admits_the_burst_then_the_rate_per_address():
    clock = Clock()
    limiter = RateLimiter(rate=2.0, burst=3.0, clock=clock)
    assert [limiter.admit("10.0.0.1") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.admit("10.0.0.1") == 0.5  # one token comes back in half a second
    assert limiter.admit("10.0.0.2") == 0.0  # another address has its own bucket
    clock.advance(0.5)
    assert limiter.admit("10.0.0.1") == 0.0
    assert limiter.admit("10.0.0.1") > 0
    clock.advance(60)  # refilled, but never beyond the burst
    assert [limiter.admit("10.0.0.1") for _ in range(4)][-1] > 0


def test_rate_zero_is_no_limit_and_retry_after_is_whole_seconds():
    limiter = RateLimiter(rate=0, burst=1, clock=Clock())
    assert all(limiter.admit("a") == 0 for _ in range(10_000))
    assert (retry_after(0.01), retry_after(1.0), retry_after(1.2)) == ("1", "1", "2")


def test_idle_buckets_are_forgotten_when_there_are_many():
    clock = Clock()
    limiter = RateLimiter(rate=100.0, burst=10.0, clock=clock)
    for n in range(10_000):
        limiter.admit(f"10.{n // 65536}.{n // 256 % 256}.{n % 256}")
    clock.advance(1)  # every bucket full again
    limiter.admit("192.0.2.1")
    assert len(limiter) == 1


def test_admin_token_is_required_only_when_configured():
    assert admin_allowed(None, None) and admin_allowed("", b"")
    assert admin_allowed("s3cret-token", b"Bearer s3cret-token")
    assert admin_allowed("s3cret-token", b"bearer  s3cret-token ")
    assert not admin_allowed("s3cret-token", None)
    assert not admin_allowed("s3cret-token", b"Bearer s3cret-tokeN")
    assert not admin_allowed("s3cret-token", b"Basic czNjcmV0LXRva2Vu")


class Echo(Resource):
    """Answers what the Door and read_json say about each request."""

    isLeaf = True

    def __init__(self, door: Door) -> None:
        super().__init__()
        self.door = door

    def render(self, request):
        refusal = self.door.refusal(request, request.path.decode())
        if refusal is not None:
            request.setResponseCode(refusal[0])
            return json.dumps(refusal[1]).encode()
        try:
            return json.dumps(read_json(request)).encode()
        except Exception as error:  # noqa: BLE001 - the test reads the error code
            request.setResponseCode(error.status)
            return json.dumps({"error": error.code}).encode()


def exchange(door: Door, raw: bytes, max_body: int = 1024) -> bytes:
    site = Site(Echo(door), requestFactory=limited_request(max_body))
    channel = site.buildProtocol(None)
    transport = StringTransport()
    channel.makeConnection(transport)
    channel.dataReceived(raw)
    channel.connectionLost(None)
    return transport.value()


def post(body: bytes, extra: bytes = b"") -> bytes:
    return (b"POST /api/v1/clock/advance HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + extra + b"Content-Length: %d\r\n\r\n" % len(body) + body)


def test_a_body_over_the_limit_is_413_whether_announced_or_chunked():
    door = Door()
    assert b"200 OK" in exchange(door, post(b'{"seconds": 1}'))
    assert b"413 " in exchange(door, post(b'{"pad": "' + b"x" * 2000 + b'"}'))
    chunks = b"".join(b"%x\r\n%s\r\n" % (400, b"y" * 400) for _ in range(5)) + b"0\r\n\r\n"
    chunked = (b"POST /api/v1/clock/advance HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks)
    assert b"413 " in exchange(door, chunked)


def test_the_door_refuses_an_address_over_its_rate_and_operator_calls_without_the_token():
    clock = Clock()
    door = Door(RateLimiter(rate=1.0, burst=2.0, clock=clock), admin_token="s3cret-token")
    auth = b"Authorization: Bearer s3cret-token\r\n"
    assert b"200 OK" in exchange(door, post(b'{"seconds": 1}', auth))
    answer = exchange(door, post(b'{"seconds": 1}'))
    assert b"401 " in answer and b"admin_required" in answer and b"WWW-Authenticate: Bearer" in answer
    answer = exchange(door, post(b'{"seconds": 1}', auth))
    assert b"429 " in answer and b"rate_limited" in answer and b"Retry-After: 1\r\n" in answer
    clock.advance(1)
    assert b"200 OK" in exchange(door, post(b'{"seconds": 1}', auth))
