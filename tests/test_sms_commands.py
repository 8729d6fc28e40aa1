"""The SMS command grammar: keywords in Russian and English, case- and layout-tolerant (pure)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from menus.commands import match
from menus.schema import SmsCommand, SmsNumber

NUMBER = SmsNumber("000100", (
    SmsCommand(("баланс", "balance"), "show_balance", None),
    SmsCommand(("перевод", "transfer"), "transfer", None, args=("to", "amount")),
    SmsCommand(("стоп все", "stop all"), "cancel_all", None),
    SmsCommand(("стоп", "stop"), "cancel_one", None, args=("id",)),
), {"ru": "help", "en": "help"})


@pytest.mark.parametrize("text", ["баланс", "Баланс", "  БАЛАНС! ", "balance", "Balance.", "ифдфтсу", ",fkfyc"])
def test_keywords_in_both_languages_any_case_any_layout(text):
    command, args = match(NUMBER, text)
    assert (command.action, args) == ("show_balance", {})


def test_arguments_follow_the_keyword_as_typed():
    command, args = match(NUMBER, "Перевод 79031234567 150.50")
    assert (command.action, args) == ("transfer", {"to": "79031234567", "amount": "150.50"})
    command, args = match(NUMBER, "transfer +7 903 1234567")
    assert args == {"to": "+7", "amount": "903 1234567"}  # the last argument takes the rest


def test_the_longest_keyword_wins_and_yo_is_e():
    assert match(NUMBER, "Стоп всё")[0].action == "cancel_all"
    assert match(NUMBER, "стоп horoscope") == (NUMBER.commands[3], {"id": "horoscope"})


@pytest.mark.parametrize("text", ["", "   ", "hello", "перевод 7903", "balance now", "стоп"])
def test_unknown_or_incomplete_commands_get_help(text):
    assert match(NUMBER, text) is None


@given(st.text(max_size=60))
def test_matching_never_crashes(text):
    result = match(NUMBER, text)
    assert result is None or result[0] in NUMBER.commands
