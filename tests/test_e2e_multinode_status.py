"""The status page of one node of several: its id, Redis, and the binds the others announced."""

from __future__ import annotations

import time
import urllib.request

from tests.clusterkit import WAIT
from tests.test_e2e_multinode import nodes, redis_server  # noqa: F401 - fixtures
from tests.test_e2e_smpp_receipts import bind


def status_until(node, done) -> dict:
    """GET /api/v1/status until done(status) holds (an announcement takes a moment to arrive)."""
    deadline = time.monotonic() + WAIT
    while True:
        code, status = node.get("/api/v1/status")
        assert code == 200
        if done(status) or time.monotonic() > deadline:
            return status


def test_a_node_status_lists_the_binds_another_node_announced(nodes):  # noqa: F811
    a, b = nodes
    receiver = bind(b, "app", "app", "receiver")
    try:
        seen = status_until(a, lambda s: any("app:7000" in p["binds"] for p in s["cluster"]["peers"]))
        cluster = seen["cluster"]
        assert cluster["redis_up"] is True
        assert cluster["binds_here"] == []  # the bind is B's, and A's own binds table is empty
        assert seen["binds"] == []
        (peer,) = [p for p in cluster["peers"] if "app:7000" in p["binds"]]
        assert "rx:app" in peer["binds"] and 0 < peer["lease_seconds"] <= 15
        own = status_until(b, lambda s: "app:7000" in s["cluster"]["binds_here"])
        assert own["cluster"]["node"] == peer["node"]  # B knows itself by the id A sees
        assert [x["system_id"] for x in own["binds"]] == ["app"]
    finally:
        receiver.unbind()
        receiver.disconnect()
    with urllib.request.urlopen(a.base + "/status", timeout=30) as response:
        page = response.read().decode("utf-8")
    assert "Nodes, Redis up" in page and peer["node"] in page
