"""The password story end to end over HTTP against a real `gateway run` (R01-R09)."""

from __future__ import annotations

import pytest

from tests.gatewayproc import password_in

A = "79261234567"  # a demo subscriber, created on first start


def last_sms(gateway, msisdn: str) -> dict:
    inbox = gateway.inbox(msisdn)
    assert inbox, "the inbox is empty"
    return inbox[-1]


def test_r02_ussd_105_00_sends_one_time_password_by_sms(gateway):
    screen = gateway.ussd(A, "*105*00#")
    assert screen["end"] is True
    assert "SMS" in screen["text"]
    sms = last_sms(gateway, A)
    assert sms["from"] == "000110"
    password = password_in(sms["text"])
    assert password not in screen["text"]
    status, body = gateway.login("9261234567", password)
    assert status == 200 and body["token"]


@pytest.mark.parametrize("number", ["000110", "000105"])
def test_r03_sms_00_to_service_number_answers_with_password(gateway, number):
    status, body = gateway.post(f"/api/v1/handsets/{A}/sms", {"to": number, "text": "00"})
    assert status == 202 and isinstance(body["id"], int)
    sms = last_sms(gateway, A)
    assert sms["from"] == number
    status, _ = gateway.login("9261234567", password_in(sms["text"]))
    assert status == 200


def test_r03_other_text_to_000110_gets_help(gateway):
    status, _ = gateway.post(f"/api/v1/handsets/{A}/sms", {"to": "000110", "text": "пароль"})
    assert status == 202
    assert "00" in last_sms(gateway, A)["text"]


def test_r04_voice_menu_generates_password_by_sms(gateway):
    status, call = gateway.post(f"/api/v1/handsets/{A}/calls", {"to": "0505"})
    assert status == 201 and call["state"] == "active"
    assert "1" in call["prompt"] and "2" in call["prompt"]
    status, call = gateway.post(f"/api/v1/calls/{call['call_id']}/dtmf", {"digits": "1"})
    assert status == 200 and call["state"] == "ended"
    password = password_in(last_sms(gateway, A)["text"])
    assert password not in call["prompt"]
    assert gateway.login("9261234567", password)[0] == 200


def test_r04_voice_menu_sets_typed_password_and_never_reads_it_back(gateway):
    _, call = gateway.post(f"/api/v1/handsets/{A}/calls", {"to": "0505"})
    cid = call["call_id"]
    _, call = gateway.post(f"/api/v1/calls/{cid}/dtmf", {"digits": "2"})
    assert call["state"] == "active"
    _, call = gateway.post(f"/api/v1/calls/{cid}/dtmf", {"digits": "73519"})  # still typing
    _, call = gateway.post(f"/api/v1/calls/{cid}/dtmf", {"digits": "046#"})
    assert call["state"] == "ended"
    assert "73519046" not in call["prompt"]
    assert "73519046" not in "".join(call["path"])
    assert call["path"][:1] == ["2"] and set(call["path"][1:-1]) == {"*"}
    status, _ = gateway.get(f"/api/v1/calls/{cid}")
    assert status == 200
    assert gateway.login("9261234567", "73519046")[0] == 200


def test_r04_voice_menu_reprompts_a_too_short_keypad_password(gateway):
    _, call = gateway.post(f"/api/v1/handsets/{A}/calls", {"to": "0505"})
    _, call = gateway.post(f"/api/v1/calls/{call['call_id']}/dtmf", {"digits": "2123#"})
    assert call["state"] == "active"
    assert call["prompt"].startswith("Неверный ввод.")


def test_r05_fifth_wrong_password_locks_login_until_new_one_time_password(gateway):
    gateway.ussd(A, "*105*00#")
    good = password_in(last_sms(gateway, A)["text"])
    for attempts_left in (4, 3, 2, 1):
        status, body = gateway.login("9261234567", "wrong-one")
        assert (status, body["error"], body["attempts_left"]) == (401, "wrong_password", attempts_left)
    status, body = gateway.login("9261234567", "wrong-one")
    assert (status, body["error"]) == (423, "locked")
    # Locked: even the right password is refused.
    status, body = gateway.login("9261234567", good)
    assert (status, body["error"]) == (423, "locked")
    assert gateway.get(f"/api/v1/subscribers/{A}")[1]["locked"] is True
    # Only a new one-time password unlocks.
    gateway.post(f"/api/v1/handsets/{A}/sms", {"to": "000110", "text": "00"})
    fresh = password_in(last_sms(gateway, A)["text"])
    assert gateway.login("9261234567", fresh)[0] == 200
    assert gateway.get(f"/api/v1/subscribers/{A}")[1]["locked"] is False


def test_r05_success_resets_the_failure_count(gateway):
    gateway.ussd(A, "*105*00#")
    good = password_in(last_sms(gateway, A)["text"])
    for _ in range(4):
        gateway.login("9261234567", "nope-nope")
    assert gateway.login("9261234567", good)[0] == 200
    status, body = gateway.login("9261234567", "nope-nope")
    assert body["attempts_left"] == 4


def test_r06_one_time_password_replaced_by_permanent_one(gateway):
    gateway.ussd(A, "*105*00#")
    one_time = password_in(last_sms(gateway, A)["text"])
    _, body = gateway.login("9261234567", one_time)
    token = body["token"]
    status, body = gateway.post("/api/v1/account/password",
                                {"old_password": one_time, "new_password": "Perm4nent!"}, token=token)
    assert status == 200, body
    assert gateway.login("9261234567", one_time)[0] == 401
    assert gateway.login("9261234567", "Perm4nent!")[0] == 200
    # Forgotten permanent password: a new one-time password replaces it.
    gateway.ussd(A, "*105*00#")
    again = password_in(last_sms(gateway, A)["text"])
    assert gateway.login("9261234567", "Perm4nent!")[0] == 401
    assert gateway.login("9261234567", again)[0] == 200


def test_r06_change_needs_the_old_password_and_a_login(gateway):
    status, body = gateway.post("/api/v1/account/password", {"old_password": "x", "new_password": "Perm4nent!"})
    assert (status, body["error"]) == (401, "not_authenticated")
    gateway.ussd(A, "*105*00#")
    one_time = password_in(last_sms(gateway, A)["text"])
    token = gateway.login("9261234567", one_time)[1]["token"]
    status, body = gateway.post("/api/v1/account/password",
                                {"old_password": "not-it", "new_password": "Perm4nent!"}, token=token)
    assert (status, body["error"]) == (401, "wrong_password")
    status, body = gateway.post("/api/v1/account/password",
                                {"old_password": one_time, "new_password": "123"}, token=token)
    assert (status, body["error"]) == (400, "invalid_password")


def test_r07_login_notification_sms_when_switched_on(gateway):
    screen = gateway.ussd(A, "*105*7*2*1#")  # main menu -> settings -> login notifications -> on
    assert screen["end"] and "включены" in screen["text"]
    gateway.ussd(A, "*105*00#")
    password = password_in(last_sms(gateway, A)["text"])
    before = len(gateway.inbox(A))
    assert gateway.login("9261234567", password)[0] == 200
    inbox = gateway.inbox(A)
    assert len(inbox) == before + 1
    assert "вход" in inbox[-1]["text"].lower()
    assert password not in inbox[-1]["text"]
    # Off again: no SMS on login.
    gateway.ussd(A, "*105#")
    gateway.ussd(A, "7")
    gateway.ussd(A, "2")
    assert "выключены" in gateway.ussd(A, "2")["text"]
    gateway.login("9261234567", password)
    assert len(gateway.inbox(A)) == before + 1


def test_r09_asking_again_replaces_the_earlier_code(gateway):
    gateway.ussd(A, "*105*00#")
    first = password_in(last_sms(gateway, A)["text"])
    gateway.post(f"/api/v1/handsets/{A}/sms", {"to": "000110", "text": "00"})
    second = password_in(last_sms(gateway, A)["text"])
    assert first != second
    status, body = gateway.login("9261234567", first)
    assert (status, body["error"]) == (401, "wrong_password")
    assert gateway.login("9261234567", second)[0] == 200


def test_r01_every_number_form_reaches_the_same_account(gateway):
    status, created = gateway.post("/api/v1/subscribers", {"msisdn": "+79031234500", "balance": "42.50"})
    assert status == 201 and created["msisdn"] == "79031234500"
    for form in ("79031234500", "+79031234500", "89031234500", "9031234500"):
        status, body = gateway.get(f"/api/v1/subscribers/{form}")
        assert (status, body["msisdn"], body["balance"]) == (200, "79031234500", "42.50")
    gateway.ussd("+79031234500", "*105*00#")
    password = password_in(gateway.inbox("89031234500")[-1]["text"])
    for login in ("9031234500", "+79031234500", "89031234500", "79031234500"):
        assert gateway.login(login, password)[0] == 200


def test_r10_main_menu_and_balance(gateway):
    screen = gateway.ussd(A, "*105#")
    assert screen["end"] is False
    assert screen["text"].startswith("Сервис-Гид") and "1 Баланс и расходы" in screen["text"]
    assert gateway.ussd(A, "1")["text"].startswith("Баланс и расходы\n1 Баланс")
    reply = gateway.ussd(A, "1")
    assert reply == {"session_id": screen["session_id"], "text": "Баланс: 300.00 руб.", "end": True}


def test_r12_105_753_sends_the_app_link(gateway):
    screen = gateway.ussd(A, "*105*753#")
    assert screen["end"]
    assert "https://sg.megafon.ru" in last_sms(gateway, A)["text"]


def test_r11_0505_from_roaming_does_not_connect_but_the_long_number_does(gateway):
    status, _ = gateway.request("PATCH", f"/api/v1/handsets/{A}", {"roaming": True})
    assert status == 200
    status, body = gateway.post(f"/api/v1/handsets/{A}/calls", {"to": "0505"})
    assert (status, body["error"]) == (409, "not_connected")
    status, call = gateway.post(f"/api/v1/handsets/{A}/calls", {"to": "+79221110505"})
    assert status == 201 and call["state"] == "active"


def test_english_subscriber_gets_english_screens(gateway):
    screen = gateway.ussd("79267654321", "*105#")
    assert screen["text"].startswith("Service Guide")
