"""The test clock: `gateway run --test-clock` and POST /api/v1/clock/advance."""

from __future__ import annotations

import logging
import math

import pytest
from twisted.internet.testing import MemoryReactorClock

from gateway.testclock import InvalidAdvance, TestClock, check_advance
from tests.gatewayproc import GatewayProcess

A = "79261234567"


def test_time_stands_still_until_advanced_and_advance_fires_the_timers_due():
    reactor = MemoryReactorClock()
    clock = TestClock(reactor, 1000.0)
    fired = []
    clock.callLater(30, lambda: fired.append(("reply timeout", clock.seconds())))
    clock.callLater(180, lambda: fired.append(("dialogue limit", clock.seconds())))
    reactor.advance(3600)  # real time passing does not move the test clock
    assert clock.seconds() == 1000.0 and fired == []
    clock.advance(29)
    assert fired == []
    clock.advance(1)
    assert fired == [("reply timeout", 1030.0)]
    clock.advance(500)
    assert fired == [("reply timeout", 1030.0), ("dialogue limit", 1530.0)]


def test_calls_due_at_once_run_on_the_next_turn_of_the_real_reactor():
    reactor = MemoryReactorClock()
    clock = TestClock(reactor, 0.0)
    fired = []
    clock.callLater(0, fired.append, "group commit")
    clock.callLater(0, fired.append, "receipt")
    assert fired == [] and len(reactor.getDelayedCalls()) == 1  # one wake-up for both
    reactor.advance(0)
    assert fired == ["group commit", "receipt"] and clock.seconds() == 0.0


def test_a_failing_timer_is_logged_and_the_others_still_run(caplog):
    clock = TestClock(MemoryReactorClock(), 0.0)
    fired = []
    clock.callLater(1, lambda: 1 / 0)
    clock.callLater(2, fired.append, "next")
    with caplog.at_level(logging.ERROR, logger="gateway.testclock"):
        clock.advance(5)
    assert fired == ["next"]
    assert "ZeroDivisionError" in caplog.text


def test_cancelled_and_reset_timers():
    clock = TestClock(MemoryReactorClock(), 0.0)
    fired = []
    cancelled = clock.callLater(10, fired.append, "cancelled")
    moved = clock.callLater(10, fired.append, "moved")
    cancelled.cancel()
    moved.reset(20)
    clock.advance(15)
    assert fired == []
    clock.advance(5)
    assert fired == ["moved"]


@pytest.mark.parametrize("amount", [-1, math.nan, math.inf, True, "10", None, 1e12])
def test_advances_that_make_no_sense_are_refused(amount):
    with pytest.raises(InvalidAdvance):
        check_advance(amount)


def test_without_test_clock_advance_is_404(tmp_path):
    gateway = GatewayProcess(tmp_path)
    gateway.start()
    try:
        assert gateway.post("/api/v1/clock/advance", {"seconds": 5}) == (404, {
            "error": "no_test_clock", "message": "the gateway runs on real time; start it with --test-clock"})
        status, clock = gateway.get("/api/v1/clock")
        assert status == 200 and clock["test_clock"] is False
    finally:
        gateway.stop()


def test_ussd_timeout_on_the_test_clock_end_to_end(tmp_path):
    gateway = GatewayProcess(tmp_path, "--test-clock")
    gateway.start()
    try:
        _, before = gateway.get("/api/v1/clock")
        assert before["test_clock"] is True
        opened = gateway.ussd(A, "*105#")
        assert opened["end"] is False
        status, now = gateway.post("/api/v1/clock/advance", {"seconds": 29})
        assert status == 200 and now["seconds"] == before["seconds"] + 29
        assert gateway.get(f"/api/v1/handsets/{A}/ussd")[1]["end"] is False
        gateway.post("/api/v1/clock/advance", {"seconds": 1})
        status, screen = gateway.get(f"/api/v1/handsets/{A}/ussd")
        assert screen == {"session_id": opened["session_id"], "text": "Время ожидания ответа истекло.", "end": True}
        for bad in ({"seconds": -3}, {"seconds": "ten"}, {}):
            status, body = gateway.post("/api/v1/clock/advance", bad)
            assert status == 400 and body["error"] in ("invalid_field", "missing_field")
        assert gateway.get("/api/v1/clock")[1]["seconds"] == before["seconds"] + 30  # bad input moved nothing
    finally:
        gateway.stop()
