"""The recording rules (gateway/scenario/record.py) both recorders share, and the web phone's
`POST /api/v1/scenarios/record` over HTTP against a real gateway."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

import pytest
import yaml

from gateway.actions import CATALOGUE
from gateway.app import beside_checkout
from gateway.scenario.format import parse_scenario
from gateway.scenario.record import (
    InvalidEvents,
    Recording,
    from_events,
    password_templates,
    secret_input,
)
from menus.loader import load

A = "79261234567"
MENUS = load(beside_checkout("menus.yaml"), CATALOGUE)
TEMPLATES = password_templates(MENUS.texts)
PASSWORD_SMS = "Пароль для входа в Личный кабинет: Xy7kQ2. Никому его не сообщайте."


def steps_of(recording: Recording) -> list[dict]:
    return yaml.safe_load(recording.text())["steps"]


def test_r08_a_password_sms_is_recorded_as_a_regex_capturing_it():
    recording = from_events(A, [{"dial": "*105*00#"}, {"expect": "sent"},
                                {"sms_received": {"from": "000110", "text": PASSWORD_SMS}}], TEMPLATES)
    text = recording.text()
    assert "Xy7kQ2" not in text
    (step,) = [s for s in steps_of(recording) if "expect_sms" in s]
    regex = step["expect_sms"]["regex"]
    assert step["expect_sms"]["from"] == "000110"
    assert re.fullmatch(regex, PASSWORD_SMS).group("password") == "Xy7kQ2"
    parse_scenario(text)  # runs as it is


def test_an_ordinary_sms_is_recorded_as_its_text():
    recording = from_events(A, [{"sms_received": {"from": "000100", "text": "Баланс: 300.00 руб."}}], TEMPLATES)
    assert steps_of(recording) == [{"expect_sms": {"from": "000100", "text": "Баланс: 300.00 руб."}}]


def test_key_presses_one_at_a_time_join_into_one_press_and_secret_runs_become_variables():
    events = [{"call": "0505"}, {"expect_prompt": "Главное меню"}]
    for key, masked, prompt in (("3", False, "Введите пароль"), ("1", True, "…"), ("2", True, "…"),
                                ("#", False, "Пароль принят"), ("9", True, "Введите код")):
        events += [{"pressed": {"keys": key, "masked": [masked]}}, {"expect_prompt": prompt}]
    events += [{"hangup": True}]
    recording = from_events(A, events, TEMPLATES)
    assert steps_of(recording) == [
        {"call": "0505"}, {"expect_prompt": "Главное меню"},
        {"press": "3${secret1}#${secret2}"}, {"expect_prompt": "Введите код"}, {"hangup": True},
    ]
    assert "replay with --var for secret1, secret2" in recording.text()


def test_a_prompt_between_presses_splits_them_only_when_another_step_comes_between():
    events = [{"pressed": {"keys": "1", "masked": [False]}}, {"expect_prompt": "a"}, {"roaming": True},
              {"pressed": {"keys": "2", "masked": [False]}}, {"expect_prompt": "b"}]
    assert steps_of(from_events(A, events)) == [{"press": "1"}, {"expect_prompt": "a"}, {"roaming": True},
                                                {"press": "2"}, {"expect_prompt": "b"}]


def test_a_secret_ussd_reply_keeps_only_its_variable():
    recording = from_events(A, [{"dial": "*105#"}, {"secret_reply": True}, {"expect": "ok"}])
    assert steps_of(recording)[1] == {"reply": {"secret": "secret1"}}
    scenario = parse_scenario(recording.text())
    assert scenario.steps[1].args == {"secret": "secret1"}


def test_secret_input_reads_the_dialogue_record():
    record = {"steps": [{"kind": "dial", "text": "*105#"}, {"kind": "screen", "text": "x"},
                        {"kind": "secret", "text": "***"}, {"kind": "screen", "text": "y"}]}
    assert secret_input(record)
    record["steps"].append({"kind": "reply", "text": "1"})
    assert not secret_input(record)
    assert not secret_input({"steps": []})


@pytest.mark.parametrize(("events", "says"), [
    ([], "non-empty list"),
    ({"dial": "*105#"}, "non-empty list"),
    ([{"dial": "*105#", "reply": "1"}], "event 1: an event is an object with one key"),
    ([{"dial": "*105#"}, {"advance": 5}], "event 2: unknown event 'advance'"),
    ([{"sms_received": {"from": "000110"}}], "sms_received is"),
    ([{"pressed": {"keys": "12", "masked": [True]}}], "pressed is"),
    ([{"roaming": "yes"}], "roaming is true or false"),
    ([{"expect": 5}], "expect is a string"),
])
def test_bad_events_are_refused_saying_which(events, says):
    with pytest.raises(InvalidEvents, match=says):
        from_events(A, events)


def post_yaml(gateway, body: dict) -> tuple[int, str, str]:
    request = urllib.request.Request(gateway.base + "/api/v1/scenarios/record", method="POST",
                                     data=json.dumps(body).encode(), headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers["content-type"], response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["content-type"], error.read().decode()


def test_the_record_endpoint_turns_events_into_yaml_and_refuses_bad_ones(gateway):
    events = [{"dial": "*105*00#"}, {"expect": "Пароль для входа в Личный кабинет отправлен в SMS."},
              {"sms_received": {"from": "000110", "text": PASSWORD_SMS}}]
    status, kind, text = post_yaml(gateway, {"msisdn": "+7 926 123-45-67", "events": events})
    assert status == 200 and kind.startswith("application/yaml")
    assert "Xy7kQ2" not in text
    scenario = parse_scenario(text)
    assert scenario.handset == A and [s.kind for s in scenario.steps] == ["dial", "expect", "expect_sms"]
    assert "Xy7kQ2" not in gateway.log()  # what was posted is not logged

    status, _, text = post_yaml(gateway, {"msisdn": A, "events": [{"dial": {"input": "*105#", "bogus": 1}}]})
    assert status == 400 and '"invalid_events"' in text and "bogus" in text  # the scenario checker's words
    status, _, text = post_yaml(gateway, {"msisdn": A, "events": [{"hack": 1}]})
    assert status == 400 and "unknown event 'hack'" in text
    status, _, text = post_yaml(gateway, {"msisdn": "12", "events": events})
    assert status == 400 and "invalid_number" in text
