"""Long messages over real sockets with smpplib as the ESME: UDH (8- and 16-bit references),
SAR TLVs and message_payload, MO and MT; each segment answered with its own message_id and
given exactly one receipt carrying that id; the handset inbox shows the reassembled text."""

from __future__ import annotations

import pytest
import smpplib.consts as c
import smpplib.exceptions
import smpplib.gsm

from gateway.sms.text import decode_text, segments
from tests.test_e2e_smpp_receipts import (
    APP_NUMBER,
    A,
    B,
    bind,
    mt,
    next_receipt,
    parsed,
    receipted_id,
    submit,
)

GSM_EXTENDED = "Prices in €: [bread] {milk} ~ ^ \\ | " * 6  # 40 characters, 10 extension ones, ×6
CYRILLIC = "Здравствуйте! Ваш заказ №42 собран и передан курьеру, ожидайте звонка. " * 3
MT_ADDRESSES = dict(source_addr=APP_NUMBER, source_addr_ton=3, source_addr_npi=0, destination_addr=A,
                    dest_addr_ton=1, dest_addr_npi=1)
MO_ADDRESSES = dict(source_addr=A, source_addr_ton=1, source_addr_npi=1, dest_addr_ton=1, dest_addr_npi=1)


def udh_parts(data: bytes, size: int, reference: int, sixteen_bit: bool) -> list[bytes]:
    chunks = [data[i:i + size] for i in range(0, len(data), size)]
    if sixteen_bit:
        head = [bytes([6, 0x08, 4, reference >> 8, reference & 0xFF, len(chunks), i]) for i in range(1, len(chunks) + 1)]
    else:
        head = [bytes([5, 0x00, 3, reference, len(chunks), i]) for i in range(1, len(chunks) + 1)]
    return [h + chunk for h, chunk in zip(head, chunks, strict=True)]


def receipts_for(client, count: int) -> dict[str, dict]:
    """The next `count` receipts, by receipted_message_id (a repeated id would collapse)."""
    got = {}
    for _ in range(count):
        receipt = next_receipt(client)
        message_id = receipted_id(receipt)
        assert message_id not in got, f"second receipt for {message_id}"
        got[message_id] = parsed(receipt) | {"state": receipt.message_state}
    return got


def assert_no_more_receipts(client) -> None:
    """A fresh message's receipt is the next one: nothing was sent twice or left over."""
    marker = mt(client, A, "marker")
    assert receipted_id(next_receipt(client)) == marker


def test_mt_udh_8_bit_gsm7_extension_characters_reassembled_with_one_receipt_per_segment(gateway):
    app = bind(gateway, "app", "app")
    parts, coding, esm_class = smpplib.gsm.make_parts(GSM_EXTENDED)  # may cut an escape pair in two
    assert len(parts) >= 2 and coding == c.SMPP_ENCODING_DEFAULT and esm_class == c.SMPP_GSMFEAT_UDHI
    ids = [submit(app, short_message=p, data_coding=coding, esm_class=esm_class, registered_delivery=1,
                  **MT_ADDRESSES) for p in parts]
    assert len(set(ids)) == len(parts)
    receipts = receipts_for(app, len(parts))
    assert set(receipts) == set(ids)
    assert all(r["stat"] == "DELIVRD" and r["state"] == c.SMPP_MESSAGE_STATE_DELIVERED for r in receipts.values())
    assert gateway.inbox(A)[-1]["text"] == GSM_EXTENDED
    assert_no_more_receipts(app)
    app.disconnect()


def test_mt_udh_16_bit_reference_cyrillic_ucs2_out_of_order(gateway):
    app = bind(gateway, "app", "app")
    parts = udh_parts(CYRILLIC.encode("utf-16-be"), 134, 0xBEEF, sixteen_bit=True)
    order = list(reversed(range(len(parts))))
    ids = {}
    for i in order:
        ids[i] = submit(app, short_message=parts[i], data_coding=c.SMPP_ENCODING_ISO10646,
                        esm_class=c.SMPP_GSMFEAT_UDHI, registered_delivery=1, **MT_ADDRESSES)
    receipts = receipts_for(app, len(parts))
    assert set(receipts) == set(ids.values())
    first_segment_text = CYRILLIC[:67]
    assert receipts[ids[0]]["text"] == first_segment_text[:20]
    assert gateway.inbox(A)[-1]["text"] == CYRILLIC
    app.disconnect()


def test_mt_sar_tlvs_cyrillic_with_failure_only_receipts_sends_none(gateway):
    app = bind(gateway, "app", "app")
    data = CYRILLIC.encode("utf-16-be")
    chunks = [data[i:i + 134] for i in range(0, len(data), 134)]
    for seqnum, chunk in enumerate(chunks, start=1):
        submit(app, short_message=chunk, data_coding=c.SMPP_ENCODING_ISO10646, registered_delivery=2,
               sar_msg_ref_num=0x0102, sar_total_segments=len(chunks), sar_segment_seqnum=seqnum, **MT_ADDRESSES)
    assert gateway.inbox(A)[-1]["text"] == CYRILLIC
    assert_no_more_receipts(app)  # delivered: failure-only receipts stay unsent
    app.disconnect()


def test_mt_message_payload_is_one_message_with_one_id_and_one_receipt(gateway):
    app = bind(gateway, "app", "app")
    text = "{long} [payload] € " * 12  # 228 characters, over one segment
    data = smpplib.gsm.gsm_encode(text)
    message_id = submit(app, short_message=None, message_payload=data, data_coding=0, registered_delivery=1,
                        **MT_ADDRESSES)
    assert set(receipts_for(app, 1)) == {message_id}
    assert gateway.inbox(A)[-1]["text"] == text
    assert_no_more_receipts(app)
    app.disconnect()


def test_mo_sar_segments_to_another_handset_each_get_a_receipt(gateway):
    handsets = bind(gateway, "handsets", "handsets")
    data = CYRILLIC.encode("utf-16-be")
    chunks = [data[i:i + 134] for i in range(0, len(data), 134)]
    ids = [submit(handsets, short_message=chunk, data_coding=c.SMPP_ENCODING_ISO10646, registered_delivery=1,
                  destination_addr=B, sar_msg_ref_num=77, sar_total_segments=len(chunks), sar_segment_seqnum=n,
                  **MO_ADDRESSES) for n, chunk in enumerate(chunks, start=1)]
    receipts = receipts_for(handsets, len(chunks))
    assert set(receipts) == set(ids)
    assert gateway.inbox(B)[-1] == {**gateway.inbox(B)[-1], "from": A, "text": CYRILLIC}
    handsets.disconnect()


def test_mo_udh_to_an_application_arrives_whole_and_each_segment_gets_delivrd(gateway):
    app = bind(gateway, "app", "app", kind="receiver")
    handsets = bind(gateway, "handsets", "handsets")
    parts = udh_parts(smpplib.gsm.gsm_encode(GSM_EXTENDED), 153, 9, sixteen_bit=False)
    ids = [submit(handsets, short_message=p, esm_class=c.SMPP_GSMFEAT_UDHI, registered_delivery=1,
                  destination_addr=APP_NUMBER, **{**MO_ADDRESSES, "dest_addr_ton": 3, "dest_addr_npi": 0})
           for p in parts]
    # The application gets the text again in segments of its own; joined, it is the original.
    while len(app.received) < len(segments(GSM_EXTENDED)):
        app.read_once()  # answering each deliver_sm: the receipts wait for that
    receipts = receipts_for(handsets, len(parts))
    assert set(receipts) == set(ids) and {r["stat"] for r in receipts.values()} == {"DELIVRD"}
    delivered = sorted(app.received, key=lambda pdu: pdu.sequence)
    octets = b"".join(pdu.short_message[pdu.short_message[0] + 1:] for pdu in delivered)
    assert decode_text(delivered[0].data_coding, octets) == GSM_EXTENDED
    app.disconnect()
    handsets.disconnect()


def test_segment_to_an_unknown_subscriber_is_refused_at_once(gateway):
    app = bind(gateway, "app", "app")
    app.send_message(short_message=b"\x05\x00\x03\x01\x02\x01first half", esm_class=c.SMPP_GSMFEAT_UDHI,
                     **{**MT_ADDRESSES, "destination_addr": "79990000000"})
    with pytest.raises(smpplib.exceptions.PDUError) as refused:
        app.read_once()
    assert refused.value.args[1] == c.SMPP_ESME_RINVDSTADR
    app.disconnect()


def test_query_sm_shows_a_waiting_segment_accepted_then_delivered(gateway):
    app = bind(gateway, "app", "app")
    parts = udh_parts(CYRILLIC.encode("utf-16-be"), 134, 0x44, sixteen_bit=False)
    first = submit(app, short_message=parts[0], data_coding=c.SMPP_ENCODING_ISO10646, esm_class=c.SMPP_GSMFEAT_UDHI,
                   registered_delivery=0, **MT_ADDRESSES)
    assert query_state(app, first) == c.SMPP_MESSAGE_STATE_ACCEPTED
    for part in parts[1:]:
        submit(app, short_message=part, data_coding=c.SMPP_ENCODING_ISO10646, esm_class=c.SMPP_GSMFEAT_UDHI,
               registered_delivery=0, **MT_ADDRESSES)
    assert query_state(app, first) == c.SMPP_MESSAGE_STATE_DELIVERED
    app.disconnect()


def query_state(client, message_id: str) -> int:
    answers = []
    client.set_query_resp_handler(lambda pdu: answers.append(pdu))
    client.query_message(message_id=message_id, source_addr_ton=3, source_addr_npi=0, source_addr=APP_NUMBER)
    while not answers:
        client.read_once()
    return answers[0].message_state


def test_long_mo_to_an_unbound_application_waits_for_its_bind_then_each_segment_gets_delivrd(gateway):
    handsets = bind(gateway, "handsets", "handsets")
    text = "x" * 150 + "{€}" * 50
    parts = udh_parts(smpplib.gsm.gsm_encode(text), 153, 5, sixteen_bit=False)
    fields = dict(esm_class=c.SMPP_GSMFEAT_UDHI, registered_delivery=0x11, destination_addr=APP_NUMBER,
                  **{**MO_ADDRESSES, "dest_addr_ton": 3, "dest_addr_npi": 0})
    ids = [submit(handsets, short_message=p, **fields) for p in parts]  # accepted: the SMSC keeps them
    enroute = receipts_for(handsets, len(parts))
    assert set(enroute) == set(ids) and {r["stat"] for r in enroute.values()} == {"ENROUTE"}
    assert query_state_of(handsets, ids[0]) == c.SMPP_MESSAGE_STATE_ENROUTE
    app = bind(gateway, "app", "app", kind="receiver")
    while len(app.received) < len(segments(text)):
        app.read_once()
    delivered = sorted(app.received, key=lambda pdu: pdu.sequence)
    octets = b"".join(pdu.short_message[pdu.short_message[0] + 1:] if pdu.esm_class & c.SMPP_GSMFEAT_UDHI
                      else pdu.short_message for pdu in delivered)
    assert decode_text(delivered[0].data_coding, octets) == text
    assert delivered[0].source_addr.decode() == A
    final = receipts_for(handsets, len(parts))
    assert set(final) == set(ids) and {r["stat"] for r in final.values()} == {"DELIVRD"}
    app.disconnect()
    handsets.disconnect()


def query_state_of(client, message_id: str) -> int:
    answers = []
    client.set_query_resp_handler(lambda pdu: answers.append(pdu))
    client.query_message(message_id=message_id, source_addr_ton=1, source_addr_npi=1, source_addr=A)
    while not answers:
        client.read_once()
    return answers[0].message_state
