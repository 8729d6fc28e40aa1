"""Per-account throughput: a token bucket on the caller's clock (pure; time is passed in)."""

from __future__ import annotations


class TokenBucket:
    """`rate` messages per second on average, bursts up to `burst` (default: one second's worth)."""

    def __init__(self, rate: float, now: float, burst: float | None = None) -> None:
        if rate <= 0:
            raise ValueError("a throughput must be positive")
        self.rate = rate
        self.burst = max(1.0, burst if burst is not None else rate)
        self._tokens = self.burst
        self._at = now

    def take(self, now: float) -> bool:
        """Spend one token if there is one; False means over the limit."""
        if now > self._at:
            self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
            self._at = now
        if self._tokens < 1.0:
            return False
        self._tokens -= 1.0
        return True
