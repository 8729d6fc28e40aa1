"""The fresh gateway each scenario gets without --url: in this process, on a reactor thread,
with its own temporary store, and gone afterwards (gateway/scenario/hermetic.py)."""

from __future__ import annotations

import os
import threading

import pytest

from gateway.scenario.client import ApiError, HandsetApi, Unreachable
from gateway.scenario.hermetic import GatewayFailed, fresh_gateway


def test_each_fresh_gateway_has_its_own_store_and_test_clock_and_leaves_nothing_behind():
    with fresh_gateway() as base:
        api = HandsetApi(base)
        api.add_subscriber({"msisdn": "79160000001", "balance": "1.00"})
        started = api.clock()["now"]
        api.advance_clock(3600)
        assert api.clock()["now"] != started
    threads, fds = threading.active_count(), len(os.listdir("/proc/self/fd"))
    with pytest.raises(Unreachable):
        api.subscriber("79160000001")  # that gateway is gone
    for _ in range(3):
        with fresh_gateway() as base:
            api = HandsetApi(base)
            with pytest.raises(ApiError) as unknown:
                api.subscriber("79160000001")  # a store of its own: the demo subscribers only
            assert unknown.value.code == "unknown_number"
            assert api.subscriber("79261234567")["balance"] == "300.00"
    # No thread, socket or file left open by the gateways that came and went.
    assert (threading.active_count(), len(os.listdir("/proc/self/fd"))) == (threads, fds)


def test_a_gateway_that_cannot_start_is_reported(monkeypatch):
    monkeypatch.setenv("GATEWAY_HTTP_MAX_BODY", "lots")
    with pytest.raises(GatewayFailed), fresh_gateway():
        pass
