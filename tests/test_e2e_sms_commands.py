"""SMS commands to the service numbers on a real gateway (R13, R15-R18, R21-R23, R30)."""

from __future__ import annotations

from core.corporate.clients import create_client
from core.db.store import Store

A, B = "79261234567", "79261112233"


def command(gateway, to: str, text: str, msisdn: str = A) -> dict:
    status, _ = gateway.post(f"/api/v1/handsets/{msisdn}/sms", {"to": to, "text": text})
    assert status == 202
    reply = gateway.inbox(msisdn)[-1]
    assert reply["from"] == to
    return reply


def balance(gateway, msisdn: str = A) -> str:
    return gateway.get(f"/api/v1/subscribers/{msisdn}")[1]["balance"]


def test_r13_service_sms_free_at_home_charged_in_roaming(gateway):
    assert command(gateway, "000100", "баланс")["text"] == "Баланс: 300.00 руб."
    gateway.request("PATCH", f"/api/v1/handsets/{A}", {"roaming": True})
    assert command(gateway, "000100", "Balance")["text"] == "Баланс: 281.00 руб."
    details = command(gateway, "000100", "детализация")["text"]
    assert "SMS в роуминге 19.00" in details


def test_r13_commands_tolerate_case_and_keyboard_layout(gateway):
    assert command(gateway, "000100", ",fkfyc")["text"] == "Баланс: 300.00 руб."
    assert command(gateway, "000100", "ТАРИФ!")["text"] == "Тариф «Базовый», 0.00 руб./мес."
    assert command(gateway, "000100", "что-нибудь")["text"].startswith("Команды на 000100:")


def test_r16_options_and_subscriptions_by_sms(gateway):
    catalogue = command(gateway, "5037", "каталог")["text"]
    assert "internet_unlimited — Безлимитный интернет 300" in catalogue
    assert command(gateway, "5037", "подключить internet_unlimited")["text"] == "Услуга «Безлимитный интернет» подключена."
    assert "internet_unlimited" in command(gateway, "5037", "услуги")["text"]
    assert command(gateway, "5037", "отключить internet_unlimited")["text"] == "Услуга «Безлимитный интернет» отключена."
    assert command(gateway, "5037", "подключить nothing")["text"] == "Нет такой услуги или тарифа."
    assert balance(gateway) == "0.00"  # the option's first month took it all
    assert command(gateway, "1410", "подписаться horoscope")["text"] == "Недостаточно средств на счёте."
    command(gateway, "1410", "подписаться horoscope", msisdn=B)
    command(gateway, "1410", "subscribe news", msisdn=B)
    assert "horoscope" in command(gateway, "1410", "подписки", msisdn=B)["text"]
    assert command(gateway, "1410", "стоп horoscope", msisdn=B)["text"] == "Подписка «Гороскоп на каждый день» отменена."
    assert command(gateway, "1410", "стоп всё", msisdn=B)["text"] == "Отменено подписок: 1."


def test_r15_r21_r22_reports_by_sms(gateway):
    command(gateway, "5037", "подключить who_called")
    assert command(gateway, "000100", "расходы")["text"].startswith("Расходы за ")
    assert command(gateway, "000100", "остатки")["text"] == "Осталось: 0 мин, 0 SMS, 0 МБ."
    assert command(gateway, "000100", "бонусы")["text"] == "Бонусных баллов: 0."


def test_r17_r19_r23_payments_and_tariff_by_sms(gateway):
    reply = command(gateway, "1100", "обещанный 100")["text"]
    assert reply.startswith("Обещанный платёж 100.00 руб. зачислен, комиссия 0.00 руб.")
    assert command(gateway, "1100", f"перевод {B} 50")["text"] == f"Переведено 50.00 руб. на номер {B}. Баланс: 350.00 руб."
    assert balance(gateway, B) == "200.00"
    assert command(gateway, "1100", "тариф minimum")["text"] == "Тариф изменён на «МегаФон Минимум»."
    assert command(gateway, "1100", "перевод 89990000000 5")["text"] == "Номер не обслуживается."
    assert command(gateway, "1100", "перевод")["text"].startswith("Команды на 1100:")


def test_r30_corporate_registration_by_sms_to_000511(gateway):
    refused = command(gateway, "000511", "регистрация")
    assert refused["text"] == "Номер не входит в корпоративную группу."
    # The operator's office creates the corporate client; then a member registers by SMS.
    store = Store(f"sqlite:///{gateway.workdir}/var/gateway.sqlite3")
    with store.transaction() as uow:
        create_client(uow, "ООО Ромашка", "company", ["Москва", "Казань"], 0.0, members=[A])
    store.dispose()
    registered = command(gateway, "000511", "регистрация")["text"]
    assert registered.startswith("Корпоративный кабинет зарегистрирован. Логин: CP_9261234567, пароль: ")
    password = registered.rsplit(": ", 1)[1].rstrip(".")
    status, body = gateway.login("CP_9261234567", password)
    assert status == 200 and body["token"]
    again = command(gateway, "000511", "рег")["text"]
    assert again.startswith("Корпоративный кабинет уже зарегистрирован.")
