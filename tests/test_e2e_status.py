"""The status page over HTTP: binds, dialogues, calls, queues of a real gateway."""

from __future__ import annotations

import urllib.request

import pytest

from tests.gatewayproc import GatewayProcess
from tests.test_e2e_smpp_receipts import A, B, bind, mt

C = "79267654321"


@pytest.fixture
def gateway(tmp_path):
    process = GatewayProcess(tmp_path)
    process.start()
    yield process
    process.stop()


def status(gateway) -> dict:
    code, body = gateway.get("/api/v1/status")
    assert code == 200, body
    return body


def test_status_lists_a_bind_an_open_dialogue_and_a_call_without_inputs(gateway):
    app = bind(gateway, "app", "app", kind="transceiver")
    screen = gateway.ussd(B, "*105#")
    assert screen["end"] is False
    gateway.ussd(B, "3")  # a submenu: the dialogue stays open, its input must not show
    code, call = gateway.post(f"/api/v1/handsets/{C}/calls", {"to": "0505"})
    assert code == 201, call

    now = status(gateway)
    [listed] = now["binds"]
    assert (listed["system_id"], listed["role"], listed["kind"]) == ("app", "application", "transceiver")
    host, port = app._socket.getsockname()
    assert listed["peer"].endswith(f"{host}:{port}") and listed["outstanding"] == 0 and listed["window"] >= 1
    [dialogue] = now["dialogues"]
    assert set(dialogue) == {"msisdn", "service_code", "since", "age_seconds", "state", "server", "transport"}
    assert (dialogue["msisdn"], dialogue["service_code"], dialogue["state"]) == (B, "105", "handset")
    [voice] = now["calls"]
    assert (voice["caller"], voice["number"], voice["call_id"]) == (C, "0505", call["call_id"])
    assert now["queues"] == {"store": 0, "pending_receipts": 0, "held_sms": 0}
    assert now["uptime_seconds"] >= 0 and now["version"] == "0.1.0"

    with urllib.request.urlopen(gateway.base + "/status", timeout=10) as response:
        assert response.headers["content-type"].startswith("text/html")
        page = response.read().decode()
    assert "Gateway status" in page and B in page and C in page and "0505" in page and "<td>105</td>" in page
    assert screen["text"].splitlines()[0] not in page  # a screen is what the subscriber saw: not shown

    app.unbind()
    app.disconnect()
    gateway.request("DELETE", f"/api/v1/handsets/{B}/ussd")
    gateway.request("DELETE", f"/api/v1/calls/{call['call_id']}")
    after = status(gateway)
    assert after["binds"] == [] and after["dialogues"] == [] and after["calls"] == []


def test_status_counts_held_sms_and_pending_receipts(gateway):
    assert gateway.request("PATCH", f"/api/v1/handsets/{A}", {"switched_on": False})[0] == 200
    app = bind(gateway, "app", "app", kind="transmitter")  # receipts wait: it cannot receive them
    mt(app, A, "held for a switched-off handset")
    mt(app, B, "delivered at once")
    now = status(gateway)
    # B's DELIVRD receipt waits until a receiving bind of `app` takes it.
    assert (now["queues"]["held_sms"], now["queues"]["pending_receipts"]) == (1, 1)
    assert gateway.request("PATCH", f"/api/v1/handsets/{A}", {"switched_on": True})[0] == 200
    now = status(gateway)
    assert (now["queues"]["held_sms"], now["queues"]["pending_receipts"]) == (0, 2)
    app.disconnect()


def test_the_page_escapes_what_peers_and_numbers_carry():
    from gateway.status import render

    status = {"version": "0.1.0", "started_at": "2026-11-25T10:00:00.000+00:00", "uptime_seconds": 1.0,
              "queues": {"store": 0, "pending_receipts": 0, "held_sms": 0},
              "binds": [{"system_id": "<b>app</b>", "role": "application", "kind": "receiver",
                         "peer": "<script>alert(1)</script>", "since": "-", "outstanding": 0, "window": 10,
                         "queued": 0}],
              "dialogues": [], "calls": []}
    page = render(status)
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;app&lt;/b&gt;" in page and "USSD dialogues (0)" in page
