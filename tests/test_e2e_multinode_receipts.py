"""Two real nodes on one PostgreSQL store and a private Redis: receipts waiting in the store
when one ESME account binds a receiver on both nodes are sent once each across the two binds
(each node sends only those it claimed, gateway/cluster/receiptclaims.py)."""

from __future__ import annotations

import contextlib
import time
from collections import Counter

import smpplib.smpp

from tests.clusterkit import WAIT
from tests.test_e2e_multinode import A, nodes, redis_server  # noqa: F401 - fixtures
from tests.test_e2e_smpp_receipts import bind, mt, receipted_id

RECEIPTS = 20


def test_receipts_waiting_for_an_account_bound_on_both_nodes_are_sent_once_each(nodes):  # noqa: F811
    a, b = nodes
    sender = bind(a, "app", "app", "transmitter")  # no receiving bind of `app` anywhere yet
    receivers = []
    try:
        ids = {mt(sender, A, f"receipt {n}", registered_delivery=1) for n in range(RECEIPTS)}
        assert len(ids) == RECEIPTS
        wait_for(lambda: pending(a) == RECEIPTS, "the receipts stored")
        # Node a sends what waits as its bind opens; nothing is read (so nothing acknowledged
        # and deleted) before node b's bind opens too and its node loads what waits.
        receivers = [bind(a, "app", "app", "receiver"), bind(b, "app", "app", "receiver")]
        for receiver in receivers:
            receiver._socket.settimeout(0.2)
        deadline = time.monotonic() + WAIT
        while pending(a) or sum(len(r.received) for r in receivers) < RECEIPTS:
            assert time.monotonic() < deadline, f"receipts left: {pending(a)}"
            for receiver in receivers:
                read_some(receiver)
        for receiver in receivers:  # whatever either node sent before its answer to this is in
            sync(receiver)
        sent = Counter(receipted_id(pdu) for r in receivers for pdu in r.received if pdu.esm_class & 0x04)
        assert set(sent) == ids
        assert [n for n in sent.values() if n != 1] == [], "a receipt went to both binds"
    finally:
        for client in (sender, *receivers):
            client.unbind()
            client.disconnect()


def test_receipts_in_flight_on_a_bind_that_is_lost_go_to_the_other_node_at_once(nodes):  # noqa: F811
    a, b = nodes
    sender = bind(a, "app", "app", "transmitter")
    silent = receiver = None
    try:
        ids = {mt(sender, A, f"receipt {n}", registered_delivery=1) for n in range(RECEIPTS)}
        wait_for(lambda: pending(a) == RECEIPTS, "the receipts stored")
        silent = bind(a, "app", "app", "receiver")  # never reads: node a claims and sends, unanswered
        wait_for(lambda: outstanding(a, "receiver") > 0, "the receipts sent to the silent bind")
        receiver = bind(b, "app", "app", "receiver")  # node a's claims hold: node b's bind waits
        silent._socket.close()  # node a gives its claims up for node b, not at their lease's end (30 s)
        receiver._socket.settimeout(0.2)
        deadline = time.monotonic() + WAIT
        while pending(a):
            assert time.monotonic() < deadline, f"receipts left: {pending(a)}"
            read_some(receiver)
        sync(receiver)
        sent = Counter(receipted_id(pdu) for pdu in receiver.received if pdu.esm_class & 0x04)
        assert set(sent) == ids and set(sent.values()) == {1}
    finally:
        for client in (sender, receiver):
            if client is not None:
                client.unbind()
                client.disconnect()


def outstanding(node, kind: str) -> int:
    code, body = node.get("/api/v1/status")
    assert code == 200, body
    return sum(b["outstanding"] for b in body["binds"] if b["system_id"] == "app" and b["kind"] == kind)


def pending(node) -> int:
    code, body = node.get("/api/v1/status")
    assert code == 200, body
    return body["queues"]["pending_receipts"]


def wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"not {what} within {WAIT} s"


def read_some(client) -> None:
    """One PDU if one comes within the socket's timeout (deliver_sm are answered OK)."""
    with contextlib.suppress(TimeoutError):
        client.read_once(auto_send_enquire_link=False)


def sync(client) -> None:
    """enquire_link, reading (and answering) every deliver_sm until its response is in."""
    client._socket.settimeout(WAIT)
    client.send_pdu(smpplib.smpp.make_pdu("enquire_link", client=client))
    while True:
        pdu = client.read_pdu()
        if pdu.command == "enquire_link_resp":
            return
        if pdu.command == "deliver_sm":
            client._message_received(pdu)
