"""USSD over SMPP against a real `gateway run`: the ussd_service_op TLV on a `mobile` bind and
on an `application` bind owning a service code (from the config file). PDUs travel over
real sockets through tests/rawesme.py (smpplib cannot read these deliver_sm)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from gateway.sms.errors import CommandStatus as S
from tests.gatewayproc import GatewayProcess
from tests.rawesme import RawEsme, text_of

A, B = "79261234567", "79261112233"
CONFIG = """
smpp:
  accounts:
    - {system_id: handsets, password: handsets, role: mobile}
    - {system_id: ussdapp, password: secret1, role: application, owns: ["123"]}
"""


@pytest.fixture
def gateway(tmp_path):
    config = tmp_path / "gateway.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    process = GatewayProcess(tmp_path, "--config", str(config))
    process.start()
    yield process
    process.stop()


def esme(gateway, system_id="handsets", password="handsets") -> RawEsme:
    client = RawEsme(gateway.smpp)
    client.bind(system_id, password)
    return client


def test_mobile_bind_dials_the_menus_and_answers_with_ussd_service_op(gateway):
    handset = esme(gateway)
    resp = handset.submit(source_addr=A, destination_addr="105", short_message="*105#", ussd_service_op=1,
                          its_session_info=0x0100)
    assert resp.status == 0 and len(resp.params["message_id"]) == 32
    screen = handset.deliver()
    p = screen.params
    assert (p["ussd_service_op"], p["source_addr"], p["destination_addr"]) == (2, "105", A)
    assert (p["source_addr_ton"], p["dest_addr_ton"], p["dest_addr_npi"]) == (3, 1, 1)
    assert p["data_coding"] == 8 and p["its_session_info"] == 0x0100  # Cyrillic: UCS-2
    assert text_of(screen) == gateway.get(f"/api/v1/handsets/{A}/ussd")[1]["text"]
    # An unknown key re-prompts (the dialogue goes on); then the handset releases it.
    assert handset.submit(source_addr=A, destination_addr="105", short_message="8", ussd_service_op=18,
                          its_session_info=0x0102).status == 0
    again = handset.deliver()
    assert again.params["ussd_service_op"] == 2 and again.params["its_session_info"] == 0x0102
    assert handset.submit(source_addr=A, destination_addr="105", short_message="", ussd_service_op=17).status == 0
    # *105*00#: the password screen ends the dialogue (op 17, end bit set).
    handset.submit(source_addr=A, destination_addr="", short_message="*105*00#", ussd_service_op=1,
                   its_session_info=0x0200)
    last = handset.deliver()
    assert last.params["ussd_service_op"] == 17 and last.params["its_session_info"] == 0x0201
    assert "SMS" in text_of(last)
    _, dialogues = gateway.get(f"/api/v1/handsets/{A}/dialogues")
    assert [(d["transport"], d["outcome"]) for d in dialogues[:2]] == [("smpp", "completed"), ("smpp", "released")]
    handset.close()


def test_mobile_refusals(gateway):
    handset = esme(gateway)
    assert handset.submit(source_addr="79990000000", short_message="*105#", ussd_service_op=1).status == \
        S.ESME_RINVSRCADR
    assert handset.submit(source_addr=A, short_message="105#", ussd_service_op=1).status == S.ESME_RSUBMITFAIL
    assert handset.submit(source_addr=A, short_message="1", ussd_service_op=18).status == S.ESME_RSUBMITFAIL
    handset.close()


def test_application_bind_serves_its_code_to_an_smpp_handset(gateway):
    app = esme(gateway, "ussdapp", "secret1")
    handset = esme(gateway)
    assert handset.submit(source_addr=A, destination_addr="123", short_message="*123*7#",
                          ussd_service_op=1).status == 0
    start = app.deliver()
    p = start.params
    assert (p["ussd_service_op"], p["source_addr"], p["destination_addr"], text_of(start)) == (1, A, "123", "*123*7#")
    assert (p["source_addr_ton"], p["dest_addr_ton"]) == (1, 3)
    resp = app.submit(source_addr="123", destination_addr=A, short_message="Menu\n1 Next", ussd_service_op=2,
                      source_addr_ton=3, source_addr_npi=0, dest_addr_ton=1, dest_addr_npi=1,
                      its_session_info=0x3300)
    assert resp.status == 0
    screen = handset.deliver()
    assert (screen.params["ussd_service_op"], screen.params["data_coding"], text_of(screen)) == (2, 0, "Menu\n1 Next")
    handset.submit(source_addr=A, destination_addr="123", short_message="1", ussd_service_op=18)
    reply = app.deliver()
    assert (reply.params["ussd_service_op"], text_of(reply), reply.params["its_session_info"]) == (18, "1", 0x3300)
    over = app.submit(source_addr="123", destination_addr=A, short_message="x" * 183, ussd_service_op=2)
    assert over.status == S.ESME_RINVMSGLEN  # over 182 septets: refused, and the dialogue ends
    error = handset.deliver()
    assert error.params["ussd_service_op"] == 17 and text_of(error)
    assert app.deliver().params["ussd_service_op"] == 17  # the application hears it ended
    app.close()
    handset.close()
    assert "ussd dialogue" in gateway.log() and "failed: a screen of 183 characters" in gateway.log()


def test_application_serves_an_http_handset_and_pushes(gateway):
    app = esme(gateway, "ussdapp", "secret1")
    with ThreadPoolExecutor(1) as pool:
        # The handset's POST waits for the application's screen.
        pending = pool.submit(gateway.ussd, B, "*123#")
        assert text_of(app.deliver()) == "*123#"
        app.submit(source_addr="123", destination_addr=B, short_message="Конец".encode("utf-16-be"),
                   data_coding=8, ussd_service_op=17)
        assert pending.result(timeout=15) == {**pending.result(), "text": "Конец", "end": True}
        # A push (USSR) without a dialogue: the handset sees it, its reply goes back as op 18.
        assert app.submit(source_addr="123", destination_addr=B, short_message="Rate us: 1-5",
                          ussd_service_op=2).status == 0
        status, shown = gateway.get(f"/api/v1/handsets/{B}/ussd")
        assert status == 200 and shown["text"] == "Rate us: 1-5" and shown["end"] is False
        assert app.submit(source_addr="123", destination_addr=B, short_message="again",
                          ussd_service_op=2).status == S.ESME_RSUBMITFAIL  # busy: one dialogue per handset
        pending = pool.submit(gateway.ussd, B, "5")
        answer = app.deliver()
        assert (answer.params["ussd_service_op"], text_of(answer)) == (18, "5")
        app.submit(source_addr="123", destination_addr=B, short_message="Thanks", ussd_service_op=17)
        assert pending.result(timeout=15)["text"] == "Thanks"
    _, dialogues = gateway.get(f"/api/v1/handsets/{B}/dialogues")
    assert [(d["initiator"], d["server"], d["outcome"]) for d in dialogues[:2]] == [
        ("network", "smpp_app", "completed"), ("mobile", "smpp_app", "completed")]
    app.close()
