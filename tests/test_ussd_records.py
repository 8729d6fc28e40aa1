"""Dialogue records as JSON and as replayable scenarios; the Africa's Talking wire format."""

from __future__ import annotations

import json

import pytest
import yaml

from gateway.http.africastalking import (
    added_input,
    answer_text,
    dial_of,
    parse_answer,
    request_fields,
)
from gateway.ussd.errors import AppFailed
from gateway.ussd.events import Outcome, UssdReply
from gateway.ussd.records import record_json, record_of, scenario, scenario_yaml
from gateway.ussd.session import Dialogues
from menus.engine import Continuation

ROW = {
    "id": "ab" * 16, "msisdn": "79261234567", "service_code": "105", "initiator": "mobile",
    "transport": "http", "server": "menus", "started_at": 1_800_000_000.0, "ended_at": 1_800_000_012.5,
    "outcome": "completed",
    "steps": json.dumps([[0, "dial", "*105#"], [0.01, "screen", "Сервис-Гид\n1 Баланс"], [4.2, "reply", "2"],
                         [4.3, "screen", "Введите пароль"], [9.0, "secret", "***"], [9.1, "end", "Готово."]]),
}


def test_scenario_is_a_list_of_one_key_steps_and_round_trips_through_yaml():
    steps = scenario(ROW)
    assert steps == [
        {"dial": "*105#"}, {"expect": "Сервис-Гид\n1 Баланс"}, {"reply": "2"}, {"expect": "Введите пароль"},
        {"reply": {"secret": True}}, {"expect": "Готово."},
    ]
    text = scenario_yaml(ROW)
    assert text.startswith("# USSD dialogue " + "ab" * 16) and "Сервис-Гид" in text
    assert yaml.safe_load(text) == steps


def test_pushes_and_releases_in_a_scenario():
    row = {**ROW, "initiator": "network", "service_code": "", "outcome": "released",
           "steps": json.dumps([[0, "push", "Оцените: 1-5"], [3, "release", ""]])}
    assert scenario(row) == [{"push": {"type": "request", "text": "Оцените: 1-5"}}, {"expect": "Оцените: 1-5"},
                             {"release": True}]


def test_record_json():
    shown = record_json(ROW)
    assert shown["started_at"] == "2027-01-15T08:00:00.000+00:00" and shown["duration_ms"] == 12500
    assert shown["steps"][2] == {"at_ms": 4200, "kind": "reply", "text": "2"}
    table = Dialogues()
    dialogue = table.open("79261234567", "105", 100.0)
    dialogue.record(100.25, "dial", "*105#")
    row = record_of(dialogue, 101.0, Outcome.TIMED_OUT)
    assert row["outcome"] == "timed_out" and json.loads(row["steps"]) == [[0.25, "dial", "*105#"]]


def test_africas_talking_answers():
    reply = UssdReply("s", "Меню\n1 Да", Continuation.CONTINUE)
    assert answer_text(reply) == "CON Меню\n1 Да"
    assert answer_text(UssdReply("s", "Пока", Continuation.END)) == "END Пока"
    assert parse_answer(200, "CON Меню\r\n1 Да".encode()) == ("Меню\n1 Да", Continuation.CONTINUE)
    assert parse_answer(200, b"END Bye") == ("Bye", Continuation.END)
    assert parse_answer(200, b"END") == ("", Continuation.END)
    for status, body in ((200, b"Hello"), (200, b"CONTINUE x"), (500, b"END x"), (404, b""), (200, b"\xff")):
        with pytest.raises(AppFailed):
            parse_answer(status, body)


def test_africas_talking_text_history():
    assert dial_of("*384*1234#", "") == "*384*1234#"
    assert dial_of("*105#", "1*2") == "*105*1*2#"
    assert dial_of("105", "") == "*105#"
    assert added_input("", "1") == "1"
    assert added_input("1", "1*2") == "2"
    assert added_input("1*2", "1*2*150*50") == "150*50"  # a keypad amount keeps its `*`
    assert added_input("1", "2*1") is None and added_input("", "") is None
    table = Dialogues()
    dialogue = table.open("79261234567", "123", 0.0)
    table.answered(dialogue, "1", 1.0)
    table.answered(dialogue, "2", 2.0)
    assert request_fields(dialogue, "25002") == {
        "sessionId": dialogue.session_id, "serviceCode": "*123#", "phoneNumber": "+79261234567",
        "networkCode": "25002", "text": "1*2",
    }
