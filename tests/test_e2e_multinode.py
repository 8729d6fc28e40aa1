"""Two real `gateway run` nodes sharing one PostgreSQL database and one Redis (a private
redis-server): dialogues, MO, receipts and live events cross from one node to the other."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import smpplib.client

from tests.clusterkit import WAIT, RedisServer, start_node
from tests.test_e2e_smpp_receipts import bind, mo, mt, parsed, text_of
from tests.test_events_e2e import events_of, next_event

A, B = "79261234567", "79261112233"
APP_NUMBER = "7000"


@pytest.fixture
def redis_server():
    server = RedisServer()
    server.start()
    yield server
    server.kill()


@pytest.fixture
def nodes(tmp_path, pg_url, redis_server):
    """Node A then node B (B starts on the store A migrated)."""
    a = start_node(tmp_path, "a", pg_url, redis_server.url)
    b = start_node(tmp_path, "b", pg_url, redis_server.url)
    yield a, b
    for node in (a, b):
        node.stop()


@contextmanager
def binds(*specs: tuple) -> Iterator[list[smpplib.client.Client]]:
    """smpplib binds, each (node, account, kind), the account's password being its name;
    unbound and closed at the end."""
    clients: list[smpplib.client.Client] = []
    try:
        for node, account, kind in specs:
            clients.append(bind(node, account, account, kind))
        yield clients
    finally:
        for client in clients:
            client.unbind()
            client.disconnect()


def next_deliver(client: smpplib.client.Client):
    """Read the bind until a deliver_sm (not a receipt) arrives."""
    while True:
        pdu = delivered(client)
        if pdu is not None:
            return pdu
        client.read_once()


def delivered(client: smpplib.client.Client):
    for pdu in client.received:
        if pdu.command == "deliver_sm" and not pdu.esm_class & 0x04:
            client.received.remove(pdu)
            return pdu
    return None


def once_known(client: smpplib.client.Client, send) -> object:
    """`send()` until the bind on the other node has a deliver_sm: a node learns of a bind
    opened on another a moment after it opened (its announcement), and what it sends
    before goes only to the store. Reads wait one second at most (smpplib's timeout)."""
    client._socket.settimeout(1.0)
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        send()
        client.read_once()
        pdu = delivered(client)
        if pdu is not None:
            return pdu
    pytest.fail(f"nothing reached the bind within {WAIT} s")


def record(node, session_id: str) -> dict:
    """The dialogue's record in the shared store, once written (it is written after the end)."""
    deadline = time.monotonic() + WAIT
    while True:
        status, body = node.get(f"/api/v1/dialogues/{session_id}")
        if status == 200:
            return body
        assert time.monotonic() < deadline, f"no record of {session_id}"


def test_ussd_dialogue_dialled_on_a_is_answered_on_b_and_ended_on_a(nodes):
    a, b = nodes
    first = a.ussd(A, "*105#")
    assert not first["end"]
    second = b.ussd(A, "1")  # the balance menu, served by B
    assert second["session_id"] == first["session_id"] and not second["end"]
    third = a.ussd(A, "1")  # and A again: it sees what B did
    assert third["session_id"] == first["session_id"]
    assert third["end"] and "300.00" in third["text"]
    steps = [(s["kind"], s["text"]) for s in record(b, first["session_id"])["steps"]]
    assert ("reply", "1") in steps and steps[-1][0] == "end"
    # Ended on A: B's older copy is gone too, a reply there finds no dialogue to answer.
    status, body = b.post(f"/api/v1/handsets/{A}/ussd", {"input": "1"})
    assert status == 400, body


def test_ussd_cancel_on_b_ends_the_dialogue_opened_on_a(nodes):
    a, b = nodes
    opened = a.ussd(B, "*105#")
    assert b.request("DELETE", f"/api/v1/handsets/{B}/ussd")[0] == 204
    assert record(a, opened["session_id"])["outcome"] == "released"
    status, _ = a.post(f"/api/v1/handsets/{B}/ussd", {"input": "1"})
    assert status == 400


def test_screen_timeout_fires_once_on_the_node_that_served_last(tmp_path, pg_url, redis_server):
    config = tmp_path / "gateway.yaml"
    config.write_text("ussd:\n  screen_timeout: 2\n")
    a = start_node(tmp_path, "a", pg_url, redis_server.url, "--config", str(config))
    b = start_node(tmp_path, "b", pg_url, redis_server.url, "--config", str(config))
    try:
        with events_of(a, A) as seen:
            opened = a.ussd(A, "*105#")
            b.ussd(A, "1")  # A's copy is older now: its timer must not end the dialogue
            event = next_event(seen, "ussd")
        assert event["end"] and event["session_id"] == opened["session_id"]
        ended = record(a, opened["session_id"])
        assert ended["outcome"] == "timed_out"
        kinds = [s["kind"] for s in ended["steps"]]
        assert kinds.count("timeout") == 1 and "reply" in kinds  # ended from B's copy, once
        _, listing = a.get(f"/api/v1/handsets/{A}/dialogues")
        assert [d["id"] for d in listing].count(opened["session_id"]) == 1
    finally:
        a.stop()
        b.stop()


def test_http_mo_at_a_reaches_the_application_bound_to_b(nodes):
    a, b = nodes
    with binds((b, "app", "receiver")) as (app,):
        def send() -> None:  # refused (409) until A knows of B's bind: nothing is stored then
            status, body = a.post(f"/api/v1/handsets/{A}/sms", {"to": APP_NUMBER, "text": "через узел A"})
            assert status in (202, 409), body

        pdu = once_known(app, send)
        assert (pdu.source_addr.decode(), pdu.destination_addr.decode()) == (A, APP_NUMBER)
        assert text_of(pdu) == "через узел A"


def test_smpp_mo_at_a_reaches_the_application_bound_to_b_once(nodes):
    a, b = nodes
    with binds((b, "app", "transceiver"), (a, "handsets", "transmitter")) as (app, handsets):
        mo(handsets, A, APP_NUMBER, "hello app", registered_delivery=0)
        pdu = next_deliver(app)
        assert text_of(pdu) == "hello app"
        # A second MO goes the same way: the first was claimed once, not left to come again.
        mo(handsets, A, APP_NUMBER, "second", registered_delivery=0)
        assert text_of(next_deliver(app)) == "second"


def test_receipt_of_a_submit_on_b_reaches_the_bind_on_a(nodes):
    a, b = nodes
    with binds((a, "app", "receiver"), (b, "app", "transmitter")) as (receiver, sender):
        message_id = mt(sender, A, "квитанция", registered_delivery=1)
        while True:
            receipts = [p for p in receiver.received if p.esm_class & 0x3C == 0x04]
            if receipts:
                break
            receiver.read_once()
        fields = parsed(receipts[0])
        assert fields["id"] == message_id and fields["stat"] == "DELIVRD"


def test_web_events_on_b_show_an_sms_sent_through_a(nodes):
    a, b = nodes
    with events_of(b, B) as socket:
        assert a.post(f"/api/v1/handsets/{A}/sms", {"to": B, "text": "Привет с узла A"})[0] == 202
        event = next_event(socket, "sms")
    assert (event["from"], event["text"]) == (A, "Привет с узла A")
    assert event == {"type": "sms", **b.inbox(B)[-1]}


def test_sms_stored_on_a_reaches_the_mobile_bind_on_b(nodes):
    a, b = nodes
    with binds((b, "handsets", "receiver")) as (handsets,):
        pdu = once_known(handsets, lambda: a.post(f"/api/v1/handsets/{A}/sms", {"to": B, "text": "to the mobile bind"}))
        assert (pdu.source_addr.decode(), pdu.destination_addr.decode()) == (A, B)
        assert text_of(pdu) == "to the mobile bind"


def test_a_password_typed_on_a_never_reaches_redis_and_its_dialogue_ends_cleanly_on_b(nodes, redis_server):
    from tests.test_e2e_corporate_ussd import A as MANAGER
    from tests.test_e2e_corporate_ussd import enter, romashka

    a, b = nodes
    password = romashka(a)
    cabinet = enter(a, password)  # the CP_ password, typed on A, stays in the dialogue
    assert not cabinet["end"]
    client = redis_server.client()
    state = json.loads(client.get(f"gw:ussd:{MANAGER}"))
    assert state["session_id"] == cabinet["session_id"] and state["secrets"] == ["corp_password"]
    stored = [client.get(key) for key in client.keys("*") if client.type(key) == "string"]
    stored += [json.dumps(client.hgetall(key)) for key in client.keys("*") if client.type(key) == "hash"]
    stored += [" ".join(client.zrange(key, 0, -1)) for key in client.keys("*") if client.type(key) == "zset"]
    assert stored and all(password not in value for value in stored)
    with events_of(b, MANAGER) as socket:
        status, body = b.post(f"/api/v1/handsets/{MANAGER}/ussd", {"input": "1"})
        assert status == 400, body  # no dialogue to answer any more
        event = next_event(socket, "ussd")
    assert event["end"] and event["session_id"] == cabinet["session_id"]
    assert event["text"] == "Сеанс завершён."
    assert record(a, cabinet["session_id"])["outcome"] == "app_error"
    assert a.post(f"/api/v1/handsets/{MANAGER}/ussd", {"input": "1"})[0] == 400  # over on A too
    assert password not in a.log() + b.log()


def test_the_dialogue_of_a_killed_node_times_out_once_on_the_other(tmp_path, pg_url, redis_server):
    config = tmp_path / "gateway.yaml"
    config.write_text("ussd:\n  screen_timeout: 2\n")
    a = start_node(tmp_path, "a", pg_url, redis_server.url, "--config", str(config))
    b = start_node(tmp_path, "b", pg_url, redis_server.url, "--config", str(config))
    try:
        with events_of(b, A) as seen:
            opened = a.ussd(A, "*105#")
            a.process.kill()  # kill -9: its timer dies with it
            a.process.wait()
            event = next_event(seen, "ussd")  # B's sweeper found it overdue
        assert event["end"] and event["session_id"] == opened["session_id"]
        ended = record(b, opened["session_id"])
        assert ended["outcome"] == "timed_out"
        assert [s["kind"] for s in ended["steps"]].count("timeout") == 1
        assert "overdue and its node silent" in b.log()
    finally:
        a.stop()
        b.stop()


def test_metrics_show_redis_up_and_the_other_node(nodes):
    import urllib.request

    a, b = nodes
    for node in (a, b):
        deadline = time.monotonic() + WAIT
        while True:  # a node hears the other's announcement a moment after both started
            with urllib.request.urlopen(node.base + "/metrics", timeout=10) as response:
                text = response.read().decode()
            if "gateway_cluster_peers 1.0" in text:
                break
            assert time.monotonic() < deadline, text
        assert "gateway_cluster_redis_up 1.0" in text


def test_a_node_that_stops_takes_its_binds_out_of_the_others_view(nodes):
    a, b = nodes
    app = bind(b, "app", "app", "receiver")

    def send() -> None:
        status, body = a.post(f"/api/v1/handsets/{A}/sms", {"to": APP_NUMBER, "text": "before"})
        assert status in (202, 409), body

    assert text_of(once_known(app, send)) == "before"
    b.stop()  # SIGTERM: B says it leaves; A must not route to it any more
    status, body = a.post(f"/api/v1/handsets/{A}/sms", {"to": APP_NUMBER, "text": "after B left"})
    assert (status, body["error"]) == (409, "destination_unavailable"), body
