"""The menu loader (FILE:LINE problems, whole-graph checks) and the pure engine."""

from __future__ import annotations

import inspect
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import core.errors
from gateway.actions import CATALOGUE
from gateway.cli import main as cli
from menus import engine
from menus.graph import mermaid
from menus.loader import MenuError, lint, load
from menus.schema import Channel

ROOT = Path(__file__).resolve().parent.parent
MENUS = load(str(ROOT / "menus.yaml"), CATALOGUE)

MINIMAL = """\
locales: [ru, en]
texts:
  session_ended: {ru: "Конец", en: "End"}
  invalid_choice: {ru: "Нет", en: "No"}
  invalid_input: {ru: "Нет", en: "No"}
  too_many_tries: {ru: "Всё", en: "Over"}
  error.default: {ru: "Ошибка", en: "Error"}
ussd:
  "105": {root: main}
sms: {}
voice: {numbers: ["0505"], root: main}
nodes:
  main:
    type: menu
    text: {ru: "Меню", en: "Menu"}
    items:
      - {key: "1", label: {ru: "Баланс", en: "Balance"}, goto: done}
  done:
    type: end
    text: {ru: "Готово", en: "Done"}
"""


def write(tmp_path, body: str) -> str:
    path = tmp_path / "menus.yaml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return str(path)


def test_the_shipped_menus_are_clean():
    assert lint(str(ROOT / "menus.yaml"), CATALOGUE) == []
    assert cli(["menus", "lint", str(ROOT / "menus.yaml")]) == 0


def test_a_minimal_file_loads(tmp_path):
    menus = load(write(tmp_path, MINIMAL))
    assert set(menus.nodes) == {"main", "done"}


def test_problems_carry_file_and_line(tmp_path):
    broken = MINIMAL.replace("goto: done", "goto: nowhere").replace('{ru: "Готово", en: "Done"}', '{ru: "Готово"}')
    path = write(tmp_path, broken)
    problems = [str(p) for p in lint(path)]
    assert f"{path}:17: node 'main' leads to unknown node 'nowhere'" in problems
    assert f"{path}:18: node 'done' is unreachable from every USSD code and the voice menu" in problems
    assert f"{path}:20: node 'done' text has no 'en' translation" in problems
    with pytest.raises(MenuError):
        load(path)


def test_yaml_syntax_error_has_a_line(tmp_path):
    path = write(tmp_path, MINIMAL + "  bad: [unclosed\n")
    [problem] = lint(path)
    assert problem.file == path and problem.line > 1 and problem.message.startswith("YAML")


def test_duplicate_keys_key_clashes_and_dead_ends(tmp_path):
    body = MINIMAL + (
        "  ask:\n"
        "    type: input\n"
        '    text: {ru: "Введите", en: "Enter"}\n'
        "    input: {name: x}\n"
    )
    body = body.replace('      - {key: "1", label: {ru: "Баланс", en: "Balance"}, goto: done}',
                        '      - {key: "1", label: {ru: "Баланс", en: "Balance"}, goto: done}\n'
                        '      - {key: "1", goto: ask}')
    messages = [p.message for p in lint(write(tmp_path, body))]
    assert "menu 'main': key '1' is used twice" in messages
    assert "input node 'ask' is a dead end: it needs `next`" in messages
    dup = lint(write(tmp_path, MINIMAL + "nodes: {}\n"))
    assert any("duplicate key 'nodes'" in p.message for p in dup)


def test_unknown_actions_missing_texts_and_bad_placeholders(tmp_path):
    body = MINIMAL.replace("""  done:
    type: end""", """  done:
    type: action
    action: launch_rocket""").replace('"Готово"', '"Готово {fuel}"')
    messages = [p.message for p in lint(write(tmp_path, body), CATALOGUE)]
    assert "node 'done': unknown action 'launch_rocket'" in messages
    assert "texts: missing 'password_sms', which the gateway uses" in messages
    body = MINIMAL.replace('"Готово"', '"Готово {fuel}"')
    assert "node 'done' (ru): {fuel} is not an output of its action" in [p.message for p in lint(write(tmp_path, body))]


def test_lint_command_prints_file_line_and_exits_1(tmp_path, capsys):
    path = write(tmp_path, MINIMAL.replace("goto: done", "goto: nowhere"))
    assert cli(["menus", "lint", path]) == 1
    assert f"{path}:17: node 'main' leads to unknown node 'nowhere'" in capsys.readouterr().out


def test_graph_is_mermaid():
    text = mermaid(MENUS)
    assert text.startswith("flowchart TD")
    assert "main -- 1 --> balance" in text and "voice_main -- 2 --> voice_type_password" in text


def test_engine_walks_a_menu_to_an_action_and_its_screen():
    screen = engine.start(MENUS, "main", "ru")
    assert isinstance(screen, engine.Screen) and not screen.ended
    screen = engine.step(MENUS, screen.cursor, "1")
    act = engine.step(MENUS, screen.cursor, "1")
    assert isinstance(act, engine.Act) and act.action == "show_balance"
    done = engine.resume(MENUS, act, {"balance": "300.00"})
    assert done.ended and done.text == "Баланс: 300.00 руб."


def test_engine_input_collects_a_secret_and_hides_it_from_repr():
    screen = engine.start(MENUS, "voice_type_password", "en", Channel.VOICE)
    act = engine.step(MENUS, screen.cursor, "12345678")
    assert isinstance(act, engine.Act) and act.args["password"] == "12345678"
    assert "12345678" not in repr(act)


def test_engine_failed_action_says_why():
    act = engine.enter(MENUS, "voice_set_password", "ru", values=(("password", "1"),))
    screen = engine.failed(MENUS, act, "invalid_password")
    assert screen.ended and "от 6 до 12 цифр" in screen.text
    assert engine.failed(MENUS, act, "something_else").text == "Операция не выполнена. Справка: 0500."


@settings(max_examples=200)
@given(st.sampled_from(["main", "voice_main"]), st.lists(st.text(alphabet="0123456789*#ab", max_size=14), max_size=12),
       st.sampled_from(["ru", "en"]))
def test_random_input_never_crashes_and_always_reaches_a_screen_or_action(root, inputs, locale):
    outcome = engine.start(MENUS, root, locale, Channel.VOICE if root.startswith("voice") else Channel.USSD)
    for text in inputs:
        if isinstance(outcome, engine.Act):
            outputs = {name: "1.00" for name in CATALOGUE.actions[outcome.action]}
            outcome = engine.resume(MENUS, outcome, outputs)
        if outcome.ended:
            break
        outcome = engine.step(MENUS, outcome.cursor, text)
    assert isinstance(outcome, engine.Screen | engine.Act)
    if isinstance(outcome, engine.Screen):
        assert outcome.text


# Refusals only the HTTP API gives (logins, set-up, tokens): their JSON carries the message.
HTTP_ONLY_CODES = {"domain_error", "locked", "not_authenticated", "unsupported_login", "subscriber_exists",
                   "unknown_client", "invalid_card_token", "already_registered"}


def test_every_refusal_a_channel_can_show_has_its_own_text():
    menus = load(str(ROOT / "menus.yaml"), CATALOGUE)
    codes = {kind.code for _, kind in inspect.getmembers(core.errors, inspect.isclass)
             if issubclass(kind, core.errors.DomainError)}
    missing = sorted(c for c in codes - HTTP_ONLY_CODES if f"error.{c}" not in menus.texts)
    assert not missing, f"add error.<code> texts to menus.yaml for {missing}"
