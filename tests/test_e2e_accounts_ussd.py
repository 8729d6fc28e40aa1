"""Access levels (R26-R28) and autopay set-up (R20) walked through *105# on a real gateway."""

from __future__ import annotations

from tests.gatewayproc import password_in

MANAGER, MEMBER = "79262220001", "79262220002"  # two numbers on one account
OTHER = "79261234567"  # a demo subscriber on an account of its own


def family(gateway) -> None:
    """MANAGER opens an account (so manages it, R28); MEMBER joins it (R27 by default)."""
    status, body = gateway.post("/api/v1/subscribers", {"msisdn": MANAGER, "balance": "100.00"})
    assert status == 201 and body["access"] == "account", body
    status, body = gateway.post("/api/v1/subscribers", {"msisdn": MEMBER, "balance": "50.00", "account_of": MANAGER})
    assert status == 201 and body["access"] == "subscriber", body


def summary(gateway, msisdn: str) -> dict:
    return gateway.get(f"/api/v1/subscribers/{msisdn}")[1]


def test_r27_a_joined_number_sees_the_account_but_changes_only_itself(gateway):
    family(gateway)
    assert gateway.ussd(MEMBER, "*105*7*5*1#")["text"] == "Ваш доступ: управление абонентом."
    numbers = gateway.ussd(MEMBER, "*105*7*5*2#")
    assert numbers["text"] == f"Номера:\n1 {MANAGER} 100.00\n2 {MEMBER} 50.00\n0 Назад"
    gateway.ussd(MEMBER, "1")  # MANAGER
    gateway.ussd(MEMBER, "2")  # access level
    refused = gateway.ussd(MEMBER, "1")  # view only, for the manager: not its to give
    assert refused == {**refused, "end": True, "text": "Недостаточно прав."}
    assert summary(gateway, MANAGER)["access"] == "account"
    own = gateway.ussd(MEMBER, "*105*2*2*1*1#")  # connect an option on its own number
    assert own["end"] and "подключена" in own["text"]


def test_r28_the_manager_sees_grants_and_blocks_numbers_of_the_account(gateway):
    family(gateway)
    assert gateway.ussd(MANAGER, "*105*7*5*1#")["text"] == "Ваш доступ: управление счётом."
    shown = gateway.ussd(MANAGER, "*105*7*5*2*2*1#")
    assert shown["text"] == f"{MEMBER}: 50.00 руб., тариф Базовый, доступ: управление абонентом."
    granted = gateway.ussd(MANAGER, "*105*7*5*2*2*2*3#")
    assert granted["text"] == f"{MEMBER}: управление счётом."
    assert summary(gateway, MEMBER)["access"] == "account"
    confirm = gateway.ussd(MANAGER, "*105*7*5*2*2*3#")
    assert confirm["text"].startswith("Заблокировать SIM этого номера?")
    assert gateway.ussd(MANAGER, "1")["text"] == f"SIM номера {MEMBER} заблокирована."
    assert summary(gateway, MEMBER)["blocked"] is True
    # The account keeps a manager: with MEMBER managing too, MANAGER may step down; MEMBER,
    # the last one left, may not.
    assert gateway.ussd(MANAGER, "*105*7*5*2*1*2*2#")["text"] == f"{MANAGER}: управление абонентом."
    assert gateway.ussd(MEMBER, "*105*7*5*2*2*2*1#")["text"] == "Недостаточно прав."
    assert summary(gateway, MEMBER)["access"] == "account"


def test_r28_another_account_is_out_of_reach(gateway):
    family(gateway)
    numbers = gateway.ussd(OTHER, "*105*7*5*2#")
    assert numbers["text"] == f"Номера:\n1 {OTHER} 300.00\n0 Назад"
    assert MANAGER not in numbers["text"]


def test_r26_view_only_sees_everything_and_changes_nothing(gateway):
    family(gateway)
    assert gateway.ussd(MANAGER, "*105*7*5*2*2*2*1#")["text"] == f"{MEMBER}: только просмотр."
    assert gateway.ussd(MEMBER, "*105*7*5*1#")["text"] == "Ваш доступ: только просмотр."
    assert gateway.ussd(MEMBER, "*105*1*1#")["text"] == "Баланс: 50.00 руб."
    assert gateway.ussd(MEMBER, "*105*7*5*2#")["text"].startswith("Номера:\n1 ")
    refused = gateway.ussd(MEMBER, "*105*2*2*1*1#")
    assert refused["end"] and refused["text"] == "Недостаточно прав."
    assert summary(gateway, MEMBER)["options"] == []
    blocked = gateway.ussd(MEMBER, "*105*7*3*1#")
    assert summary(gateway, MEMBER)["blocked"] is False, blocked
    # The same level holds on the other channels: an SMS command and the voice menu.
    status, _ = gateway.post(f"/api/v1/handsets/{MEMBER}/sms", {"to": "5037", "text": "подключить who_called"})
    assert status == 202
    assert "Недостаточно прав." in gateway.inbox(MEMBER)[-1]["text"]
    status, call = gateway.post(f"/api/v1/handsets/{MEMBER}/calls", {"to": "0505"})
    assert status == 201
    status, heard = gateway.post(f"/api/v1/calls/{call['call_id']}/dtmf", {"digits": "65"})
    assert "только просмотр" in heard["prompt"]


def test_r20_autopay_is_set_up_from_ussd_on_the_linked_card(gateway):
    unlinked = gateway.ussd(OTHER, "*105*5*7*2*1#")
    assert unlinked["text"] == "Сумма автоплатежа, руб.:"
    assert gateway.ussd(OTHER, "200")["text"] == "Карта не привязана: привяжите её в Личном кабинете."
    gateway.ussd(OTHER, "*105*00#")
    token = gateway.login("9261234567", password_in(gateway.inbox(OTHER)[-1]["text"]))[1]["token"]
    status, _ = gateway.post("/api/v1/account/autopay", {"kind": "periodic", "every": "week", "amount": "100",
                                                         "card_token": "tok_demo_4242"}, token=token)
    assert status == 201
    gateway.ussd(OTHER, "*105*5*7*2*3#")
    assert gateway.ussd(OTHER, "150*50")["text"] == "Автоплатёж 150.50 руб. каждые 20 дней включён."
    gateway.ussd(OTHER, "*105*5*7*3#")
    gateway.ussd(OTHER, "50")
    assert gateway.ussd(OTHER, "300")["text"] == "Автоплатёж 300.00 руб. если < 50.00 включён."
    status, rules = gateway.get("/api/v1/account/autopay", token=token)
    assert status == 200
    assert sorted((r["kind"], r["amount"]) for r in rules) == [
        ("periodic", "100.00"), ("periodic", "150.50"), ("threshold", "300.00")]
    assert all(r["card"] == "…4242" for r in rules)
