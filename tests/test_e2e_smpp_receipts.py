"""Delivery receipts over real sockets, smpplib as the ESME: registered_delivery honoured,
one receipt per message with the submit_sm_resp's id, kept until a receiving bind appears."""

from __future__ import annotations

import re

import smpplib.client
import smpplib.consts as c

A, B = "79261234567", "79261112233"
APP_NUMBER = "7000"
ESME_RX_P_APPN = 0x65  # not among smpplib's constants
RECEIPT = re.compile(
    r"id:(?P<id>\S+) sub:001 dlvrd:(?P<dlvrd>\d{3}) submit date:(?P<submit>\d{10}) "
    r"done date:(?P<done>\d{10}) stat:(?P<stat>[A-Z]{7}) err:(?P<err>\d{3}) text:(?P<text>.*)$",
    re.DOTALL,
)


def bind(gateway, system_id, password, kind="transceiver", on_deliver=None) -> smpplib.client.Client:
    client = smpplib.client.Client(*gateway.smpp, timeout=10, allow_unknown_opt_params=True)
    client.connect()
    getattr(client, f"bind_{kind}")(system_id=system_id, password=password)
    client.received = []

    def received(pdu):
        client.received.append(pdu)
        return on_deliver(pdu) if on_deliver is not None else None

    client.set_message_received_handler(received)
    return client


def submit(client, **fields) -> str:
    """One submit_sm; its message_id once the submit_sm_resp is in."""
    sent = []
    client.set_message_sent_handler(lambda pdu: sent.append(pdu))
    client.send_message(**fields)
    while not sent:
        client.read_once()
    assert sent[0].status == 0
    return sent[0].message_id.decode()


def mo(client, source, destination, text, registered_delivery=1) -> str:
    return submit(client, source_addr=source, destination_addr=destination, registered_delivery=registered_delivery,
                  source_addr_ton=1, source_addr_npi=1, dest_addr_ton=3, dest_addr_npi=0, **_coded(text))


def mt(client, destination, text, registered_delivery=1) -> str:
    return submit(client, source_addr=APP_NUMBER, destination_addr=destination,
                  registered_delivery=registered_delivery, source_addr_ton=3, source_addr_npi=0,
                  dest_addr_ton=1, dest_addr_npi=1, **_coded(text))


def _coded(text: str) -> dict:
    try:
        return {"short_message": text.encode("ascii"), "data_coding": 0}
    except UnicodeEncodeError:
        return {"short_message": text.encode("utf-16-be"), "data_coding": c.SMPP_ENCODING_ISO10646}


def next_receipt(client):
    """Read until a deliver_sm with esm_class 4 arrives; return it (other deliveries are kept)."""
    while True:
        for pdu in client.received:
            if pdu.esm_class & 0x3C == 0x04:
                client.received.remove(pdu)
                return pdu
        client.read_once()


def text_of(pdu) -> str:
    raw = pdu.short_message
    return raw.decode("utf-16-be") if pdu.data_coding == c.SMPP_ENCODING_ISO10646 else raw.decode("ascii")


def parsed(receipt) -> dict:
    match = RECEIPT.match(text_of(receipt))
    assert match, text_of(receipt)
    return match.groupdict()


def receipted_id(receipt) -> str:
    value = receipt.receipted_message_id
    return value.decode() if isinstance(value, bytes) else str(value)


def test_application_mt_receipt_is_delivrd_with_the_submit_sm_resp_id(gateway):
    app = bind(gateway, "app", "app")
    message_id = mt(app, A, "Your code for the shop is 1234, thanks")
    receipt = next_receipt(app)
    fields = parsed(receipt)
    assert fields["id"] == message_id and receipted_id(receipt) == message_id
    assert (fields["stat"], fields["dlvrd"], fields["err"]) == ("DELIVRD", "001", "000")
    assert fields["text"] == "Your code for the sh"
    assert receipt.message_state == c.SMPP_MESSAGE_STATE_DELIVERED
    assert (receipt.source_addr.decode(), receipt.destination_addr.decode()) == (A, APP_NUMBER)
    assert gateway.inbox(A)[-1]["text"] == "Your code for the shop is 1234, thanks"
    app.disconnect()


def test_cyrillic_receipt_repeats_twenty_characters_in_ucs2(gateway):
    app = bind(gateway, "app", "app")
    text = "Ваш заказ №42 доставлен курьером сегодня"
    message_id = mt(app, A, text)
    fields = parsed(next_receipt(app))
    assert fields["id"] == message_id and fields["text"] == text[:20]
    app.disconnect()


def test_mobile_mo_to_a_handset_and_to_a_service_number_get_receipts(gateway):
    handsets = bind(gateway, "handsets", "handsets")
    to_handset = mo(handsets, A, B, "hello B")
    to_service = mo(handsets, A, "000110", "help")
    ids = {receipted_id(next_receipt(handsets)), receipted_id(next_receipt(handsets))}
    assert ids == {to_handset, to_service}
    handsets.disconnect()


def test_mo_to_an_application_is_delivrd_on_deliver_sm_resp_ok_and_undeliv_on_a_permanent_error(gateway):
    refuse = []
    app = bind(gateway, "app", "app", kind="receiver",
               on_deliver=lambda pdu: ESME_RX_P_APPN if refuse else None)
    handsets = bind(gateway, "handsets", "handsets")
    accepted = mo(handsets, A, APP_NUMBER, "order 7")
    while not app.received:
        app.read_once()
    receipt = next_receipt(handsets)
    assert receipted_id(receipt) == accepted and parsed(receipt)["stat"] == "DELIVRD"
    assert (receipt.source_addr.decode(), receipt.destination_addr.decode()) == (APP_NUMBER, A)
    refuse.append(True)
    refused = mo(handsets, A, APP_NUMBER, "order 8", registered_delivery=2)  # failure only
    while len(app.received) < 2:
        app.read_once()
    receipt = next_receipt(handsets)
    fields = parsed(receipt)
    # SMPP 3.4's permanent application error ends it at once (a temporary one is retried:
    # test_e2e_smpp_network.py); err is the status, three decimal digits
    assert (receipted_id(receipt), fields["stat"], fields["err"]) == (refused, "UNDELIV", "101")
    assert receipt.message_state == c.SMPP_MESSAGE_STATE_UNDELIVERABLE
    app.disconnect()
    handsets.disconnect()


def test_failure_only_and_no_receipt_requests_send_nothing_on_success(gateway):
    app = bind(gateway, "app", "app")
    mt(app, A, "no receipt wanted", registered_delivery=0)
    mt(app, A, "failure only", registered_delivery=2)
    wanted = mt(app, A, "final receipt", registered_delivery=1)
    assert receipted_id(next_receipt(app)) == wanted  # the first receipt is the one asked for
    app.disconnect()


def test_receipt_waits_for_a_receiving_bind_and_is_sent_exactly_once(gateway):
    transmitter = bind(gateway, "app", "app", kind="transmitter")
    first = mt(transmitter, A, "while nobody listens")
    transmitter.unbind()
    transmitter.disconnect()
    receiver = bind(gateway, "app", "app", kind="transceiver")
    assert receipted_id(next_receipt(receiver)) == first
    receiver.unbind()
    receiver.disconnect()
    again = bind(gateway, "app", "app")
    second = mt(again, A, "after the receipt was taken")
    assert receipted_id(next_receipt(again)) == second  # the first one is not sent twice
    again.disconnect()


def test_receipt_pending_survives_a_restart(tmp_path):
    from tests.gatewayproc import GatewayProcess

    gateway = GatewayProcess(tmp_path)
    gateway.start()
    try:
        transmitter = bind(gateway, "app", "app", kind="transmitter")
        message_id = mt(transmitter, A, "stored before restart")
        transmitter.disconnect()
    finally:
        gateway.stop()
    restarted = GatewayProcess(tmp_path)
    restarted.start()
    try:
        receiver = bind(restarted, "app", "app", kind="receiver")
        assert receipted_id(next_receipt(receiver)) == message_id
        receiver.disconnect()
    finally:
        restarted.stop()
