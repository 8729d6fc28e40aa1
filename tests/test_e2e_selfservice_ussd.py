"""The self-service walked through *105# on a real gateway, rule by rule (R10-R27)."""

from __future__ import annotations

A, B = "79261234567", "79261112233"


def walk(gateway, msisdn: str, *keys: str) -> dict:
    """Dial *105# and answer each screen in turn; the last screen."""
    screen = gateway.ussd(msisdn, "*105#")
    for key in keys:
        assert not screen["end"], screen
        screen = gateway.ussd(msisdn, key)
    return screen


def balance(gateway, msisdn: str) -> str:
    return gateway.get(f"/api/v1/subscribers/{msisdn}")[1]["balance"]


def test_r10_usssd_is_free_at_home_and_in_roaming(gateway):
    gateway.request("PATCH", f"/api/v1/handsets/{A}", {"roaming": True})
    assert walk(gateway, A, "1", "1")["text"] == "Баланс: 300.00 руб."
    assert gateway.ussd(A, "*105*3*1#")["end"]
    assert balance(gateway, A) == "300.00"


def test_r14_the_self_service_consumes_no_traffic_also_in_national_roaming(gateway):
    remainders = gateway.ussd(A, "*105*4*1#")["text"]
    gateway.request("PATCH", f"/api/v1/handsets/{A}", {"roaming": True})
    for code in ("*105*1*1#", "*105*3*1#", "*105*4*1#", "*105*7*5*1#", "*105*9*1#"):
        assert gateway.ussd(A, code)["end"]
    assert gateway.ussd(A, "*105*4*1#")["text"] == remainders  # internet, minutes, SMS all untouched
    assert balance(gateway, A) == "300.00"
    assert gateway.ussd(A, "*105*1*2#")["text"].startswith("Расходы за 20")
    assert ": 0.00 руб.\n" in gateway.ussd(A, "*105*1*2#")["text"] + "\n"


def test_r15_balance_spending_and_detailization(gateway):
    assert gateway.ussd(A, "*105*1*1#")["text"] == "Баланс: 300.00 руб."
    walk(gateway, A, "2", "2", "1", "1")  # connect the first option offered
    spending = gateway.ussd(A, "*105*1*2#")
    assert spending["end"] and "Расходы за" in spending["text"] and "Услуги:" in spending["text"]
    details = gateway.ussd(A, "*105*1*3#")
    assert "Детализация за" in details["text"] and "Услуги" in details["text"]


def test_r16_options_connect_list_disconnect_and_subscriptions(gateway):
    offered = walk(gateway, A, "2", "2")
    assert offered["text"].startswith("Подключить:\n1 ")
    confirm = gateway.ussd(A, "1")
    assert confirm["text"].startswith("Подключить услугу?")
    done = gateway.ussd(A, "1")
    assert done["end"] and "подключена" in done["text"]
    options = gateway.get(f"/api/v1/subscribers/{A}")[1]["options"]
    assert len(options) == 1
    connected = walk(gateway, A, "2", "1")
    assert connected["text"].startswith("Отключить:\n1 ")
    gateway.ussd(A, "1")
    assert "отключена" in gateway.ussd(A, "1")["text"]
    assert gateway.get(f"/api/v1/subscribers/{A}")[1]["options"] == []
    # A paid subscription (started by SMS, as content providers do) is seen and cancelled.
    gateway.post(f"/api/v1/handsets/{A}/sms", {"to": "1410", "text": "подписаться horoscope"})
    listed = walk(gateway, A, "2", "3")
    assert "Гороскоп" in listed["text"]
    gateway.ussd(A, "1")
    assert "отменена" in gateway.ussd(A, "1")["text"]
    assert gateway.get(f"/api/v1/subscribers/{A}")[1]["subscriptions"] == []


def test_r17_current_tariff_and_change(gateway):
    assert gateway.ussd(A, "*105*3*1#")["text"].startswith("Тариф «Базовый», 0.00 руб./мес.")
    tariffs = walk(gateway, A, "3", "2")
    assert tariffs["text"].startswith("Тарифы:\n1 ") and "Бизнес" not in tariffs["text"]
    gateway.ussd(A, "1")
    changed = gateway.ussd(A, "1")
    assert changed["end"] and changed["text"].startswith("Тариф изменён на")
    assert gateway.get(f"/api/v1/subscribers/{A}")[1]["tariff"] != "standard"


def test_r18_top_up_own_and_another_number(gateway):
    done = walk(gateway, A, "5", "1", "100")
    assert done["text"] == f"Зачислено 100.00 руб. на {A}. Баланс: 400.00 руб."
    done = walk(gateway, A, "5", "2", "+79261112233", "50*5")
    assert done["text"].startswith(f"Зачислено 50.50 руб. на {B}.")
    assert balance(gateway, B) == "200.50"


def test_r19_promised_payment_quote_take_and_status(gateway):
    quote = walk(gateway, A, "5", "6", "1", "300")
    assert quote["text"].startswith("300.00 руб. на 3 дн., комиссия 10.00 руб.") and not quote["end"]
    taken = gateway.ussd(A, "1")
    assert taken["end"] and taken["text"].startswith("Зачислено 300.00 руб., вернуть до")
    assert balance(gateway, A) == "590.00"
    assert gateway.ussd(A, "*105*5*6*2#")["text"].startswith("Обещанный платёж 300.00 руб. до")
    again = walk(gateway, A, "5", "6", "1", "100", "1")
    # A second one while the first is outstanding is refused, saying why.
    assert again["end"] and again["text"].startswith("Обещанный платёж недоступен:")


def test_r22_package_remainders_and_purchase(gateway):
    assert gateway.ussd(A, "*105*4*1#")["text"] == "Осталось: 0 мин, 0 SMS, 0 МБ."
    packages = walk(gateway, A, "4", "2")
    assert packages["text"].startswith("Пакеты:\n1 +100 минут 150")
    gateway.ussd(A, "1")
    assert gateway.ussd(A, "1")["text"] == "Пакет «+100 минут» куплен за 150.00 руб."
    assert gateway.ussd(A, "*105*4*1#")["text"] == "Осталось: 100 мин, 0 SMS, 0 МБ."
    assert balance(gateway, A) == "150.00"


def test_r21_bonus_points_earned_by_top_up_and_spent(gateway):
    walk(gateway, A, "5", "1", "1500")  # 150 points for 1500 roubles
    assert gateway.ussd(A, "*105*6*1#")["text"] == "Бонусных баллов: 150."
    rewards = walk(gateway, A, "6", "2")
    [line] = [line for line in rewards["text"].split("\n") if line.endswith(" 50 SMS 150")]
    gateway.ussd(A, line.split()[0])
    spent = gateway.ussd(A, "1")
    assert spent["text"] == "Получено: 50 SMS. Осталось баллов: 0."
    assert gateway.ussd(A, "*105*4*1#")["text"] == "Осталось: 0 мин, 50 SMS, 0 МБ."


def test_r23_transfer_and_pay_for_me(gateway):
    confirm = walk(gateway, A, "5", "3", "89261112233", "50")
    assert confirm["text"].startswith("Перевести деньги?")
    assert gateway.ussd(A, "1")["text"] == f"Переведено 50.00 руб. на номер {B}. Баланс: 250.00 руб."
    assert balance(gateway, B) == "200.00"
    asked = walk(gateway, A, "5", "4", B, "30")
    assert asked["text"] == f"Запрос на 30.00 руб. отправлен абоненту {B}."
    requests = walk(gateway, B, "5", "5")
    assert requests["text"].startswith("Запросы:\n1 79261234567: 30")
    gateway.ussd(B, "1")
    assert gateway.ussd(B, "1")["text"] == f"Оплачено 30.00 руб. за {A}."
    assert (balance(gateway, A), balance(gateway, B)) == ("280.00", "170.00")
    self_transfer = walk(gateway, A, "5", "3", A, "10", "1")
    assert self_transfer["end"] and self_transfer["text"] == "Этому номеру нельзя перевести или отправить запрос."


def test_r24_block_refuses_paid_operations_until_unblocked(gateway):
    assert gateway.ussd(A, "*105*7*3*1#")["text"] == "SIM-карта заблокирована."
    assert gateway.get(f"/api/v1/subscribers/{A}")[1]["blocked"] is True
    refused = walk(gateway, A, "2", "2", "1", "1")
    assert refused["text"] == "SIM-карта заблокирована."
    assert gateway.ussd(A, "*105*1*1#")["text"] == "Баланс: 300.00 руб."  # still visible
    assert gateway.ussd(A, "*105*7*3*3#")["text"] == "SIM-карта разблокирована."
    assert "подключена" in walk(gateway, A, "2", "2", "1", "1")["text"]


def test_r25_faq_by_topic_and_a_question(gateway):
    topics = walk(gateway, A, "8", "1")
    assert topics["text"].startswith("Темы:\n1 Пароль и вход")
    answers = gateway.ussd(A, "1")
    assert "*105*00#" in answers["text"]
    asked = walk(gateway, A, "8", "2", "2", "Как подключить обещанный платёж?")
    assert asked["text"].startswith("Вопрос №1 принят.")
    assert gateway.ussd(A, "*105*8*3#")["text"] == "№1: ждёт ответа"


def test_r20_autopay_rules_are_listed_and_paused(gateway):
    gateway.ussd(A, "*105*00#")
    password = gateway.inbox(A)[-1]["text"].split(": ")[1].split(".")[0]
    token = gateway.login("9261234567", password)[1]["token"]
    status, rule = gateway.post("/api/v1/account/autopay", {"kind": "periodic", "every": "month", "amount": "200",
                                                             "card_token": "tok_demo_4242"}, token=token)
    assert status == 201 and rule["status"] == "active" and "4242" in rule["card"]
    listed = walk(gateway, A, "5", "7", "1")
    assert listed["text"].startswith("Автоплатежи:\n1 200 каждый месяц, активен")
    gateway.ussd(A, "1")
    assert gateway.ussd(A, "1")["text"] == "Автоплатёж приостановлен."
    status, body = gateway.post("/api/v1/account/autopay", {"kind": "periodic", "every": "month", "amount": "200",
                                                            "card_token": "4276 1234 5678 9012"}, token=token)
    assert status == 400 and "4276" not in body["message"]


def test_r27_a_handset_changes_only_its_own_number(gateway):
    walk(gateway, A, "2", "2", "1", "1")
    assert gateway.get(f"/api/v1/subscribers/{A}")[1]["options"]
    assert gateway.get(f"/api/v1/subscribers/{B}")[1]["options"] == []


def test_english_screens_and_paging_of_the_main_menu(gateway):
    first = gateway.ussd("79267654321", "*105#")
    assert first["text"].startswith("Service Guide\n1 Balance and spending")
    page = gateway.ussd("79267654321", "99") if "99 More" in first["text"] else first
    assert "8 Help" in page["text"]
