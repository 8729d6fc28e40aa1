"""A clock that stands still until told to move: `gateway run --test-clock`.

The services read `seconds()` and arm `callLater` on the clock they are given (the
reactor in production). With a test clock, time only moves by `advance(n)` (the HTTP API's
`POST /api/v1/clock/advance`), which fires every timer that falls due, as
`twisted.internet.task.Clock` does. Timers due at once (`callLater(0, …)`, the group
commit of dialogue records, SMS receipts) still run on the next turn of the real
reactor, so that nothing but the passing of time waits for an advance.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable

from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.internet.task import Clock

log = logging.getLogger(__name__)

MAX_ADVANCE = 10 * 366 * 86400.0  # ten years: enough for any billing story, finite for floats


class InvalidAdvance(ValueError):
    """An advance that is negative, not a number or absurdly large."""


class TestClock(Clock):
    """Virtual time on top of a real reactor (which still runs I/O and due calls)."""

    __test__ = False  # not a pytest test class, whatever its name

    def __init__(self, reactor: IReactorTime, start: float) -> None:
        super().__init__()
        self.rightNow = start
        self._reactor = reactor
        self._wakeup: IDelayedCall | None = None

    def callLater(self, delay: float, callable: Callable[..., object], *args: object, **kw: object) -> IDelayedCall:
        call = super().callLater(max(0.0, delay), callable, *args, **kw)
        if delay <= 0:
            self._wake()
        return call

    def advance(self, amount: float) -> None:
        """Move time forward by `amount` seconds and run every timer due by then."""
        check_advance(amount)
        self.rightNow += amount
        self._run_due()

    def _wake(self) -> None:
        if self._wakeup is None or not self._wakeup.active():
            self._wakeup = self._reactor.callLater(0, self._run_due)

    def _run_due(self) -> None:
        self._wakeup = None
        self._sortCalls()
        while self.calls and self.calls[0].getTime() <= self.rightNow:
            call = self.calls.pop(0)
            call.called = 1
            try:
                call.func(*call.args, **call.kw)
            except Exception:  # one failing timer must not keep the others from running, as in the reactor
                log.exception("timer %r failed", call.func)
            self._sortCalls()


def check_advance(amount: object) -> float:
    """The number of seconds to advance by, or InvalidAdvance saying what is wrong."""
    if isinstance(amount, bool) or not isinstance(amount, int | float):
        raise InvalidAdvance("seconds must be a number")
    if not math.isfinite(amount) or amount < 0:
        raise InvalidAdvance("seconds must be a finite number ≥ 0 (time never goes back)")
    if amount > MAX_ADVANCE:
        raise InvalidAdvance(f"seconds must be at most {MAX_ADVANCE:.0f} (ten years)")
    return float(amount)
