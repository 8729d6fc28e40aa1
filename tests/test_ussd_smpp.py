"""USSD over SMPP (gateway/ussd/smpp.py) with fake binds and a task.Clock: both roles."""

from __future__ import annotations

import json

import pytest

from gateway.sms.errors import CommandStatus as S
from gateway.sms.errors import SmppError
from gateway.sms.events import SubmitRequest
from gateway.ussd.smpp import (
    PSSR_INDICATION,
    PSSR_RESPONSE,
    USSN_REQUEST,
    USSR_CONFIRM,
    USSR_REQUEST,
)
from tests.ussdkit import A, B, Harness


def submit(source: str, destination: str, text: str, op: int | None, its: int | None = None,
           data_coding: int = 0) -> SubmitRequest:
    return SubmitRequest(
        source_addr=source, source_ton=1, source_npi=1, destination_addr=destination, dest_ton=3, dest_npi=0,
        text=text, data_coding=data_coding, esm_class=0, registered_delivery=0, ussd_service_op=op,
        its_session_info=its, service_type="USSD",
    )


def from_mobile(h: Harness, bind, request: SubmitRequest) -> str:
    return h.result(h.smpp.submit(bind.account, request, bind))


def status_of(h: Harness, bind, request: SubmitRequest) -> int:
    with pytest.raises(SmppError) as refused:
        h.result(h.smpp.submit(bind.account, request, bind))
    return refused.value.status


def test_mobile_dials_and_answers_with_its_session_info_echoed():
    h = Harness()
    handset = h.binds.bind("handsets")
    session_id = from_mobile(h, handset, submit(A, "105", "*105#", PSSR_INDICATION, its=0x0500))
    [screen] = handset.take()
    assert (screen.source_addr, screen.destination_addr, screen.ussd_service_op) == ("105", A, USSR_REQUEST)
    assert screen.text.startswith("Сервис-Гид") and screen.its_session_info == 0x0500
    assert from_mobile(h, handset, submit(A, "105", "1", USSR_CONFIRM, its=0x0502)) == session_id
    [last] = handset.take()
    assert (last.ussd_service_op, last.text, last.its_session_info) == (PSSR_RESPONSE, "Баланс: 300.00 руб.", 0x0503)


def test_mobile_dial_from_destination_addr_and_lenient_reply_op():
    h = Harness()
    handset = h.binds.bind("handsets")
    from_mobile(h, handset, submit(A, "105", "", PSSR_INDICATION))
    assert handset.take()[0].text.startswith("Сервис-Гид")
    from_mobile(h, handset, submit(A, "105", "1", USSR_REQUEST))  # 2 from a handset: taken as a reply
    assert handset.take()[0].ussd_service_op == PSSR_RESPONSE


def test_mobile_refusals_carry_smpp_statuses():
    h = Harness()
    handset = h.binds.bind("handsets")
    assert status_of(h, handset, submit("79990000000", "105", "*105#", PSSR_INDICATION)) == S.ESME_RINVSRCADR
    assert status_of(h, handset, submit("abc", "105", "*105#", PSSR_INDICATION)) == S.ESME_RINVSRCADR
    assert status_of(h, handset, submit(A, "105", "105", PSSR_INDICATION)) == S.ESME_RSUBMITFAIL
    assert status_of(h, handset, submit(A, "105", "1", USSR_CONFIRM)) == S.ESME_RSUBMITFAIL  # nothing open
    assert status_of(h, handset, submit(A, "105", "1", 7)) == S.ESME_RINVOPTPARAMVAL
    assert handset.take() == []


@pytest.mark.parametrize(("op", "its"), [(PSSR_RESPONSE, None), (0x17, None), (0x81, None), (USSR_CONFIRM, 0x0101)])
def test_mobile_release(op, its):
    h = Harness()
    handset = h.binds.bind("handsets")
    session_id = from_mobile(h, handset, submit(A, "105", "*105#", PSSR_INDICATION))
    handset.take()
    from_mobile(h, handset, submit(A, "105", "", op, its=its))
    assert len(h.dialogues) == 0 and handset.take() == []
    assert h.record(session_id)["outcome"] == "released"


def test_screen_timeout_reaches_the_mobile_bind_as_pssr_response():
    h = Harness(screen_timeout=30)
    handset = h.binds.bind("handsets")
    from_mobile(h, handset, submit(A, "105", "*105#", PSSR_INDICATION, its=0x0900))
    handset.take()
    h.clock.advance(30)
    [ended] = handset.take()
    assert (ended.ussd_service_op, ended.text, ended.its_session_info) == (PSSR_RESPONSE, "Сеанс завершён.", 0x0901)


def test_a_transmitter_gets_its_screens_on_a_receiver_of_the_same_account():
    h = Harness()
    tx = h.binds.bind("handsets", can_receive=False)
    rx = h.binds.bind("handsets")
    from_mobile(h, tx, submit(A, "105", "*105#", PSSR_INDICATION))
    assert tx.sent == [] and rx.take()[0].ussd_service_op == USSR_REQUEST


def test_application_serves_its_code_for_a_mobile_handset():
    h = Harness()
    handset = h.binds.bind("handsets")
    app = h.binds.bind("app")
    session_id = from_mobile(h, handset, submit(A, "123", "*123*4#", PSSR_INDICATION))
    [start] = app.take()
    assert (start.source_addr, start.destination_addr, start.text, start.ussd_service_op) == (
        A, "123", "*123*4#", PSSR_INDICATION)
    assert handset.sent == []  # the app has not answered yet
    assert h.result(h.smpp.submit(app.account, submit("123", A, "Привет\n1 Дальше", USSR_REQUEST, its=0x2200),
                                  app)) == session_id
    [screen] = handset.take()
    assert (screen.text, screen.ussd_service_op, screen.source_addr) == ("Привет\n1 Дальше", USSR_REQUEST, "123")
    from_mobile(h, handset, submit(A, "123", "1", USSR_CONFIRM))
    [reply] = app.take()
    assert (reply.text, reply.ussd_service_op, reply.its_session_info) == ("1", USSR_CONFIRM, 0x2200)
    h.result(h.smpp.submit(app.account, submit("*123#", A, "Пока", 0x17), app))  # vendor "17": end
    [last] = handset.take()
    assert (last.text, last.ussd_service_op) == ("Пока", PSSR_RESPONSE)
    row = h.record(session_id)
    assert (row["server"], row["transport"], row["outcome"]) == ("smpp_app", "smpp", "completed")


def test_application_learns_when_the_handset_releases_or_times_out():
    h = Harness(screen_timeout=30)
    app = h.binds.bind("app")
    pending = h.service.handle(A, "*123#")
    app.take()
    h.result(h.smpp.submit(app.account, submit("123", A, "Меню", USSR_REQUEST, its=0x0400), app))
    assert h.result(pending).text == "Меню"
    h.service.release(A)
    [end] = app.take()
    assert (end.ussd_service_op, end.text, end.its_session_info) == (PSSR_RESPONSE, "", 0x0401)
    pending = h.service.handle(B, "*123#")
    app.take()
    h.result(h.smpp.submit(app.account, submit("123", B, "Меню", USSR_REQUEST), app))
    h.clock.advance(30)
    assert [m.ussd_service_op for m in app.take()] == [PSSR_RESPONSE]


def test_application_errors():
    h = Harness(app_timeout=10)
    ids = []
    # Not bound: the handset gets the error screen at once.
    reply = h.ussd(A, "*123#")
    ids.append(reply.session_id)
    assert reply.continuation.value == "end" and reply.text == "Операция не выполнена."
    app = h.binds.bind("app")
    # No answer in time.
    pending = h.service.handle(A, "*123#")
    ids.append(h.dialogues.get(A).session_id)
    h.clock.advance(10)
    assert h.result(pending).text == "Операция не выполнена."
    assert [m.ussd_service_op for m in app.take()] == [PSSR_INDICATION, PSSR_RESPONSE]
    # Refused deliver_sm.
    app.status = S.ESME_RX_T_APPN
    reply = h.ussd(A, "*123#")
    ids.append(reply.session_id)
    assert reply.text == "Операция не выполнена."
    app.status = 0
    # A screen over the limit, a code it does not own, a screen for nobody.
    pending = h.service.handle(A, "*123#")
    ids.append(h.dialogues.get(A).session_id)
    with pytest.raises(SmppError) as refused:
        h.result(h.smpp.submit(app.account, submit("123", A, "Ж" * 81, USSR_REQUEST), app))
    assert refused.value.status == S.ESME_RINVMSGLEN
    assert h.result(pending).text == "Операция не выполнена."
    with pytest.raises(SmppError) as refused:
        h.result(h.smpp.submit(app.account, submit("999", A, "x", USSR_REQUEST), app))
    assert refused.value.status == S.ESME_RINVSRCADR
    with pytest.raises(SmppError) as refused:
        h.result(h.smpp.submit(app.account, submit("123", A, "x", PSSR_RESPONSE), app))
    assert refused.value.status == S.ESME_RSUBMITFAIL
    assert [h.record(i)["outcome"] for i in ids] == ["app_error"] * 4


def test_application_push_request_goes_to_the_handset_and_the_reply_back_to_it():
    h = Harness()
    app = h.binds.bind("app")
    handset = h.binds.bind("handsets")
    session_id = h.result(h.smpp.submit(app.account, submit("123", B, "Опрос: 1 да 2 нет", USSR_REQUEST), app))
    [offered] = handset.take()
    assert (offered.ussd_service_op, offered.destination_addr, offered.source_addr) == (USSR_REQUEST, B, "123")
    assert h.service.screen(B).text == "Опрос: 1 да 2 нет"
    with pytest.raises(SmppError) as busy:  # one transaction per handset
        h.result(h.smpp.submit(app.account, submit("123", B, "again", USSR_REQUEST), app))
    assert busy.value.status == S.ESME_RSUBMITFAIL
    pending = h.service.handle(B, "1")  # answered over HTTP; an SMPP op 18 would do the same
    [answer] = app.take()
    assert (answer.ussd_service_op, answer.text, answer.source_addr) == (USSR_CONFIRM, "1", B)
    h.result(h.smpp.submit(app.account, submit("123", B, "Спасибо", PSSR_RESPONSE), app))
    assert h.result(pending).text == "Спасибо"
    row = h.record(session_id)
    assert (row["initiator"], row["outcome"]) == ("network", "completed")
    assert [kind for _, kind, _ in json.loads(row["steps"])] == ["push", "reply", "end"]


def test_application_notify_and_unbind():
    h = Harness()
    app = h.binds.bind("app")
    handset = h.binds.bind("handsets")
    h.result(h.smpp.submit(app.account, submit("123", B, "Уведомление", USSN_REQUEST), app))
    assert handset.take()[0].ussd_service_op == USSN_REQUEST
    assert h.service.screen(B).text == "Уведомление" and len(h.dialogues) == 0
    pending = h.service.handle(A, "*123#")
    h.binds.binds.remove(app)
    h.smpp.bind_closed(app)
    assert h.result(pending).text == "Операция не выполнена."
    h.service.handle(B, "*105#")
    from_mobile(h, handset, submit(B, "", "*105#", PSSR_INDICATION))
    h.binds.binds.remove(handset)
    h.smpp.bind_closed(handset)
    assert h.dialogues.get(B) is None  # the handset's bind is gone: released
