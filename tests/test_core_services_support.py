"""Support questions, the simulated operator and the FAQ in the core (R25)."""

from __future__ import annotations

import pytest

from core import support
from core.catalogue import UnknownItem
from core.errors import InvalidInput
from tests.servicekit import CATALOGUE, NOW, A, B, add, count, me

STANDARD = {"ru": "Спасибо за вопрос, специалист свяжется с вами.", "en": "Thank you, a specialist will call you."}


def ask(store, topic, text, msisdn=A, now=NOW):
    with store.transaction() as uow:
        return support.ask(uow, CATALOGUE, me(msisdn), msisdn, topic, text, now)


def answer(store, now, delay=support.ANSWER_DELAY):
    with store.transaction() as uow:
        return support.answer_pending(uow, CATALOGUE, now, fallback=STANDARD, delay=delay)


def mine(store, msisdn=A):
    with store.transaction() as uow:
        return support.questions(uow, me(msisdn), msisdn)


@pytest.fixture
def world(store):
    add(store, A)
    add(store, B, locale="en")
    return store


def test_r25_a_question_is_listed_with_its_status(world):
    asked = ask(world, "balance", "  Почему списали деньги?  ")
    assert (asked.topic, asked.text, asked.status, asked.answer) == ("balance", "Почему списали деньги?", "pending", None)
    assert mine(world) == [asked]
    assert mine(world, B) == []


def test_r25_the_operator_answers_from_the_faq_when_a_keyword_matches(world):
    ask(world, "passwords", "Я забыл пароль, как получить новый?")
    ask(world, "passwords", "My login is locked, what now?", msisdn=B)
    assert answer(world, NOW + support.ANSWER_DELAY) == 2
    [ru] = mine(world)
    assert (ru.status, ru.answered_at) == ("answered", NOW + support.ANSWER_DELAY)
    assert ru.answer == "Наберите *105*00# или отправьте 00 на номер 000110."
    assert mine(world, B)[0].answer == "Request a new password: *105*00#."  # in the subscriber's language


def test_r25_without_a_keyword_the_standard_answer_is_given(world):
    ask(world, "roaming", "Здравствуйте!")
    ask(world, "roaming", "Hello there", msisdn=B)
    answer(world, NOW + 3600)
    assert mine(world)[0].answer == STANDARD["ru"]
    assert mine(world, B)[0].answer == STANDARD["en"]


def test_r25_questions_are_answered_only_after_the_delay_and_once(world):
    ask(world, "balance", "Как проверить баланс?")
    assert answer(world, NOW + 10, delay=60) == 0
    assert mine(world)[0].status == "pending"
    assert answer(world, NOW + 60, delay=60) == 1
    assert answer(world, NOW + 120, delay=60) == 0
    assert mine(world)[0].answer == "Наберите *105# и выберите «Баланс»."


def test_r25_faq_by_topic():
    assert [t.id for t in support.topics(CATALOGUE)] == ["passwords", "balance", "roaming"]
    entries = support.faq(CATALOGUE, "roaming")
    assert entries[0].answer["ru"].startswith("Звоните на +79221110505")
    with pytest.raises(UnknownItem):
        support.faq(CATALOGUE, "weather")


@pytest.mark.parametrize("topic, text, error", [
    ("balance", "", InvalidInput), ("balance", "   ", InvalidInput), ("balance", "x" * 1001, InvalidInput),
    ("balance", None, InvalidInput), ("weather", "Какая погода?", UnknownItem),
])
def test_r25_bad_questions_are_refused_and_nothing_is_stored(world, topic, text, error):
    with world.transaction() as uow, pytest.raises(error):
        support.ask(uow, CATALOGUE, me(A), A, topic, text, NOW)
    assert count(world, "support_questions") == 0


def test_r25_a_question_of_exactly_a_thousand_characters_is_accepted(world):
    assert len(ask(world, "balance", "я" * 1000).text) == 1000
