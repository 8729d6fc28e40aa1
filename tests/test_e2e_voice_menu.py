"""The main branches of the 0505 voice menu on a real gateway (R04, R11, R15, R17, R19, R23, R24),
its digit timers on the gateway's test clock, and the call records."""

from __future__ import annotations

import json

import pytest

from tests.gatewayproc import GatewayProcess

A, B = "79261234567", "79261112233"


def call(gateway, *presses: str, to: str = "0505", msisdn: str = A) -> dict:
    status, state = gateway.post(f"/api/v1/handsets/{msisdn}/calls", {"to": to})
    assert status == 201
    for digits in presses:
        assert state["state"] == "active", state
        status, state = gateway.post(f"/api/v1/calls/{state['call_id']}/dtmf", {"digits": digits})
        assert status == 200
    return state


def test_r15_balance_and_spending_spoken(gateway):
    assert call(gateway, "3", "1")["prompt"] == "Ваш баланс: 300.00 рубля."
    assert call(gateway, "3", "2")["prompt"] == "Расходы за месяц: 0.00 рубля."


def test_r17_tariff_spoken_and_changed_by_keys(gateway):
    assert call(gateway, "4", "1")["prompt"] == "Ваш тариф Базовый, 0.00 рублей в месяц."
    listing = call(gateway, "4", "2")
    assert listing["prompt"].startswith("Выберите тариф. МегаФон Минимум 300 — нажмите 1.")
    done = call(gateway, "4", "2", "1", "1")
    assert done["state"] == "ended" and done["prompt"] == "Тариф изменён на МегаФон Минимум. До свидания."


def test_r19_promised_payment_typed_on_the_keypad(gateway):
    done = call(gateway, "5", "1", "150*5#", "1")
    assert done["prompt"] == "Зачислено 150.50 рублей. До свидания."
    assert gateway.get(f"/api/v1/subscribers/{A}")[1]["balance"] == "440.50"


def test_r23_transfer_by_keypad_number_and_amount(gateway):
    done = call(gateway, "5", "3", "89261112233#", "25#", "1")
    assert done["prompt"] == "Переведено 25.00 рублей. До свидания."
    assert gateway.get(f"/api/v1/subscribers/{B}")[1]["balance"] == "175.00"


def test_r24_block_by_phone_and_back_and_home_keys(gateway):
    state = call(gateway, "6")
    assert state["prompt"].startswith("Настройки.")
    status, state = gateway.post(f"/api/v1/calls/{state['call_id']}/dtmf", {"digits": "*"})
    assert state["prompt"].startswith("Вас приветствует Сервис-Гид.")
    status, state = gateway.post(f"/api/v1/calls/{state['call_id']}/dtmf", {"digits": "63"})
    assert state["prompt"] == "SIM-карта заблокирована. До свидания." and state["state"] == "ended"
    assert gateway.get(f"/api/v1/subscribers/{A}")[1]["blocked"] is True


def test_r11_long_number_in_roaming_is_charged_per_started_minute(gateway):
    gateway.request("PATCH", f"/api/v1/handsets/{A}", {"roaming": True})
    state = call(gateway, to="+79221110505")
    status, ended = gateway.request("DELETE", f"/api/v1/calls/{state['call_id']}")
    assert status == 200 and ended["state"] == "ended"
    assert gateway.get(f"/api/v1/subscribers/{A}")[1]["balance"] == "285.00"
    details = gateway.ussd(A, "*105*1*3#")["text"]
    assert "Звонки в роуминге 15.00" in details
    gateway.request("PATCH", f"/api/v1/handsets/{A}", {"roaming": False})
    state = call(gateway, to="+79221110505")
    gateway.request("DELETE", f"/api/v1/calls/{state['call_id']}")
    assert gateway.get(f"/api/v1/subscribers/{A}")[1]["balance"] == "285.00"  # free at home


def test_english_voice_menu(gateway):
    state = call(gateway, msisdn="79267654321")
    assert state["prompt"].startswith("Welcome to the Service Guide. For a password by SMS, press 1.")


def test_r11_the_roaming_charge_is_in_the_call_record(gateway):
    gateway.request("PATCH", f"/api/v1/handsets/{A}", {"roaming": True})
    status, refused = gateway.post(f"/api/v1/handsets/{A}/calls", {"to": "0505"})
    assert status == 409 and refused["error"] == "not_connected"
    state = call(gateway, to="+79221110505")
    gateway.request("DELETE", f"/api/v1/calls/{state['call_id']}")
    status, record = gateway.get(f"/api/v1/calls/{state['call_id']}")
    assert status == 200 and record["charge"] == "15.00" and record["end_reason"] == "hung_up"
    status, listing = gateway.get(f"/api/v1/handsets/{A}/calls")
    assert [(c["to"], c["end_reason"], c["charge"]) for c in listing] == [
        ("+79221110505", "hung_up", "15.00"), ("0505", "not_connected", "0.00")]
    assert listing[1]["answered_at"] is None
    assert gateway.get(f"/api/v1/handsets/{A}/calls?limit=0")[0] == 400
    assert gateway.get("/api/v1/calls/nosuchcall")[0] == 404


def test_r04_r08_a_keypad_password_is_in_no_call_record_response_or_log(gateway):
    password = "90817263"
    done = call(gateway, "2", password[:3], password[3:] + "#")
    assert done["state"] == "ended" and done["end_reason"] == "completed"
    assert done["path"] == ["2", *"*" * len(password), "#"]
    status, listing = gateway.get(f"/api/v1/handsets/{A}/calls")
    assert status == 200 and listing[0]["call_id"] == done["call_id"]
    assert password not in json.dumps(listing) and password not in json.dumps(done)
    assert gateway.login("9261234567", password)[0] == 200  # the password was set all the same
    assert password not in gateway.log()


@pytest.fixture
def clocked(tmp_path):
    """A gateway on its test clock, waiting 4 s for a first key and 2 s between keys, 2 timeouts at most."""
    config = tmp_path / "gateway.yaml"
    config.write_text("voice: {first_digit_timeout: 4, inter_digit_timeout: 2, max_timeouts: 2}\n")
    process = GatewayProcess(tmp_path, "--test-clock", "--config", str(config))
    process.start()
    yield process
    process.stop()


def advance(gateway, seconds: float) -> None:
    assert gateway.post("/api/v1/clock/advance", {"seconds": seconds})[0] == 200


def test_first_digit_timeouts_repeat_the_prompt_then_end_the_call(clocked):
    state = call(clocked)
    welcome = state["prompt"]
    advance(clocked, 3.9)
    assert clocked.get(f"/api/v1/calls/{state['call_id']}")[1]["prompt"] == welcome
    advance(clocked, 0.1)
    again = clocked.get(f"/api/v1/calls/{state['call_id']}")[1]
    assert again["state"] == "active" and again["prompt"] == "Вы ничего не выбрали.\n" + welcome
    advance(clocked, 4)
    ended = clocked.get(f"/api/v1/calls/{state['call_id']}")[1]
    assert ended["state"] == "ended" and ended["end_reason"] == "max_timeouts"
    assert ended["prompt"] == "Вы ничего не выбрали. Позвоните ещё раз. До свидания."
    status, answer = clocked.post(f"/api/v1/calls/{state['call_id']}/dtmf", {"digits": "1"})
    assert status == 200 and answer["state"] == "ended" and answer["path"] == []  # too late


def test_an_input_left_unfinished_times_out_and_the_keys_are_dropped(clocked):
    state = call(clocked, "5", "1", "15")  # a promised payment amount, no hash yet
    advance(clocked, 2)
    state = clocked.get(f"/api/v1/calls/{state['call_id']}")[1]
    assert state["prompt"].startswith("Ввод не завершён: в конце нажмите решётку.\nВведите сумму")
    status, state = clocked.post(f"/api/v1/calls/{state['call_id']}/dtmf", {"digits": "100#"})
    assert state["prompt"].startswith("100.00 рублей на")  # only what was typed after the timeout counts


def test_wrong_keys_end_the_call_at_max_failures(gateway):
    state = call(gateway, "9", "9")
    assert state["state"] == "active" and state["prompt"].startswith("Неверный выбор.")
    state = call(gateway, "9", "9", "9")
    assert state["state"] == "ended" and state["end_reason"] == "max_failures"
    assert state["prompt"] == "Слишком много ошибок. Позвоните ещё раз. До свидания."
