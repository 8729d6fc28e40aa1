"""The main branches of the 0505 voice menu on a real gateway (R04, R11, R15, R17, R19, R23, R24)."""

from __future__ import annotations

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
