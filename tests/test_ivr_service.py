"""The VoiceService on a task.Clock: digit timers firing, failures, money running out, call records."""

from __future__ import annotations

import json

import pytest
import sqlalchemy

from core.voice import NotConnected
from gateway.ivr.session import CallState, EndReason, Timers
from tests.ivrkit import POOR, ROAMER, A, Voice

NO_INPUT = "Вы ничего не выбрали."


def stored(voice: Voice, call_id: str) -> dict:
    return voice.result(voice.service._store.run(lambda uow: _row(uow, call_id)))


def _row(uow, call_id):
    row = uow.calls.get(call_id)
    return {c: getattr(row, c) for c in ("msisdn", "number", "transport", "started_at", "answered_at", "ended_at",
                                         "path", "charge", "end_reason")}


def test_the_first_digit_timer_repeats_the_prompt_then_says_goodbye_and_records_the_call():
    voice = Voice()
    call = voice.start()
    welcome = call.prompt
    voice.clock.advance(9.9)
    assert voice.now(call).prompt == welcome
    voice.clock.advance(0.1)
    assert voice.now(call).prompt == f"{NO_INPUT}\n{welcome}" and voice.seen[-1].prompt == voice.now(call).prompt
    voice.clock.pump([10, 10])  # each step fires the timer armed by the one before
    ended = voice.now(call)
    assert ended.state is CallState.ENDED and ended.end_reason is EndReason.MAX_TIMEOUTS
    assert ended.prompt.endswith("До свидания.") and voice.seen[-1] == ended
    assert not voice.clock.getDelayedCalls()
    row = stored(voice, call.call_id)
    assert row["end_reason"] == "max_timeouts" and row["ended_at"] - row["answered_at"] == 30
    assert row["charge"] == 0 and json.loads(row["path"]) == []


def test_a_key_restarts_the_timers_and_an_unfinished_input_times_out():
    voice = Voice()
    call = voice.press(voice.start(), "2")  # the keypad password input
    voice.clock.advance(9)
    voice.press(call, "123")
    voice.clock.advance(4.9)
    assert voice.now(call).prompt.startswith("Введите новый пароль")
    voice.clock.advance(0.1)
    assert voice.now(call).prompt.startswith("Ввод не завершён")
    assert voice.now(call).timeouts == 1 and voice.now(call).buffer == ""


def test_wrong_keys_end_the_call_at_max_failures():
    voice = Voice(Timers(max_failures=2))
    call = voice.press(voice.start(), "9")
    assert call.prompt.startswith("Неверный выбор.") and call.state is CallState.ACTIVE
    call = voice.press(call, "9")
    assert call.state is CallState.ENDED and call.end_reason is EndReason.MAX_FAILURES
    assert stored(voice, call.call_id)["end_reason"] == "max_failures"


def test_r04_r08_a_keypad_password_is_never_in_the_call_record():
    voice = Voice()
    password = "90817263"
    call = voice.press(voice.start(), "2")
    call = voice.press(call, password + "#")
    assert call.state is CallState.ENDED and call.prompt.startswith("Пароль сохранён.")
    row = stored(voice, call.call_id)
    assert json.loads(row["path"]) == ["2", *("*" * len(password)), "#"] and row["end_reason"] == "completed"
    with voice.store.engine.connect() as connection:
        dump = [str(r) for r in connection.execute(sqlalchemy.text("SELECT * FROM call_records"))]
    assert dump and not any(password in line for line in dump)
    listed = voice.records(A)
    assert listed[0]["call_id"] == call.call_id and password not in json.dumps(listed)
    with voice.store.transaction() as uow:
        credential = uow.credentials.get(A)
        assert credential.kind == "permanent" and password not in credential.secret_hash  # only its hash


def test_r11_the_long_number_from_roaming_is_charged_and_cut_when_the_money_runs_out():
    voice = Voice(Timers(first_digit=1000))
    before = voice.balance(POOR)  # 20 roubles: one minute at 15 roubles
    call = voice.start(POOR, "+79221110505", "sip")
    voice.clock.advance(59.9)
    assert voice.now(call).state is CallState.ACTIVE
    voice.clock.advance(0.1)
    ended = voice.now(call)
    assert ended.end_reason is EndReason.CREDIT_LIMIT and ended.charge == 1500
    assert voice.balance(POOR) == before - 1500
    row = stored(voice, call.call_id)
    assert (row["charge"], row["transport"], row["number"]) == (1500, "sip", "+79221110505")


def test_r11_a_refused_call_is_recorded_unanswered():
    voice = Voice()
    with pytest.raises(NotConnected):
        voice.start(ROAMER, "0505")
    [record] = voice.records(ROAMER)
    assert record["end_reason"] == "not_connected" and record["answered_at"] is None and record["charge"] == "0.00"


def test_hang_up_ends_and_records_and_the_list_shows_live_calls_first():
    voice = Voice()
    first = voice.start()
    voice.clock.advance(3)
    ended = voice.result(voice.service.hang_up(first.call_id))
    assert ended.end_reason is EndReason.HUNG_UP and not voice.clock.getDelayedCalls()
    voice.clock.advance(1)
    live = voice.start()
    listed = voice.records(A)
    assert [c["call_id"] for c in listed] == [live.call_id, first.call_id]
    assert listed[0]["state"] == "active" and listed[1]["end_reason"] == "hung_up"
    assert voice.result(voice.service.record(first.call_id))["end_reason"] == "hung_up"


def test_playing_a_prompt_moves_the_first_digit_timer():
    voice = Voice()
    call = voice.start()
    voice.clock.advance(1)
    voice.service.playing(call.call_id, 8.0)
    voice.clock.advance(17.9)
    assert voice.now(call).timeouts == 0
    voice.clock.advance(0.1)
    assert voice.now(call).timeouts == 1


def test_close_ends_every_call_as_shutdown():
    voice = Voice()
    call = voice.start()
    voice.result(voice.service.close())
    assert stored(voice, call.call_id)["end_reason"] == "shutdown" and not voice.service.calls


def test_the_digit_rules_come_from_the_config_file(tmp_path):
    from gateway.config import ConfigError, load_config

    path = tmp_path / "gateway.yaml"
    path.write_text("voice: {first_digit_timeout: 4, inter_digit_timeout: 2.5, max_digits: 12, max_failures: 2,"
                    " max_timeouts: 1}\n")
    config = load_config(str(path))
    assert (config.voice_first_digit_timeout, config.voice_inter_digit_timeout, config.voice_max_digits,
            config.voice_max_failures, config.voice_max_timeouts) == (4.0, 2.5, 12, 2, 1)
    assert load_config(None).voice_first_digit_timeout == Timers().first_digit == 10.0
    for bad in ("voice: {max_failures: 0}", "voice: {max_digits: 2.5}", "voice: {first_digit: 3}",
                "voice: {inter_digit_timeout: yes}", "voice: [1]"):
        path.write_text(bad + "\n")
        with pytest.raises(ConfigError, match="voice"):
            load_config(str(path))


def test_call_records_on_sqlite_and_postgresql(store):
    from core import subscribers
    from gateway.ivr.service import _row_json, record_of
    from gateway.ivr.session import ended, new_call

    with store.transaction() as uow:
        subscribers.create(uow, A, 1000.0, balance=100)
    older = ended(new_call(A, "0505", 1000.0), 1010.0, EndReason.COMPLETED)
    newer = ended(new_call(A, "+79221110505", 2000.0), 2075.5, EndReason.HUNG_UP)
    with store.transaction() as uow:
        uow.calls.add(record_of(older, 0))
        uow.calls.add(record_of(newer, 3000))
    with store.transaction() as uow:
        listed = [_row_json(row) for row in uow.calls.of(A, 10)]
        assert [c["call_id"] for c in listed] == [newer.call_id, older.call_id]
        assert listed[0]["charge"] == "30.00" and listed[0]["end_reason"] == "hung_up"
        assert [c["call_id"] for c in map(_row_json, uow.calls.of(A, 1))] == [newer.call_id]
        assert uow.calls.get(older.call_id).ended_at == 1010.0 and uow.calls.get("nope") is None
