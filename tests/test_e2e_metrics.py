"""Prometheus metrics at /metrics of a real gateway: traffic counted, live state read."""

from __future__ import annotations

import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from tests.gatewayproc import password_over_smpp

A = "79261234567"


def scrape(gateway) -> dict[tuple[str, tuple], float]:
    with urllib.request.urlopen(gateway.base + "/metrics", timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/plain")
        text = response.read().decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(samples, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_traffic_and_live_state_are_measured(gateway):
    before = scrape(gateway)
    gateway.ussd(A, "*105#")
    during = scrape(gateway)
    assert value(during, "gateway_ussd_open_dialogues") == 1
    gateway.ussd(A, "1")
    gateway.ussd(A, "1")  # the balance: an action, a store transaction
    assert gateway.post(f"/api/v1/handsets/{A}/ussd", {"input": "not ussd"})[0] == 400
    _, call = gateway.post(f"/api/v1/handsets/{A}/calls", {"to": "0505"})
    after = scrape(gateway)
    assert value(after, "gateway_ussd_open_dialogues") == 0
    assert value(after, "gateway_voice_active_calls") == 1
    assert value(after, "gateway_menu_actions_total", action="show_balance", channel="ussd", outcome="done") == 1
    assert value(after, "gateway_http_requests_total", route="ussd_input", status="200") - value(
        before, "gateway_http_requests_total", route="ussd_input", status="200") == 3
    assert value(after, "gateway_http_requests_total", route="ussd_input", status="400") == 1
    assert value(after, "gateway_http_request_seconds_count", route="ussd_input") >= 4
    assert value(after, "gateway_store_transaction_seconds_count", outcome="ok") > value(
        before, "gateway_store_transaction_seconds_count", outcome="ok")
    assert value(after, "gateway_store_queue_depth") == 0
    assert value(after, "gateway_smpp_binds") == 0
    gateway.request("DELETE", f"/api/v1/calls/{call['call_id']}")
    ended = scrape(gateway)
    assert value(ended, "gateway_voice_active_calls") == 0
    assert value(ended, "gateway_voice_calls_total", transport="api", reason="hung_up") == 1
    assert value(ended, "gateway_ussd_dialogues_total", outcome="completed") == 1


def test_smpp_pdus_and_sms_to_handsets_are_counted(gateway):
    password_over_smpp(gateway, A)
    samples = scrape(gateway)
    ok = "0x00000000"
    assert value(samples, "gateway_smpp_pdus_sent_total", command="bind_transceiver_resp", status=ok) == 1
    assert value(samples, "gateway_smpp_pdus_sent_total", command="submit_sm_resp", status=ok) == 1
    assert value(samples, "gateway_smpp_pdus_sent_total", command="deliver_sm", status=ok) >= 1
    assert value(samples, "gateway_sms_to_handsets_total") >= 1
