"""kill -9 between submit_sm_resp and delivery: the message (and its receipt) survives.

smpplib submits; the gateway is SIGKILLed while the message is still pending (its handset is
switched off, or the network delays it, or only one segment of a long message is in); a new
gateway on the same data directory delivers it."""

from __future__ import annotations

import signal

import smpplib.consts as c

from tests.gatewayproc import GatewayProcess
from tests.test_e2e_smpp_multipart import MT_ADDRESSES, udh_parts
from tests.test_e2e_smpp_receipts import A, B, bind, mt, next_receipt, parsed, receipted_id, submit

DELAYED_CONFIG = """
simulation:
  sms:
    "79261112233": {delay: 3600}
"""


def killed(gateway: GatewayProcess) -> None:
    gateway.process.send_signal(signal.SIGKILL)
    gateway.process.wait(timeout=15)
    assert gateway.process.returncode == -signal.SIGKILL
    gateway.stop()  # closes the log


def test_kill_9_while_the_handset_is_off_then_delivered_with_its_receipt_after_restart(tmp_path):
    first = GatewayProcess(tmp_path)
    first.start()
    try:
        assert first.request("PATCH", f"/api/v1/handsets/{B}", {"switched_on": False})[0] == 200
        app = bind(first, "app", "app", kind="transmitter")
        message_id = mt(app, B, "пережило kill -9")
    finally:
        killed(first)
    second = GatewayProcess(tmp_path)
    second.start()
    try:
        assert "пережило kill -9" not in [m["text"] for m in second.inbox(B)]
        receiver = bind(second, "app", "app", kind="receiver")
        assert second.request("PATCH", f"/api/v1/handsets/{B}", {"switched_on": True})[0] == 200
        receipt = next_receipt(receiver)
        assert receipted_id(receipt) == message_id and parsed(receipt)["stat"] == "DELIVRD"
        assert second.inbox(B)[-1]["text"] == "пережило kill -9"
        receiver.disconnect()
    finally:
        second.stop()


def test_kill_9_during_a_simulated_delay_delivers_on_restart(tmp_path):
    config = tmp_path / "gateway.yaml"
    config.write_text(DELAYED_CONFIG, encoding="utf-8")
    first = GatewayProcess(tmp_path, "--config", str(config))
    first.start()
    try:
        app = bind(first, "app", "app")
        message_id = mt(app, B, "delayed by the network")
    finally:
        killed(first)
    second = GatewayProcess(tmp_path)  # no delay configured any more: the wait counts as served
    second.start()
    try:
        receiver = bind(second, "app", "app", kind="receiver")
        receipt = next_receipt(receiver)
        assert receipted_id(receipt) == message_id and parsed(receipt)["stat"] == "DELIVRD"
        assert second.inbox(B)[-1]["text"] == "delayed by the network"
        receiver.disconnect()
    finally:
        second.stop()


def test_kill_9_between_the_segments_of_a_long_message(tmp_path):
    text = "Сегмент за сегментом, даже после падения шлюза сообщение собирается целиком. " * 2
    parts = udh_parts(text.encode("utf-16-be"), 134, 0x33, sixteen_bit=False)
    assert len(parts) == 3
    first = GatewayProcess(tmp_path)
    first.start()
    try:
        app = bind(first, "app", "app", kind="transmitter")
        ids = [submit(app, short_message=p, data_coding=c.SMPP_ENCODING_ISO10646, esm_class=c.SMPP_GSMFEAT_UDHI,
                      registered_delivery=1, **MT_ADDRESSES) for p in parts[:2]]
    finally:
        killed(first)
    second = GatewayProcess(tmp_path)
    second.start()
    try:
        app = bind(second, "app", "app")
        ids.append(submit(app, short_message=parts[2], data_coding=c.SMPP_ENCODING_ISO10646,
                          esm_class=c.SMPP_GSMFEAT_UDHI, registered_delivery=1, **MT_ADDRESSES))
        assert {receipted_id(next_receipt(app)) for _ in parts} == set(ids)
        assert second.inbox(A)[-1]["text"] == text
        app.disconnect()
    finally:
        second.stop()


def test_segments_stored_but_never_routed_are_routed_on_restart(tmp_path):
    """The narrowest crash: every segment committed, the process killed before the whole was
    routed. The store is left exactly so (rows written while the gateway is down)."""
    import sqlite3

    first = GatewayProcess(tmp_path)
    first.start()  # creates and migrates the store
    killed(first)
    text = "Собрано после перезапуска: € [x] {y}"
    data = text.encode("utf-16-be")
    halves = [data[:30], data[30:]]
    db = sqlite3.connect(tmp_path / "var" / "gateway.sqlite3")
    with db:
        for seqnum, half in enumerate(halves, start=1):
            db.execute(
                "INSERT INTO sms_submits (system_id, source_addr, destination_addr, registered_delivery, data_coding,"
                " payload, text, ref, total, seqnum, routed, state, error, submitted_at)"
                " VALUES ('app', '7000', ?, 1, 8, ?, '', 9, 2, ?, 0, 6, 0, 1.0)",
                (A, half, seqnum),
            )
    ids = [str(row[0]) for row in db.execute("SELECT id FROM sms_submits ORDER BY id")]
    db.close()
    second = GatewayProcess(tmp_path)
    second.start()
    try:
        receiver = bind(second, "app", "app", kind="receiver")
        assert {receipted_id(next_receipt(receiver)) for _ in ids} == set(ids)
        assert second.inbox(A)[-1]["text"] == text
        receiver.disconnect()
    finally:
        second.stop()


def test_mo_held_for_an_unbound_application_survives_kill_9(tmp_path):
    first = GatewayProcess(tmp_path)
    first.start()
    try:
        handsets = bind(first, "handsets", "handsets", kind="transmitter")
        message_id = submit(handsets, source_addr=A, source_addr_ton=1, source_addr_npi=1, destination_addr="7000",
                            dest_addr_ton=3, dest_addr_npi=0, short_message=b"order while the app is down",
                            registered_delivery=1)
    finally:
        killed(first)
    second = GatewayProcess(tmp_path)
    second.start()
    try:
        handsets = bind(second, "handsets", "handsets", kind="receiver")
        app = bind(second, "app", "app", kind="receiver")
        while not app.received:
            app.read_once()
        assert app.received[0].short_message == b"order while the app is down"
        assert receipted_id(next_receipt(handsets)) == message_id
        app.disconnect()
        handsets.disconnect()
    finally:
        second.stop()


def test_kill_9_keeps_a_scheduled_mt_and_the_reassembly_timeout_of_an_incomplete_one(tmp_path):
    first = GatewayProcess(tmp_path, "--test-clock")
    first.start()
    try:
        app = bind(first, "app", "app", kind="transmitter")
        scheduled = submit(app, source_addr="7000", source_addr_ton=3, source_addr_npi=0, destination_addr=A,
                           dest_addr_ton=1, dest_addr_npi=1, short_message=b"at 2 minutes", registered_delivery=1,
                           schedule_delivery_time="000000000200000R")
        parts = udh_parts("Никогда не дойдёт целиком. ".encode("utf-16-be") * 6, 134, 91, sixteen_bit=False)
        segment = submit(app, short_message=parts[0], data_coding=c.SMPP_ENCODING_ISO10646,
                         esm_class=c.SMPP_GSMFEAT_UDHI, registered_delivery=1, **MT_ADDRESSES)
    finally:
        killed(first)
    second = GatewayProcess(tmp_path, "--test-clock")
    second.start()
    try:
        receiver = bind(second, "app", "app", kind="receiver")
        assert second.request("PATCH", f"/api/v1/handsets/{A}", {"switched_on": True})[0] == 200
        assert second.post("/api/v1/clock/advance", {"seconds": 100})[0] == 200
        assert "at 2 minutes" not in [m["text"] for m in second.inbox(A)]  # not early after the restart
        assert second.post("/api/v1/clock/advance", {"seconds": 30})[0] == 200
        receipt = next_receipt(receiver)
        assert receipted_id(receipt) == scheduled and parsed(receipt)["stat"] == "DELIVRD"
        assert second.inbox(A)[-1]["text"] == "at 2 minutes"
        assert second.post("/api/v1/clock/advance", {"seconds": 600})[0] == 200
        receipt = next_receipt(receiver)
        assert receipted_id(receipt) == segment and parsed(receipt)["stat"] == "UNDELIV"
        receiver.disconnect()
    finally:
        second.stop()
