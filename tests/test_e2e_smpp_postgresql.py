"""The SMSC's durable store on PostgreSQL: long MT reassembled with a receipt per segment,
a held message queried, replaced on the way and delivered, group commits under load."""

from __future__ import annotations

import pytest
import smpplib.consts as c

from tests.gatewayproc import GatewayProcess
from tests.test_e2e_smpp_multipart import CYRILLIC, MT_ADDRESSES, receipts_for, udh_parts
from tests.test_e2e_smpp_receipts import A, B, bind, mt, next_receipt, receipted_id, submit


@pytest.fixture
def pg_gateway(tmp_path, pg_url):
    process = GatewayProcess(tmp_path, "--db", pg_url)
    process.start()
    yield process
    process.stop()


def test_long_mt_and_a_held_message_on_postgresql(pg_gateway):
    gateway = pg_gateway
    app = bind(gateway, "app", "app")
    parts = udh_parts(CYRILLIC.encode("utf-16-be"), 134, 0x1234, sixteen_bit=True)
    ids = [submit(app, short_message=p, data_coding=c.SMPP_ENCODING_ISO10646, esm_class=c.SMPP_GSMFEAT_UDHI,
                  registered_delivery=1, **MT_ADDRESSES) for p in parts]
    assert set(receipts_for(app, len(parts))) == set(ids)
    assert gateway.inbox(A)[-1]["text"] == CYRILLIC
    assert gateway.request("PATCH", f"/api/v1/handsets/{B}", {"switched_on": False})[0] == 200
    held = mt(app, B, "held on PostgreSQL")
    assert gateway.request("PATCH", f"/api/v1/handsets/{B}", {"switched_on": True})[0] == 200
    assert receipted_id(next_receipt(app)) == held
    assert gateway.inbox(B)[-1]["text"] == "held on PostgreSQL"
    app.disconnect()


def test_pipelined_submits_are_all_answered_and_stored_on_postgresql(pg_gateway):
    gateway = pg_gateway
    app = bind(gateway, "app", "app")
    sent = []
    app.set_message_sent_handler(lambda pdu: sent.append(pdu))
    for n in range(40):  # pipelined: they arrive while commits run, and share them
        app.send_message(source_addr="7000", source_addr_ton=3, destination_addr=A, dest_addr_ton=1,
                         dest_addr_npi=1, short_message=f"burst {n}".encode(), registered_delivery=0)
    while len(sent) < 40:
        app.read_once()
    assert all(pdu.status == 0 for pdu in sent)
    assert len({pdu.message_id for pdu in sent}) == 40
    texts = [m["text"] for m in gateway.inbox(A)]
    assert [t for t in texts if t.startswith("burst ")] == [f"burst {n}" for n in range(40)]
    app.disconnect()
