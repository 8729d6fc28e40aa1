"""The corporate account through *105# on a real gateway (R29, R31-R33), set up as an
operator's office would: the client over the API, registration by SMS to 000511 (R30)."""

from __future__ import annotations

import json
import re

A, B, C = "79261110001", "79261110002", "79261110003"  # the group of "Romashka"
OUTSIDER = "79261234567"  # a demo subscriber in no group
ICCID = "89701012417510000002"  # 20 digits, Luhn-valid


def romashka(gateway, *, secret: bool = True) -> str:
    """Client Romashka (federal: two regions) with numbers A, B, C; A registers: its password."""
    for msisdn in (A, B, C):
        assert gateway.post("/api/v1/subscribers", {"msisdn": msisdn, "balance": "500.00"})[0] == 201
    client = {"name": "Romashka LLC", "kind": "company", "regions": ["Moscow", "Kazan"],
              "members": [A, B, C], "contacts": [A]}
    if secret:
        client |= {"secret_question": "First pet?", "secret_answer": "Sharik"}
    status, body = gateway.post("/api/v1/corporate/clients", client)
    assert status == 201 and body["federal"] is True and "secret_answer" not in body, body
    assert gateway.post(f"/api/v1/handsets/{A}/sms", {"to": "000511", "text": "регистрация"})[0] == 202
    registered = gateway.inbox(A)[-1]["text"]
    return re.search(r"пароль: (\S+)\.$", registered).group(1)


def whole(gateway, msisdn: str, screen: dict) -> str:
    """A long final text read to its end with 99, its pages joined."""
    pages = []
    while screen["text"].endswith("\n99 Далее"):
        pages.append(screen["text"].removesuffix("\n99 Далее"))
        screen = gateway.ussd(msisdn, "99")
    return "\n".join([*pages, screen["text"]])


def enter(gateway, password: str) -> dict:
    """A's handset: *105# → corporate → CP_ login with `password`; the screen after it."""
    assert gateway.ussd(A, "*105*9*2#")["text"] == "Пароль CP_ (постоянный):"
    return gateway.ussd(A, password)


def test_r29_a_member_sees_its_client_and_its_own_spending(gateway):
    romashka(gateway)
    member = gateway.ussd(B, "*105*9*1#")
    assert member["text"] == "Romashka LLC (юрлицо, федеральный). Расход: 0.00 руб., лимит: без лимита."
    assert gateway.ussd(OUTSIDER, "*105*9*1#")["text"] == "Номер не входит в корпоративную группу."


def test_r31_the_cp_login_takes_only_the_permanent_password_of_its_own_number(gateway):
    password = romashka(gateway)
    gateway.ussd(A, "*105*00#")  # a personal one-time password is not the corporate one
    one_time = re.search(r"кабинет: (\S+)\.", gateway.inbox(A)[-1]["text"]).group(1)
    assert enter(gateway, one_time)["text"] == "Неверный пароль."
    screen = enter(gateway, password)
    assert screen["text"].startswith("Вход CP_9261110001.\nКорп. кабинет\n1 Расходы"), screen
    assert not screen["end"]
    gateway.ussd(B, "*105*9*2#")  # B's own CP_ login was never registered
    assert gateway.ussd(B, password)["text"] == "Корпоративный кабинет не зарегистрирован: SMS на 000511."
    assert password not in gateway.log()
    records = json.dumps(gateway.get(f"/api/v1/handsets/{A}/dialogues")[1], ensure_ascii=False)
    assert "Вход CP_9261110001" in records and password not in records  # a secret input is masked


def test_r32_two_wrong_passwords_need_a_captcha_and_the_secret_question_resets(gateway):
    password = romashka(gateway)
    assert enter(gateway, "wrong-one")["text"] == "Неверный пароль."
    captcha = "Много неверных паролей: войдите на сайте с проверочным кодом."
    assert enter(gateway, "wrong-two")["text"] == captcha
    assert enter(gateway, password)["text"] == captcha  # the right password no longer suffices
    status, body = gateway.login("CP_9261110001", password)
    assert status == 428 and body["error"] == "captcha_required"
    assert gateway.ussd(A, "*105*9*3#")["text"].startswith("First pet?")
    assert gateway.ussd(A, "kotik")["text"] == "Ответ неверный."
    gateway.ussd(A, "*105*9*3#")
    assert gateway.ussd(A, " sharik ")["text"] == "Новый пароль отправлен на контактные номера."
    sms = gateway.inbox(A)[-1]
    fresh = re.search(r"CP_9261110001: (\S+)\.", sms["text"]).group(1)
    assert fresh != password
    assert enter(gateway, fresh)["text"].startswith("Вход CP_9261110001.")


def test_r32_without_a_secret_question_only_an_office_resets(gateway):
    romashka(gateway, secret=False)
    answer = gateway.ussd(A, "*105*9*3#")
    assert answer == {**answer, "end": True, "text": "Контрольный вопрос не задан: сброс пароля только в офисе."}


def test_r33_the_admin_manages_every_number_from_the_handset(gateway):
    password = romashka(gateway)
    enter(gateway, password)
    # Spending per account and per number, with a limit set and removed.
    gateway.ussd(A, "2")
    gateway.ussd(A, "1")
    gateway.ussd(A, B)
    assert gateway.ussd(A, "150")["text"] == f"Лимит {B}: 150.00."
    enter(gateway, password)
    spending = whole(gateway, A, gateway.ussd(A, "1"))
    assert spending.startswith("Расходы за ") and f"{B}: 0.00/150.00" in spending
    assert f"{C}: 0.00/без лимита" in spending
    enter(gateway, password)
    for key in ("2", "2"):
        gateway.ussd(A, key)
    assert gateway.ussd(A, B)["text"] == f"Лимит {B}: без лимита."
    # An option on every number.
    enter(gateway, password)
    options = gateway.ussd(A, "3")
    assert options["text"].startswith("Услуга всем:\n1 ")
    gateway.ussd(A, "1")
    switched = gateway.ussd(A, "1")
    assert re.fullmatch(r"«.+» подключена: 3, уже была: 0\.", switched["text"]), switched
    option = gateway.get(f"/api/v1/subscribers/{C}")[1]["options"]
    assert len(option) == 1 and all(gateway.get(f"/api/v1/subscribers/{m}")[1]["options"] == option for m in (A, B))
    # A tariff for every number, confirmed first.
    enter(gateway, password)
    tariffs = gateway.ussd(A, "4")
    assert tariffs["text"].startswith("Тариф всем:\n1 ")
    gateway.ussd(A, "2")
    changed = gateway.ussd(A, "1")
    assert re.fullmatch(r"Тариф «.+»: сменён 3, уже был 0\.", changed["text"]), changed
    assert len({gateway.get(f"/api/v1/subscribers/{m}")[1]["tariff"] for m in (A, B, C)}) == 1
    # Forwarding of every number to B (B itself is not forwarded to itself), then cancelled.
    enter(gateway, password)
    gateway.ussd(A, "5")
    gateway.ussd(A, "1")
    assert gateway.ussd(A, "8" + B[1:])["text"] == f"Переадресация на {B}: 2 ном."
    enter(gateway, password)
    gateway.ussd(A, "5")
    assert gateway.ussd(A, "2")["text"] == "Переадресация отменена."
    # A new SIM card for C; an invalid ICCID is refused.
    enter(gateway, password)
    gateway.ussd(A, "6")
    gateway.ussd(A, C)
    assert gateway.ussd(A, ICCID)["text"] == f"SIM …0002 выдана номеру {C}."
    enter(gateway, password)
    gateway.ussd(A, "6")
    gateway.ussd(A, C)
    assert gateway.ussd(A, ICCID)["text"] == "Неверный номер SIM-карты (ICCID)."  # issued already
    # An employee with a position, then the list.
    enter(gateway, password)
    for key in ("7", "2", B, "Ivan Petrov"):
        gateway.ussd(A, key)
    assert gateway.ussd(A, "Manager")["text"] == f"Сотрудник Ivan Petrov ({B}) добавлен."
    enter(gateway, password)
    gateway.ussd(A, "7")
    assert gateway.ussd(A, "1")["text"] == f"{B} Ivan Petrov, Manager"
    # The spending report by SMS, and the client itself.
    enter(gateway, password)
    report = gateway.ussd(A, "8")
    assert report["text"].startswith("Отчёт за ") and report["end"]
    sms = gateway.inbox(A)[-1]["text"]
    assert sms.startswith("Расходы за ") and f"{B}: " in sms and f"{C}: " in sms
    enter(gateway, password)
    client = gateway.ussd(A, "9")
    assert client["text"] == "Romashka LLC: юрлицо, федеральный. Регионы: Kazan, Moscow. Номеров: 3."
    assert password not in gateway.log()


def test_r33_a_member_number_cannot_manage_the_group(gateway):
    romashka(gateway)
    menu = gateway.ussd(B, "*105*9#")
    assert menu["text"] == "Корпоративный кабинет\n1 Мой номер в группе\n2 Вход CP_\n3 Забыли пароль\n0 Назад"
    gateway.ussd(B, "2")
    assert gateway.ussd(B, "anything")["text"] == "Корпоративный кабинет не зарегистрирован: SMS на 000511."
