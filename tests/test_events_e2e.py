"""The events WebSocket `/api/v1/handsets/{msisdn}/events` against a real `gateway run`, with
a real WebSocket client (`websockets`)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from tests.gatewayproc import GatewayProcess, password_in

A, B = "79261234567", "79261112233"
WAIT = 15.0  # seconds before a missing event fails the test


@contextmanager
def events_of(gateway: GatewayProcess, msisdn: str) -> Iterator[ClientConnection]:
    """A socket watching `msisdn`, once the server says it is watching."""
    host, port = gateway.ports["http"]
    with connect(f"ws://{host}:{port}/api/v1/handsets/{msisdn}/events", open_timeout=WAIT) as socket:
        assert next_event(socket)["type"] == "subscribed"
        yield socket


def next_event(socket: ClientConnection, kind: str | None = None) -> dict:
    """The next event (of `kind`, skipping others); fails after WAIT seconds without one."""
    deadline = time.monotonic() + WAIT
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            pytest.fail(f"no {kind or 'event'} within {WAIT} s")
        event = json.loads(socket.recv(timeout=left))
        if kind is None or event["type"] == kind:
            return event


def test_password_sms_arrives_live_as_an_inbox_item(gateway):
    with events_of(gateway, A) as socket:
        status, sent = gateway.post(f"/api/v1/handsets/{A}/sms", {"to": "000110", "text": "00"})
        assert status == 202
        event = next_event(socket, "sms")
    inbox = gateway.inbox(A)
    assert event == {"type": "sms", **inbox[-1]}
    assert event["from"] == "000110" and password_in(event["text"])
    # The code is in the handset's own events and inbox only: never in the log.
    assert password_in(event["text"]) not in gateway.log()


def test_plus_and_8_forms_watch_the_same_handset(gateway):
    host, port = gateway.ports["http"]
    with connect(f"ws://{host}:{port}/api/v1/handsets/+{A}/events") as socket:
        assert next_event(socket) == {"type": "subscribed", "msisdn": A}
    with events_of(gateway, "+" + A) as plus, events_of(gateway, "8" + A[1:]) as eight:
        gateway.ussd(A, "*105*00#")
        assert next_event(plus, "sms")["id"] == next_event(eight, "sms")["id"]


def test_sms_between_handsets_reaches_only_the_recipient(gateway):
    with events_of(gateway, A) as a, events_of(gateway, B) as b:
        assert gateway.post(f"/api/v1/handsets/{A}/sms", {"to": B, "text": "Привет"})[0] == 202
        event = next_event(b, "sms")
        assert (event["from"], event["text"]) == (A, "Привет")
        gateway.post(f"/api/v1/handsets/{A}/sms", {"to": "000110", "text": "00"})
        # A's first event is its own password: the SMS it sent to B never came back to A.
        assert next_event(a, "sms")["from"] == "000110"


def test_ussd_pushes_and_call_prompts_arrive(gateway):
    with events_of(gateway, B) as socket:
        gateway.post(f"/api/v1/handsets/{B}/ussd/push", {"text": "Оцените связь: 1-5", "type": "request"})
        event = next_event(socket, "ussd")
        assert (event["text"], event["end"]) == ("Оцените связь: 1-5", False)
        gateway.ussd(B, "5")
        gateway.post(f"/api/v1/handsets/{B}/ussd/push", {"text": "Баланс пополнен", "type": "notify"})
        event = next_event(socket, "ussd")
        assert (event["text"], event["end"]) == ("Баланс пополнен", True)

        status, call = gateway.post(f"/api/v1/handsets/{B}/calls", {"to": "0505"})
        assert status == 201
        event = next_event(socket, "call")
        assert (event["call_id"], event["state"], event["prompt"]) == (call["call_id"], "active", call["prompt"])
        status, ended = gateway.request("DELETE", f"/api/v1/calls/{call['call_id']}")
        assert status == 200
        event = next_event(socket, "call")
        while event["state"] != "ended":
            event = next_event(socket, "call")
        assert event["call_id"] == call["call_id"]


def test_handset_toggles_arrive_as_account_events(gateway):
    with events_of(gateway, A) as socket:
        status, _ = gateway.request("PATCH", f"/api/v1/handsets/{A}", {"roaming": True})
        assert status == 200
        event = next_event(socket, "account")
        assert (event["msisdn"], event["roaming"], event["switched_on"]) == (A, True, True)


def test_unknown_and_malformed_numbers_are_refused_in_the_handshake(gateway):
    host, port = gateway.ports["http"]
    for number, status in (("79990000000", 404), ("12ab", 400)):
        with pytest.raises(InvalidStatus) as refused, \
                connect(f"ws://{host}:{port}/api/v1/handsets/{number}/events", open_timeout=WAIT):
            pass
        assert refused.value.response.status_code == status
    # A plain HTTP request for the socket: the API's error form.
    status, body = gateway.get(f"/api/v1/handsets/{A}/events")
    assert (status, body["error"]) == (426, "upgrade_required")
    # The gateway keeps serving.
    with events_of(gateway, A):
        assert gateway.get("/healthz") == (200, {"status": "ok"})


def test_a_closed_socket_stops_watching_and_the_gateway_keeps_delivering(gateway):
    with events_of(gateway, A) as first:
        first.close()
    with events_of(gateway, A) as socket:
        gateway.post(f"/api/v1/handsets/{A}/sms", {"to": "000110", "text": "00"})
        assert next_event(socket, "sms")["from"] == "000110"
    assert "Traceback" not in gateway.log()


def test_ussd_timeout_reaches_the_handset_live(tmp_path):
    """The end of a dialogue the handset did not answer in time is shown without asking."""
    gateway = GatewayProcess(tmp_path, "--test-clock")
    gateway.start()
    try:
        with events_of(gateway, A) as socket:
            opened = gateway.ussd(A, "*105#")
            assert gateway.post("/api/v1/clock/advance", {"seconds": 31})[0] == 200
            event = next_event(socket, "ussd")
        assert (event["session_id"], event["end"]) == (opened["session_id"], True)
        assert event["text"] == "Время ожидания ответа истекло."
    finally:
        gateway.stop()
