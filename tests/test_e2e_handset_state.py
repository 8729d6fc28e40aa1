"""A switched-off handset over HTTP against a real gateway: it originates nothing (409
`switched_off`), the network cannot push to it; and the summary's catalogue names. (An
application's MT to a switched-off handset waiting in the SMSC is tests/test_e2e_smpp_receipts.py's.)"""

from __future__ import annotations

from tests.gatewayproc import password_in

A, B, EN = "79261234567", "79261112233", "79267654321"


def switch(gateway, msisdn: str, on: bool) -> dict:
    status, body = gateway.request("PATCH", f"/api/v1/handsets/{msisdn}", {"switched_on": on})
    assert status == 200, body
    return body


def test_a_switched_off_handset_dials_sends_and_calls_nothing(gateway):
    assert switch(gateway, A, False)["switched_on"] is False
    refusals = [
        gateway.post(f"/api/v1/handsets/{A}/ussd", {"input": "*105#"}),
        gateway.post(f"/api/v1/handsets/{A}/sms", {"to": "000110", "text": "00"}),
        gateway.post(f"/api/v1/handsets/{A}/calls", {"to": "0505"}),
    ]
    for status, body in refusals:
        assert status == 409, body
        assert body["error"] == "switched_off"
        assert "switched off" in body["message"]
    # Nothing happened: no password was sent, no call was placed.
    assert gateway.inbox(A) == []
    assert gateway.get(f"/api/v1/handsets/{A}/calls")[1] == []
    switch(gateway, A, True)
    status, screen = gateway.post(f"/api/v1/handsets/{A}/ussd", {"input": "*105*00#"})
    assert status == 200 and screen["end"] is True
    assert password_in(gateway.inbox(A)[0]["text"])


def test_network_pushes_to_a_switched_off_handset_fail(gateway):
    switch(gateway, B, False)
    for kind in ("notify", "request"):
        status, body = gateway.post(f"/api/v1/handsets/{B}/ussd/push", {"text": "Оцените связь", "type": kind})
        assert (status, body["error"]) == (409, "switched_off")
    assert gateway.get(f"/api/v1/handsets/{B}/ussd")[0] == 204  # nothing waits on its screen
    switch(gateway, B, True)
    status, screen = gateway.post(f"/api/v1/handsets/{B}/ussd/push", {"text": "Оцените связь", "type": "notify"})
    assert status == 200 and screen["text"] == "Оцените связь"


def test_an_unknown_number_is_still_unknown_not_switched_off(gateway):
    status, body = gateway.post("/api/v1/handsets/79990000000/ussd", {"input": "*105#"})
    assert (status, body["error"]) == (404, "unknown_number")


def test_the_summary_names_the_tariff_and_options_from_the_catalogue(gateway):
    _, summary = gateway.get(f"/api/v1/subscribers/{A}")
    assert summary["tariff"] == "standard"
    assert summary["tariff_name"] == {"ru": "Базовый", "en": "Basic"}
    assert summary["options"] == [] and summary["option_names"] == []
    for step in ("*105#", "2", "2", "1", "1"):  # R16: connect the first option offered
        screen = gateway.ussd(A, step)
    assert screen["text"] == "Услуга «Чёрный список» подключена.", screen
    _, summary = gateway.get(f"/api/v1/subscribers/{A}")
    assert summary["options"] == ["black_list"]
    assert summary["option_names"] == [{"ru": "Чёрный список", "en": "Black list"}]
    status, body = gateway.request("POST", "/api/v1/subscribers",
                                   {"msisdn": "79161112233", "tariff": "minimum", "balance": "10.00"})
    assert status == 201 and body["tariff_name"] == {"ru": "МегаФон Минимум", "en": "MegaFon Minimum"}
    patched = switch(gateway, "79161112233", True)
    assert patched["tariff_name"]["en"] == "MegaFon Minimum"  # every summary the API gives
