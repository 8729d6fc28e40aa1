"""Bad input over HTTP gets a clear JSON error and the gateway keeps serving."""

from __future__ import annotations

A = "79261234567"


def test_healthz(gateway):
    assert gateway.get("/healthz") == (200, {"status": "ok"})


def test_malformed_json_is_400(gateway):
    status, body = gateway.request("POST", f"/api/v1/handsets/{A}/ussd", raw=b'{"input": "*105#"')
    assert status == 400 and body["error"] == "invalid_json" and body["message"]
    status, body = gateway.request("POST", f"/api/v1/handsets/{A}/ussd", raw=b"[1, 2]")
    assert (status, body["error"]) == (400, "invalid_json")
    status, body = gateway.post(f"/api/v1/handsets/{A}/ussd", {"text": "*105#"})
    assert (status, body["error"]) == (400, "missing_field")
    status, body = gateway.post(f"/api/v1/handsets/{A}/ussd", {"input": 105})
    assert (status, body["error"]) == (400, "invalid_field")
    assert gateway.ussd(A, "*105#")["end"] is False


def test_unknown_number_is_404(gateway):
    status, body = gateway.get("/api/v1/subscribers/79990000000")
    assert (status, body["error"]) == (404, "unknown_number")
    status, body = gateway.post("/api/v1/handsets/79990000000/ussd", {"input": "*105#"})
    assert (status, body["error"]) == (404, "unknown_number")
    status, body = gateway.post("/api/v1/handsets/79990000000/sms", {"to": "000110", "text": "00"})
    assert (status, body["error"]) == (404, "unknown_number")
    status, body = gateway.login("9990000000", "whatever")
    assert (status, body["error"]) == (404, "unknown_number")


def test_malformed_number_is_400(gateway):
    status, body = gateway.get("/api/v1/subscribers/12345")
    assert (status, body["error"]) == (400, "invalid_number")
    status, body = gateway.post("/api/v1/subscribers", {"msisdn": "abc"})
    assert (status, body["error"]) == (400, "invalid_number")


def test_unknown_ussd_code_ends_with_a_clear_screen(gateway):
    body = gateway.ussd(A, "*999#")
    assert body["end"] is True and body["text"] == "Неизвестный запрос."


def test_invalid_ussd_string_is_400(gateway):
    for text in ("105", "*105", "*1a5#", "", "hello"):
        status, body = gateway.post(f"/api/v1/handsets/{A}/ussd", {"input": text})
        assert (status, body["error"]) == (400, "invalid_ussd_string"), text


def test_wrong_menu_key_reprompts_then_gives_up(gateway):
    gateway.ussd(A, "*105#")
    body = gateway.ussd(A, "42")
    assert body["end"] is False and body["text"].startswith("Неверный выбор.")
    gateway.ussd(A, "55")
    body = gateway.ussd(A, "77")
    assert body["end"] is True


def test_cancel_ussd_dialogue(gateway):
    gateway.ussd(A, "*105#")
    status, _ = gateway.request("DELETE", f"/api/v1/handsets/{A}/ussd")
    assert status == 204
    status, body = gateway.post(f"/api/v1/handsets/{A}/ussd", {"input": "1"})
    assert (status, body["error"]) == (400, "invalid_ussd_string")


def test_bad_sms_input(gateway):
    status, body = gateway.post(f"/api/v1/handsets/{A}/sms", {"to": "000110", "text": "  "})
    assert (status, body["error"]) == (400, "invalid_text")
    status, body = gateway.post(f"/api/v1/handsets/{A}/sms", {"to": "12", "text": "hi"})
    assert (status, body["error"]) == (404, "unknown_destination")


def test_bad_amount_and_duplicate_subscriber(gateway):
    status, body = gateway.post("/api/v1/subscribers", {"msisdn": "79031112233", "balance": "-5"})
    assert (status, body["error"]) == (400, "invalid_amount")
    status, body = gateway.post("/api/v1/subscribers", {"msisdn": "79031112233", "balance": "ten"})
    assert (status, body["error"]) == (400, "invalid_amount")
    assert gateway.post("/api/v1/subscribers", {"msisdn": "79031112233"})[0] == 201
    status, body = gateway.post("/api/v1/subscribers", {"msisdn": "89031112233"})
    assert (status, body["error"]) == (409, "subscriber_exists")


def test_bad_dtmf_and_unknown_call(gateway):
    _, call = gateway.post(f"/api/v1/handsets/{A}/calls", {"to": "0505"})
    status, body = gateway.post(f"/api/v1/calls/{call['call_id']}/dtmf", {"digits": "1x"})
    assert (status, body["error"]) == (400, "invalid_dtmf")
    status, body = gateway.post("/api/v1/calls/nope/dtmf", {"digits": "1"})
    assert (status, body["error"]) == (404, "unknown_call")
    status, body = gateway.post(f"/api/v1/handsets/{A}/calls", {"to": "0600"})
    assert (status, body["error"]) == (404, "unknown_destination")


def test_unknown_route_and_method(gateway):
    assert gateway.get("/api/v1/nothing")[0] == 404
    status, body = gateway.request("PUT", "/api/v1/login", {"login": "x"})
    assert (status, body["error"]) == (405, "method_not_allowed")


def test_unregistered_corporate_login_is_refused(gateway):
    status, body = gateway.login("CP_9261234567", "whatever")
    assert (status, body["error"]) == (400, "not_registered")
