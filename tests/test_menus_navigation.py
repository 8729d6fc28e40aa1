"""Navigation, paging to the USSD limits, lists, confirmations and typed inputs (engine, pure)."""

from __future__ import annotations

import textwrap

from hypothesis import given
from hypothesis import strategies as st

from menus import engine, screen
from menus.loader import Catalogue, Output, lint, load
from menus.schema import Channel, InputKind, InputRule

BASE_TEXTS = """\
locales: [ru, en]
texts:
  session_ended: {ru: "Конец", en: "End"}
  invalid_choice: {ru: "Неверный выбор.", en: "Invalid choice."}
  invalid_input: {ru: "Неверный ввод.", en: "Invalid input."}
  too_many_tries: {ru: "Слишком много ошибок.", en: "Too many errors."}
  error.default: {ru: "Ошибка", en: "Error"}
  error.insufficient_funds: {ru: "Недостаточно средств", en: "Not enough money"}
  nav_back: {ru: "Назад", en: "Back"}
  nav_more: {ru: "Далее", en: "More"}
  list_empty: {ru: "Пусто.", en: "Empty."}
  voice_item: {ru: "{label} — нажмите {key}.", en: "For {label}, press {key}."}
sms: {}
"""

TREE = BASE_TEXTS + """\
ussd:
  "105": {root: main}
voice: {numbers: ["0505"], root: main}
nodes:
  main:
    type: menu
    text: {ru: "Сервис-Гид", en: "Service Guide"}
    items:
      - {key: "1", label: {ru: "Тарифы", en: "Tariffs"}, goto: tariffs}
      - {key: "2", label: {ru: "Перевод", en: "Transfer"}, goto: ask_number}
  tariffs:
    type: list
    action: list_tariffs
    text: {ru: "Тарифы:", en: "Tariffs:"}
    store: tariff
    next: confirm_tariff
  confirm_tariff:
    type: confirm
    text: {ru: "Сменить тариф? 1 Да, 2 Нет", en: "Change the tariff? 1 Yes, 2 No"}
    next: change_tariff
  change_tariff:
    type: action
    action: change_tariff
    text: {ru: "Тариф изменён: {name}", en: "Tariff changed: {name}"}
  ask_number:
    type: input
    text: {ru: "Номер получателя:", en: "Recipient's number:"}
    input: {name: to, kind: number}
    next: ask_amount
  ask_amount:
    type: input
    text: {ru: "Сумма, руб.:", en: "Amount, RUB:"}
    input: {name: amount, kind: amount, min: 1, max: 15000}
    next: transfer
  transfer:
    type: action
    action: transfer
    text: {ru: "Переведено {amount} руб.", en: "Transferred {amount} RUB"}
"""

CATALOGUE = Catalogue(actions={
    "list_tariffs": {"label": Output(30, text=True)},
    "change_tariff": {"name": Output(30, text=True)},
    "transfer": {"amount": Output(12)},
})


def menus_from(tmp_path, body: str = TREE):
    path = tmp_path / "menus.yaml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return load(str(path), CATALOGUE), str(path)


def test_back_and_home_keys(tmp_path):
    menus, _ = menus_from(tmp_path)
    first = engine.start(menus, "main", "ru")
    assert "0 Назад" not in first.text  # nothing behind the root
    ask = engine.step(menus, first.cursor, "2")
    assert ask.text == "Номер получателя:"
    amount = engine.step(menus, ask.cursor, "+79031234567")
    assert amount.text == "Сумма, руб.:"
    back = engine.step(menus, amount.cursor, "0")
    assert back.text == "Номер получателя:"
    home = engine.step(menus, back.cursor, "00")
    assert home.text == first.text and home.cursor.trail == ()


def test_typed_inputs_are_normalised_and_passed_to_the_action(tmp_path):
    menus, _ = menus_from(tmp_path)
    cursor = engine.step(menus, engine.start(menus, "main", "ru").cursor, "2").cursor
    cursor = engine.step(menus, cursor, "8 903 123-45-67").cursor
    act = engine.step(menus, cursor, "150*5")  # keypad: * is the decimal point
    assert isinstance(act, engine.Act)
    assert act.args == {"to": "79031234567", "amount": "150.50"}
    done = engine.resume(menus, act, {"amount": "150.50"})
    assert done.ended and done.text == "Переведено 150.50 руб."


def test_bad_typed_input_reprompts_with_the_reason(tmp_path):
    menus, _ = menus_from(tmp_path)
    cursor = engine.step(menus, engine.start(menus, "main", "ru").cursor, "2").cursor
    again = engine.step(menus, cursor, "12345")
    assert again.text == "Неверный ввод.\nНомер получателя:" and not again.ended
    cursor = engine.step(menus, again.cursor, "79031234567").cursor
    assert engine.step(menus, cursor, "-5").text.startswith("Неверный ввод.")
    assert engine.step(menus, cursor, "20000").text.startswith("Неверный ввод.")


def test_long_list_is_paged_to_the_ucs2_limit_and_choices_are_numbered_across_pages(tmp_path):
    menus, _ = menus_from(tmp_path)
    act = engine.step(menus, engine.start(menus, "main", "ru").cursor, "1")
    assert isinstance(act, engine.Act) and act.action == "list_tariffs"
    items = [(f"t{n}", f"Тариф номер {n} за {n}00 руб.") for n in range(1, 13)]
    page = engine.resume(menus, act, {"items": items})
    seen, pages = [], 0
    while True:
        pages += 1
        used, limit = screen.size(page.text)
        assert used <= limit == screen.UCS2_LIMIT
        seen += [line for line in page.text.split("\n") if line[:2].strip().isdigit() and "Тариф" in line]
        if "99 Далее" not in page.text:
            break
        page = engine.step(menus, page.cursor, "99")
    assert pages > 1 and len(seen) == 12
    assert seen[-1].startswith("12 ")
    back = engine.step(menus, page.cursor, "0")  # back goes to the previous page first
    assert "99 Далее" in back.text
    confirm = engine.step(menus, page.cursor, "12")
    assert confirm.text.startswith("Сменить тариф?")
    act = engine.step(menus, confirm.cursor, "1")
    assert act.args == {"tariff": "t12"}


def test_confirm_2_goes_back_and_empty_list_ends(tmp_path):
    menus, _ = menus_from(tmp_path)
    act = engine.step(menus, engine.start(menus, "main", "ru").cursor, "1")
    page = engine.resume(menus, act, {"items": [("t1", "Мини")]})
    confirm = engine.step(menus, page.cursor, "1")
    again = engine.step(menus, confirm.cursor, "2")  # back to the list: fetched afresh
    assert isinstance(again, engine.Act) and again.action == "list_tariffs"
    assert engine.resume(menus, again, {"items": [("t1", "Мини")]}).text == page.text
    empty = engine.resume(menus, act, {"items": []})
    assert empty.ended and empty.text == "Тарифы:\nПусто."


def test_long_final_text_continues_with_more(tmp_path):
    menus, _ = menus_from(tmp_path)
    act = engine.enter(menus, "change_tariff", "ru", values=(("tariff", "t1"),))
    long_name = " ".join(["Очень длинное название тарифа"] * 6)
    first = engine.resume(menus, act, {"name": long_name})
    assert not first.ended and first.text.endswith("99 Далее") and screen.fits(first.text)
    rest = engine.step(menus, first.cursor, "99")
    shown = first.text.removesuffix("\n99 Далее") + " " + rest.text
    while not rest.ended:
        rest = engine.step(menus, rest.cursor, "99")
        shown += " " + rest.text
    assert "".join(shown.split()).startswith("".join(("Тариф изменён: " + long_name).split())[:60])


def test_voice_menus_speak_their_items_and_never_page(tmp_path):
    menus, _ = menus_from(tmp_path)
    prompt = engine.start(menus, "main", "en", Channel.VOICE)
    assert prompt.text == "Service Guide For Tariffs, press 1. For Transfer, press 2."


def test_lint_finds_a_screen_over_the_limit(tmp_path):
    long_prompt = "Введите " + "очень " * 20 + "сумму"
    body = TREE.replace('text: {ru: "Сумма, руб.:", en: "Amount, RUB:"}', f'text: {{ru: "{long_prompt}", en: "Amount"}}')
    path = tmp_path / "menus.yaml"
    path.write_text(body, encoding="utf-8")
    messages = [p.message for p in lint(str(path), CATALOGUE)]
    assert any(m.startswith("node 'ask_amount' (ru): a screen of") and "USSD limit of 80" in m for m in messages)


def test_lint_finds_navigation_key_clashes(tmp_path):
    body = TREE.replace('- {key: "2", label: {ru: "Перевод", en: "Transfer"}, goto: ask_number}',
                        '- {key: "0", label: {ru: "Перевод", en: "Transfer"}, goto: ask_number}')
    path = tmp_path / "menus.yaml"
    path.write_text(body, encoding="utf-8")
    messages = [p.message for p in lint(str(path), CATALOGUE)]
    assert "menu 'main': key '0' is the ussd navigation key" in messages
    assert "menu 'main': key '0' is the voice navigation key" in messages


def test_lint_channel_parity(tmp_path):
    body = TREE.replace('voice: {numbers: ["0505"], root: main}', 'voice: {numbers: ["0505"], root: vmain}') + """\
  vmain:
    type: menu
    text: {ru: "Голос", en: "Voice"}
    items:
      - {key: "1", goto: tariffs}
"""
    path = tmp_path / "menus.yaml"
    path.write_text(body, encoding="utf-8")
    messages = [p.message for p in lint(str(path), CATALOGUE)]
    assert any(m.startswith("node 'transfer': action 'transfer' is offered by USSD but not in the voice menu")
               for m in messages)
    path.write_text(body.replace("    action: transfer\n", "    action: transfer\n    ussd_only: typing numbers is easier on a screen\n"),
                    encoding="utf-8")
    assert not [p for p in lint(str(path), CATALOGUE) if "voice menu" in p.message]


@given(st.text(max_size=20))
def test_amount_and_number_checks_never_crash(text):
    for kind in InputKind:
        value = engine.check_input(InputRule(name="x", kind=kind, min=1, max=15000), text)
        assert value is None or isinstance(value, str)


@given(st.text(max_size=400), st.sampled_from(["99 Далее", "99 More"]))
def test_split_always_fits_and_loses_nothing(text, footer):
    parts = screen.split(text, footer)
    assert all(screen.fits(part) for part in parts) or len(parts) == 1 and screen.fits(text)
    joined = "".join(p.removesuffix("\n" + footer) for p in parts)
    assert "".join(joined.split()) == "".join(text.split())


def test_a_long_result_before_a_menu_gets_its_own_pages_then_the_menu(tmp_path):
    body = TREE.replace('''  change_tariff:
    type: action
    action: change_tariff
    text: {ru: "Тариф изменён: {name}", en: "Tariff changed: {name}"}''', '''  change_tariff:
    type: action
    action: change_tariff
    text: {ru: "Тариф изменён: {name}", en: "Tariff changed: {name}"}
    next: main''')
    menus, _ = menus_from(tmp_path, body)
    act = engine.enter(menus, "change_tariff", "ru", values=(("tariff", "t1"),))
    lead = engine.resume(menus, act, {"name": "Тариф с очень длинным названием " * 3})
    assert not lead.ended and lead.text.endswith("99 Далее") and screen.fits(lead.text)
    shown = lead
    while "Сервис-Гид" not in shown.text:
        assert screen.fits(shown.text)
        shown = engine.step(menus, shown.cursor, "99")
    assert shown.text.startswith("Сервис-Гид") and not shown.ended
    assert engine.step(menus, shown.cursor, "2").text == "Номер получателя:"
