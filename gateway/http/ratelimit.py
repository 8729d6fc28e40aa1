"""Limits at the HTTP port's door: requests per second per remote address (429
`rate_limited` with Retry-After), request bodies cut off while they arrive (413), and
the operator endpoints behind `admin_token` (docs/config.md)."""

from __future__ import annotations

import hmac
import io
import math
import re

from twisted.internet.interfaces import IReactorTime
from twisted.web.server import Request

# Buckets idle long enough to be full again are forgotten once there are this many.
_SWEEP_AT = 10_000


class RateLimiter:
    """A token bucket per remote address: `rate` requests per second, `burst` at once.

    Time comes from `clock` (the reactor; a task.Clock in tests), never from the
    gateway's test clock, which stands still between advances.
    """

    def __init__(self, rate: float, burst: float, clock: IReactorTime) -> None:
        self.rate = rate
        self.burst = max(burst, 1.0)
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # address -> (tokens, when)

    def admit(self, address: str) -> float:
        """0 when the request may go on; otherwise the seconds until it would be admitted."""
        if self.rate <= 0:
            return 0.0
        now = self._clock.seconds()
        tokens, then = self._buckets.get(address, (self.burst, now))
        tokens = min(self.burst, tokens + (now - then) * self.rate)
        if tokens < 1.0:
            self._buckets[address] = (tokens, now)
            return (1.0 - tokens) / self.rate
        if len(self._buckets) >= _SWEEP_AT and address not in self._buckets:
            self._sweep(now)
        self._buckets[address] = (tokens - 1.0, now)
        return 0.0

    def _sweep(self, now: float) -> None:
        full_after = self.burst / self.rate
        self._buckets = {a: (t, w) for a, (t, w) in self._buckets.items() if now - w < full_after}

    def __len__(self) -> int:
        return len(self._buckets)


def retry_after(wait: float) -> str:
    """The Retry-After header value: whole seconds, at least 1."""
    return str(max(1, math.ceil(wait)))


def admin_allowed(token: str | None, authorization: bytes | None) -> bool:
    """Open when no token is configured; else `Authorization: Bearer <token>`, compared in constant time."""
    if not token:
        return True
    header = (authorization or b"").decode("latin-1")
    if not header.lower().startswith("bearer "):
        return False
    return hmac.compare_digest(header[7:].strip().encode("utf-8", "replace"), token.encode("utf-8"))


class _Discard(io.BytesIO):
    """Where the bytes of a body that is already too large go: nowhere."""

    def write(self, data) -> int:
        return len(data)


def limited_request(max_body: int) -> type[Request]:
    """A twisted.web Request class that stops keeping a body past `max_body` bytes, whether
    announced by Content-Length or sent chunked, and marks it `body_too_large`."""

    class LimitedRequest(Request):
        def __init__(self, *args, **kw) -> None:
            super().__init__(*args, **kw)
            self.max_body = max_body
            self.body_too_large = False
            self._received = 0

        def gotLength(self, length: int | None) -> None:
            if length is not None and length > max_body:
                self.body_too_large = True
                self.content = _Discard()
                return
            super().gotLength(length)

        def handleContentChunk(self, data: bytes) -> None:
            self._received += len(data)
            if self._received > max_body and not self.body_too_large:
                self.body_too_large = True
                self.content.close()
                self.content = _Discard()
            self.content.write(data)

    return LimitedRequest


# The operator's endpoints: behind `admin_token` when one is configured.
ADMIN_ROUTES = (
    (b"POST", re.compile(r"/api/v1/corporate/clients")),
    (b"PUT", re.compile(r"/api/v1/simulation/sms")),
    (b"DELETE", re.compile(r"/api/v1/simulation/sms/[^/]+")),
    (b"POST", re.compile(r"/api/v1/clock/advance")),
    (b"GET", re.compile(r"/api/v1/status")),  # lists subscribers' numbers
    (b"GET", re.compile(r"/status")),
)
UNLIMITED = frozenset({"/healthz"})  # liveness probes are never refused


class Door:
    """What every API request passes first: body size, the rate limit, the admin token."""

    def __init__(self, limiter: RateLimiter | None = None, admin_token: str | None = None) -> None:
        self.limiter = limiter
        self.admin_token = admin_token

    def refusal(self, request, path: str) -> tuple[int, dict] | None:
        """(status, error body) to answer instead of routing, or None; sets Retry-After on a 429."""
        if self.limiter is not None and path not in UNLIMITED:
            wait = self.limiter.admit(_address(request))
            if wait:
                request.setHeader(b"retry-after", retry_after(wait).encode())
                return 429, {"error": "rate_limited", "message": "too many requests from this address; retry later"}
        if getattr(request, "body_too_large", False):
            return 413, {"error": "payload_too_large",
                         "message": f"a request body is at most {request.max_body} bytes"}
        operator = any(m == request.method and p.fullmatch(path) for m, p in ADMIN_ROUTES)
        if operator and not admin_allowed(self.admin_token, request.getHeader(b"authorization")):
            request.setHeader(b"www-authenticate", b'Bearer realm="gateway admin"')
            return 401, {"error": "admin_required",
                         "message": "this operator endpoint needs Authorization: Bearer <admin_token>"}
        return None


def _address(request) -> str:
    peer = request.getClientAddress()
    return getattr(peer, "host", None) or str(peer)
