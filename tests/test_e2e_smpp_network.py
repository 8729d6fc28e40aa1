"""The SMSC as a network an ESME developer rehearses against, over real sockets on a gateway
with a test clock: throughput and window per account, bind limits, query_sm / cancel_sm /
replace_sm / submit_multi over the durable store, MT held for a switched-off handset,
validity periods, intermediate receipts and the simulation controls (config and HTTP).
smpplib and smpp.pdu3 (an independent codec) are the ESMEs; replace_sm and submit_multi,
which neither can encode, go through tests/rawesme.py."""

from __future__ import annotations

import datetime

import pytest
import smpplib.consts as c
import smpplib.exceptions
import smpplib.smpp
from smpp.pdu import operations as op
from smpp.pdu import pdu_types as t

from gateway.sms.errors import CommandStatus as S
from gateway.sms.pdus import SmeAddress
from tests.gatewayproc import GatewayProcess
from tests.pduesme import PduEsme
from tests.rawesme import RawEsme, text_of
from tests.test_e2e_smpp_multipart import udh_parts
from tests.test_e2e_smpp_receipts import (
    A,
    B,
    bind,
    mo,
    mt,
    next_receipt,
    parsed,
    receipted_id,
    submit,
)

C = "79267654321"  # always fails in this network (config below)
CONFIG = """
smpp:
  accounts:
    - {system_id: handsets, password: handsets, role: mobile}
    - {system_id: app, password: app, role: application, owns: ["7000"], window: 2}
    - {system_id: slow, password: slow, role: application, owns: ["7001"], throughput: 2}
    - {system_id: single, password: single, role: application, owns: ["7002"], max_binds: 1}
simulation:
  sms:
    "79267654321": {failure_rate: 1.0, error_code: 34}
"""


@pytest.fixture
def gateway(tmp_path):
    config = tmp_path / "gateway.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    process = GatewayProcess(tmp_path, "--config", str(config), "--test-clock")
    process.start()
    yield process
    process.stop()


def advance(gateway, seconds: float) -> None:
    status, body = gateway.post("/api/v1/clock/advance", {"seconds": seconds})
    assert status == 200, body


def switch(gateway, msisdn: str, on: bool) -> None:
    status, body = gateway.request("PATCH", f"/api/v1/handsets/{msisdn}", {"switched_on": on})
    assert status == 200, body


def raw_app(gateway, system_id="app", password="app") -> RawEsme:
    esme = RawEsme(gateway.smpp)
    esme.bind(system_id, password)
    return esme


def raw_request(esme: RawEsme, command: str, **params):
    sequence = esme.send(command, **params)
    return esme._wait(lambda p: p.is_response and p.sequence == sequence)


def mt_fields(source="7000", destination=A, text="hello", **extra) -> dict:
    return dict(source_addr=source, source_addr_ton=3, source_addr_npi=0, destination_addr=destination,
                dest_addr_ton=1, dest_addr_npi=1, short_message=text.encode("ascii"), **extra)


# -- throughput, window, binds ------------------------------------------------------------------


def test_throughput_excess_is_answered_throttled_and_the_bind_goes_on(gateway):
    slow = bind(gateway, "slow", "slow")
    for _ in range(2):  # one second's worth
        submit(slow, **mt_fields(source="7001", text="within the limit"))
    slow.send_message(**mt_fields(source="7001", text="over the limit"))
    with pytest.raises(smpplib.exceptions.PDUError) as throttled:
        slow.read_once()
    assert throttled.value.args[1] == S.ESME_RTHROTTLED == 0x58
    advance(gateway, 0.5)  # one token back
    assert submit(slow, **mt_fields(source="7001", text="after a pause"))
    slow.disconnect()


def test_window_keeps_deliver_sm_beyond_it_until_responses_come_back(gateway):
    app = bind(gateway, "app", "app", kind="receiver")  # window 2 in the config
    for n in range(4):
        status, _ = gateway.post(f"/api/v1/handsets/{A}/sms", {"to": "7000", "text": f"order {n}"})
        assert status == 202  # handed to the bind before the answer
    first, second = app.read_pdu(), app.read_pdu()  # read_pdu does not answer them
    assert (first.command, second.command) == ("deliver_sm", "deliver_sm")
    probe = smpplib.smpp.make_pdu("enquire_link", client=app)
    app.send_pdu(probe)
    held_back = app.read_pdu()  # everything written before the probe's answer has arrived by now
    assert (held_back.command, held_back.sequence) == ("enquire_link_resp", probe.sequence)
    answer(app, first)
    third = app.read_pdu()
    assert third.command == "deliver_sm" and third.short_message == b"order 2"
    answer(app, second)
    answer(app, third)
    assert app.read_pdu().short_message == b"order 3"
    app.disconnect()


def answer(client, deliver_sm) -> None:
    resp = smpplib.smpp.make_pdu("deliver_sm_resp", client=client)
    resp.sequence = deliver_sm.sequence
    client.send_pdu(resp)


def test_bind_limit_refuses_a_second_bind_until_the_first_is_gone(gateway):
    first = bind(gateway, "single", "single")
    second = smpplib.client.Client(*gateway.smpp, timeout=10, allow_unknown_opt_params=True)
    second.connect()
    with pytest.raises(smpplib.exceptions.PDUError) as refused:
        second.bind_transceiver(system_id="single", password="single")
    assert refused.value.args[1] == c.SMPP_ESME_RBINDFAIL
    first.unbind()
    first.disconnect()
    second.bind_transceiver(system_id="single", password="single")
    second.disconnect()


# -- query_sm, cancel_sm, replace_sm, submit_multi ------------------------------------------------


def test_query_sm_reports_the_final_state_and_date_with_a_second_client_library(gateway):
    esme = PduEsme(gateway.smpp)
    esme.bind("app", "app")
    resp = esme.submit_mt("7000", A, "Ваш код 1234")
    message_id = resp.params["message_id"].decode()
    receipt = esme.next_receipt()
    assert receipt.params["receipted_message_id"].decode() == message_id
    assert receipt.params["message_state"] == t.MessageState.DELIVERED
    assert "stat:DELIVRD" in receipt.params["short_message"].decode("utf-16-be")
    query = esme.request(op.QuerySM, message_id=message_id, source_addr="7000")
    assert query.status == t.CommandStatus.ESME_ROK
    assert query.params["message_state"] == t.MessageState.DELIVERED and query.params["final_date"] is not None
    unknown = esme.request(op.QuerySM, message_id="999999", source_addr="7000")
    assert unknown.status == t.CommandStatus.ESME_RQUERYFAIL
    # A delivered message is past cancelling.
    late = esme.request(op.CancelSM, message_id=message_id, source_addr="7000", destination_addr=A)
    assert late.status == t.CommandStatus.ESME_RCANCELFAIL
    esme.close()


def test_query_sm_of_another_accounts_message_fails(gateway):
    app = bind(gateway, "app", "app")
    message_id = mt(app, A, "mine", registered_delivery=0)
    app.disconnect()
    other = PduEsme(gateway.smpp)
    other.bind("slow", "slow")
    assert other.request(op.QuerySM, message_id=message_id, source_addr="").status == t.CommandStatus.ESME_RQUERYFAIL
    other.close()


def test_switched_off_handset_holds_mt_enroute_until_switched_on(gateway):
    switch(gateway, A, False)
    esme = PduEsme(gateway.smpp)
    esme.bind("app", "app")
    intermediate = t.RegisteredDelivery(t.RegisteredDeliveryReceipt.SMSC_DELIVERY_RECEIPT_REQUESTED,
                                        intermediateNotification=True)
    resp = esme.submit_mt("7000", A, "пока вы были вне сети", registered_delivery=intermediate)
    message_id = resp.params["message_id"].decode()
    enroute = esme.next_receipt()
    assert enroute.params["message_state"] == t.MessageState.ENROUTE
    assert "stat:ENROUTE" in enroute.params["short_message"].decode("utf-16-be")
    query = esme.request(op.QuerySM, message_id=message_id, source_addr="7000")
    assert query.params["message_state"] == t.MessageState.ENROUTE and query.params["final_date"] is None
    assert all(m["text"] != "пока вы были вне сети" for m in gateway.inbox(A))
    switch(gateway, A, True)
    final = esme.next_receipt()
    assert final.params["receipted_message_id"].decode() == message_id
    assert final.params["message_state"] == t.MessageState.DELIVERED
    assert gateway.inbox(A)[-1]["text"] == "пока вы были вне сети"
    esme.close()


def test_cancel_sm_removes_a_held_message_for_good(gateway):
    switch(gateway, B, False)
    esme = PduEsme(gateway.smpp)
    esme.bind("app", "app")
    message_id = esme.submit_mt("7000", B, "отменённое").params["message_id"].decode()
    cancel = esme.request(op.CancelSM, message_id=message_id, source_addr="7000", destination_addr=B)
    assert cancel.status == t.CommandStatus.ESME_ROK
    query = esme.request(op.QuerySM, message_id=message_id, source_addr="7000")
    assert query.params["message_state"] == t.MessageState.DELETED
    again = esme.request(op.CancelSM, message_id=message_id, source_addr="7000", destination_addr=B)
    assert again.status == t.CommandStatus.ESME_RCANCELFAIL
    switch(gateway, B, True)
    marker = esme.submit_mt("7000", B, "после отмены").params["message_id"].decode()
    assert esme.next_receipt().params["receipted_message_id"].decode() == marker  # nothing for the cancelled one
    assert [m["text"] for m in gateway.inbox(B)][-1] == "после отмены"
    assert "отменённое" not in [m["text"] for m in gateway.inbox(B)]
    esme.close()


def test_replace_sm_changes_a_held_message_and_fails_once_delivered(gateway):
    switch(gateway, B, False)
    esme = raw_app(gateway)
    resp = esme.submit(**mt_fields(destination=B, text="old text", registered_delivery=1, service_type=""))
    message_id = resp.params["message_id"]
    replaced = raw_request(esme, "replace_sm", message_id=message_id, source_addr="7000", short_message=b"new text")
    assert replaced.status == 0
    switch(gateway, B, True)
    assert gateway.inbox(B)[-1]["text"] == "new text"
    late = raw_request(esme, "replace_sm", message_id=message_id, source_addr="7000", short_message=b"too late")
    assert late.status == S.ESME_RREPLACEFAIL
    esme.close()


def test_submit_multi_answers_one_id_and_lists_the_refused_destinations(gateway):
    esme = raw_app(gateway)
    resp = raw_request(esme, "submit_multi", source_addr="7000", source_addr_ton=3, source_addr_npi=0,
                       dest_address=[SmeAddress(1, 1, A), SmeAddress(1, 1, "79990000000"), SmeAddress(1, 1, B)],
                       short_message=b"to everyone", registered_delivery=0)
    assert resp.status == 0 and resp.params["message_id"]
    [refused] = resp.params["unsuccess_sme"]
    assert (refused.address, refused.error_status) == ("79990000000", S.ESME_RINVDSTADR)
    assert gateway.inbox(A)[-1]["text"] == gateway.inbox(B)[-1]["text"] == "to everyone"
    nobody = raw_request(esme, "submit_multi", source_addr="7000", dest_address=[SmeAddress(1, 1, "79990000000")],
                         short_message=b"x")
    assert nobody.status == S.ESME_RSUBMITFAIL
    esme.close()


def test_submit_multi_receipts_of_every_destination_carry_the_one_message_id_answered(gateway):
    switch(gateway, B, False)  # B's receipt comes later, from a release, with the same id
    esme = raw_app(gateway)
    resp = raw_request(esme, "submit_multi", source_addr="7000", source_addr_ton=3, source_addr_npi=0,
                       dest_address=[SmeAddress(1, 1, A), SmeAddress(1, 1, B), SmeAddress(1, 1, C)],
                       short_message=b"to all three", registered_delivery=1)
    message_id = resp.params["message_id"]
    assert resp.status == 0 and not resp.params["unsuccess_sme"]
    switch(gateway, B, True)
    receipts = [esme.deliver(ussd=False) for _ in range(3)]
    got = sorted((r.params["source_addr"], r.params["receipted_message_id"], text_of(r).split(" stat:")[1][:7])
                 for r in receipts)
    assert got == sorted([(A, message_id, "DELIVRD"), (B, message_id, "DELIVRD"), (C, message_id, "UNDELIV")])
    assert all(text_of(r).startswith(f"id:{message_id} ") for r in receipts)
    esme.close()


def test_cancel_sm_of_a_submit_multi_id_cancels_every_held_destination(gateway):
    switch(gateway, A, False)
    switch(gateway, B, False)
    esme = raw_app(gateway)
    resp = raw_request(esme, "submit_multi", source_addr="7000", source_addr_ton=3, source_addr_npi=0,
                       dest_address=[SmeAddress(1, 1, A), SmeAddress(1, 1, B)], short_message=b"never mind")
    cancelled = raw_request(esme, "cancel_sm", message_id=resp.params["message_id"], source_addr="7000")
    assert cancelled.status == 0
    switch(gateway, A, True)
    switch(gateway, B, True)
    assert all(m["text"] != "never mind" for m in gateway.inbox(A) + gateway.inbox(B))
    esme.close()


def test_segments_of_a_long_message_never_completed_end_undeliv_after_the_reassembly_timeout(gateway):
    app = bind(gateway, "app", "app")
    parts = udh_parts("Часть длинного сообщения, которое не придёт целиком. ".encode("utf-16-be") * 3, 134, 77,
                      sixteen_bit=False)
    assert len(parts) == 3
    ids = [submit(app, short_message=p, data_coding=c.SMPP_ENCODING_ISO10646, esm_class=c.SMPP_GSMFEAT_UDHI,
                  registered_delivery=1, source_addr="7000", source_addr_ton=3, source_addr_npi=0,
                  destination_addr=A, dest_addr_ton=1, dest_addr_npi=1) for p in parts[:2]]
    advance(gateway, 599)  # the default smpp.reassembly_timeout is 600 s from the first segment
    marker = mt(app, A, "still waiting")
    assert receipted_id(next_receipt(app)) == marker
    advance(gateway, 2)
    expired = [next_receipt(app) for _ in ids]
    assert sorted(receipted_id(r) for r in expired) == sorted(ids)
    assert all(parsed(r)["stat"] == "UNDELIV" and r.message_state == c.SMPP_MESSAGE_STATE_UNDELIVERABLE
               for r in expired)
    assert all("Часть" not in m["text"] for m in gateway.inbox(A))
    app.disconnect()
    esme = raw_app(gateway)
    query = raw_request(esme, "query_sm", message_id=ids[0], source_addr="7000")
    assert query.status == 0 and query.params["message_state"] == c.SMPP_MESSAGE_STATE_UNDELIVERABLE
    esme.close()


def deliveries_to(app, count: int) -> list[bytes]:
    """The texts of the first `count` deliver_sm the application got (reading until they came),
    once the gateway has read the application's answers to them (an enquire_link behind)."""
    while len(app.received) < count:
        app.read_once()
    app.send_pdu(smpplib.smpp.make_pdu("enquire_link", client=app))
    while app.read_pdu().command != "enquire_link_resp":
        pass
    return [bytes(p.short_message) for p in app.received[:count]]


def test_mo_refused_by_its_application_is_retried_with_doubling_waits_until_accepted(gateway):
    refusals = []

    def answer(pdu):  # a temporary error twice for "order 9", then OK
        if bytes(pdu.short_message) == b"order 9" and len(refusals) < 2:
            refusals.append(pdu)
            return c.SMPP_ESME_RSYSERR
        return None

    app = bind(gateway, "app", "app", kind="receiver", on_deliver=answer)
    handsets = bind(gateway, "handsets", "handsets")
    message_id = mo(handsets, A, "7000", "order 9")
    assert deliveries_to(app, 1) == [b"order 9"]
    advance(gateway, 29)
    mo(handsets, A, "7000", "marker 1", registered_delivery=0)  # would come after a retry at 29 s
    assert deliveries_to(app, 2) == [b"order 9", b"marker 1"]
    advance(gateway, 1)  # 30 s: the second try, refused again; the next wait is 60 s
    assert deliveries_to(app, 3)[2] == b"order 9"
    advance(gateway, 59)
    mo(handsets, A, "7000", "marker 2", registered_delivery=0)
    assert deliveries_to(app, 4)[3] == b"marker 2"
    advance(gateway, 1)
    assert deliveries_to(app, 5)[4] == b"order 9" and len(refusals) == 2
    receipt = next_receipt(handsets)  # one receipt, after the accepted try
    assert receipted_id(receipt) == message_id and parsed(receipt)["stat"] == "DELIVRD"
    app.disconnect()
    handsets.disconnect()


def test_mo_refused_until_its_validity_period_ends_expired(gateway):
    app = bind(gateway, "app", "app", kind="receiver", on_deliver=lambda pdu: c.SMPP_ESME_RSYSERR)
    handsets = bind(gateway, "handsets", "handsets")
    message_id = submit(handsets, source_addr=A, destination_addr="7000", registered_delivery=1,
                        source_addr_ton=1, source_addr_npi=1, dest_addr_ton=3, dest_addr_npi=0,
                        short_message=b"two minutes", validity_period="000000000200000R")
    deliveries_to(app, 1)
    advance(gateway, 30)
    deliveries_to(app, 2)
    advance(gateway, 60)  # 90 s: the third try; the next would be at 210 s, past the validity
    deliveries_to(app, 3)
    advance(gateway, 30)
    receipt = next_receipt(handsets)
    assert receipted_id(receipt) == message_id and parsed(receipt)["stat"] == "EXPIRED"
    assert receipt.message_state == c.SMPP_MESSAGE_STATE_EXPIRED
    advance(gateway, 200)
    mo(handsets, A, "7000", "marker", registered_delivery=0)
    assert deliveries_to(app, 4)[3] == b"marker"  # no fourth try of the expired one
    app.disconnect()
    handsets.disconnect()


# -- validity, simulated delay and failure -----------------------------------------------------------


def test_validity_period_passing_while_held_gives_an_expired_receipt(gateway):
    switch(gateway, B, False)
    app = bind(gateway, "app", "app")
    message_id = mt_with_validity(app, B, "expires in a minute", "000000000100000R")
    advance(gateway, 61)
    receipt = next_receipt(app)
    assert receipted_id(receipt) == message_id and parsed(receipt)["stat"] == "EXPIRED"
    assert receipt.message_state == c.SMPP_MESSAGE_STATE_EXPIRED
    switch(gateway, B, True)
    assert "expires in a minute" not in [m["text"] for m in gateway.inbox(B)]
    app.disconnect()


def mt_with_validity(client, destination, text, validity):
    return submit(client, **mt_fields(destination=destination, text=text, registered_delivery=1,
                                      validity_period=validity))


def test_configured_failure_gives_undeliv_with_its_error_code(gateway):
    app = bind(gateway, "app", "app")
    message_id = mt(app, C, "never arrives")
    receipt = next_receipt(app)
    fields = parsed(receipt)
    assert (receipted_id(receipt), fields["stat"], fields["err"]) == (message_id, "UNDELIV", "034")
    assert "never arrives" not in [m["text"] for m in gateway.inbox(C)]
    app.disconnect()


def test_simulation_api_sets_a_delay_the_message_waits_enroute(gateway):
    status, body = gateway.request("PUT", "/api/v1/simulation/sms", {"destination": B, "delay": 30})
    assert status == 200 and body[B] == {"delay": 30, "failure_rate": 0.0, "error_code": 0}
    assert gateway.get("/api/v1/simulation/sms")[1][C]["error_code"] == 34
    bad = gateway.request("PUT", "/api/v1/simulation/sms", {"destination": B, "failure_rate": 2})
    assert bad[0] == 400
    esme = PduEsme(gateway.smpp)
    esme.bind("app", "app")
    message_id = esme.submit_mt("7000", B, "с задержкой").params["message_id"].decode()
    query = esme.request(op.QuerySM, message_id=message_id, source_addr="7000")
    assert query.params["message_state"] == t.MessageState.ENROUTE
    advance(gateway, 30)
    receipt = esme.next_receipt()
    assert receipt.params["receipted_message_id"].decode() == message_id
    assert gateway.inbox(B)[-1]["text"] == "с задержкой"
    assert gateway.request("DELETE", f"/api/v1/simulation/sms/{B}")[0] == 204
    assert gateway.request("DELETE", f"/api/v1/simulation/sms/{B}")[0] == 404
    esme.close()


# -- schedule_delivery_time ----------------------------------------------------------------------


def smpp_absolute(epoch: float, quarter_hours: int) -> str:
    """An absolute SMPP time written in a zone `quarter_hours` ahead of UTC."""
    local = datetime.datetime.fromtimestamp(epoch, datetime.UTC) + datetime.timedelta(minutes=15 * quarter_hours)
    return local.strftime("%y%m%d%H%M%S") + f"0{quarter_hours:02d}+"


@pytest.mark.parametrize("form", ["relative", "absolute"])
def test_mt_with_a_schedule_delivery_time_reaches_the_handset_then_and_not_before(gateway, form):
    status, clock = gateway.get("/api/v1/clock")
    assert status == 200
    schedule = "000000000200000R" if form == "relative" else smpp_absolute(int(clock["seconds"]) + 121, 12)
    app = bind(gateway, "app", "app")
    message_id = submit(app, **mt_fields(text=f"scheduled {form}", registered_delivery=1,
                                         schedule_delivery_time=schedule))
    advance(gateway, 115)
    switch(gateway, A, False)
    switch(gateway, A, True)  # a handset switched on does not take it early either
    marker = mt(app, A, "not scheduled")
    assert receipted_id(next_receipt(app)) == marker
    assert all(m["text"] != f"scheduled {form}" for m in gateway.inbox(A))
    advance(gateway, 7)
    receipt = next_receipt(app)
    assert receipted_id(receipt) == message_id and parsed(receipt)["stat"] == "DELIVRD"
    assert gateway.inbox(A)[-1]["text"] == f"scheduled {form}"
    app.disconnect()


def test_a_malformed_schedule_delivery_time_is_refused_with_invalid_scheduled_delivery_time(gateway):
    esme = raw_app(gateway)
    resp = esme.submit(**mt_fields(text="when?", schedule_delivery_time="tomorrow morning"))
    assert resp.status == S.ESME_RINVSCHED
    esme.close()
