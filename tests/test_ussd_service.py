"""The USSD service on a task.Clock: timers, release, replace, pushes, apps, records, secrets."""

from __future__ import annotations

import json

import pytest

from gateway.ussd.errors import InvalidUssdString, NoDialogue, ScreenTooLong, UssdBusy
from gateway.ussd.events import PushType
from menus.engine import Continuation
from tests.ussdkit import A, B, C, Harness

CON, END = Continuation.CONTINUE, Continuation.END


def record(h: Harness, msisdn: str, session_id: str) -> dict:
    row = h.record(session_id)
    assert row["msisdn"] == msisdn
    return {**row, "steps": [tuple(s) for s in json.loads(row["steps"])]}


def kinds(row: dict) -> list[str]:
    return [kind for _, kind, _ in row["steps"]]


def test_a_menus_dialogue_is_recorded_with_every_screen_and_input():
    h = Harness()
    first = h.ussd(A, "*105#")
    assert first.continuation is CON and first.text.startswith("Сервис-Гид")
    last = h.ussd(A, "1")
    assert (last.session_id, last.continuation, last.text) == (first.session_id, END, "Баланс: 300.00 руб.")
    row = record(h, A, first.session_id)
    assert (row["outcome"], row["initiator"], row["server"], row["transport"]) == ("completed", "mobile", "menus", "http")
    assert kinds(row) == ["dial", "screen", "reply", "end"]
    assert row["steps"][0][2] == "*105#" and row["steps"][2][2] == "1"
    assert len(h.dialogues) == 0 and not h.service._timers


def test_screen_timeout_ends_the_dialogue_and_the_next_input_starts_fresh():
    h = Harness(screen_timeout=30)
    opened = h.ussd(A, "*105#")
    h.clock.advance(29.9)
    assert h.service.screen(A).text == opened.text  # still open
    h.clock.advance(0.1)
    assert len(h.dialogues) == 0 and not h.service._timers
    shown = h.service.screen(A)  # an HTTP handset sees the network's last screen once
    assert shown.continuation is END and shown.text == "Сеанс завершён."
    assert h.service.screen(A) is None
    with pytest.raises(InvalidUssdString):
        h.ussd(A, "1")  # no dialogue to answer: "1" is no USSD string
    assert h.ussd(A, "*105#").session_id != opened.session_id
    row = record(h, A, opened.session_id)
    assert row["outcome"] == "timed_out" and kinds(row)[-1] == "timeout"


def test_each_reply_restarts_the_screen_timer_but_not_the_dialogue_limit():
    h = Harness(screen_timeout=30, dialogue_limit=100)
    opened = h.ussd(A, "*105#")
    h.ussd(A, "3")  # the long list
    for _ in range(3):
        h.clock.advance(25)
        assert h.ussd(A, "99").continuation is CON  # next page
    h.clock.advance(24.9)  # 99.9 s in
    assert h.dialogues.current(A, h.clock.seconds()) is not None
    h.clock.advance(0.1)
    assert len(h.dialogues) == 0
    assert record(h, A, opened.session_id)["outcome"] == "timed_out"


def test_a_new_dial_replaces_the_open_dialogue():
    h = Harness()
    first = h.ussd(A, "*105#")
    second = h.ussd(A, "*105*3#")
    assert second.session_id != first.session_id and len(h.dialogues) == 1
    row = record(h, A, first.session_id)
    assert row["outcome"] == "released" and kinds(row)[-1] == "release"
    assert h.ussd(A, "99").session_id == second.session_id


def test_release_by_the_handset():
    h = Harness()
    opened = h.ussd(A, "*105#")
    assert h.service.release(A) is True
    assert h.service.release(A) is False
    assert h.service.screen(A) is None  # nothing to show: the handset released it itself
    assert record(h, A, opened.session_id)["outcome"] == "released"
    with pytest.raises(NoDialogue):
        h.result(h.service.reply(A, "1"))


def test_secret_inputs_are_recorded_masked():
    h = Harness()
    opened = h.ussd(A, "*105#")
    assert h.ussd(A, "2").text.startswith("Введите пароль")
    assert h.ussd(A, "735190").text == "Пароль сохранён."
    direct = h.ussd(A, "*105*2*846201#")  # the password typed in the dialled string
    assert direct.text == "Пароль сохранён."
    shortcut = h.ussd(A, "*105*9#")
    h.ussd(A, "559911")
    h.clock.advance(0)
    rows = [record(h, A, s.session_id) for s in (opened, direct, shortcut)]
    dumped = json.dumps(rows, ensure_ascii=False)
    for secret in ("735190", "846201", "559911"):
        assert secret not in dumped
    assert rows[0]["steps"][4][1:] == ("secret", "***")
    assert rows[1]["steps"][0][2] == "*105*2****#"
    assert rows[2]["steps"][0][2] == "*105*9#" and rows[2]["steps"][2][1:] == ("secret", "***")


def test_unknown_service_code_is_one_recorded_screen():
    h = Harness()
    reply = h.ussd(A, "*999#")
    assert (reply.continuation, reply.text) == (END, "Неизвестный запрос.")
    assert record(h, A, reply.session_id)["outcome"] == "completed"


def test_push_notify_is_shown_once_and_recorded():
    h = Harness()
    pushed = h.result(h.service.push(B, "Баланс пополнен на 100 руб.", PushType.NOTIFY))
    assert pushed.continuation is END and len(h.dialogues) == 0
    assert h.service.screen(B).text == "Баланс пополнен на 100 руб."
    assert h.service.screen(B) is None
    row = record(h, B, pushed.session_id)
    assert (row["initiator"], row["server"], kinds(row)) == ("network", "network", ["notify"])


def test_push_request_is_answered_by_the_next_input():
    h = Harness()
    pushed = h.result(h.service.push(B, "Оцените звонок: 1-5", PushType.REQUEST))
    assert h.service.screen(B).as_json() == {"session_id": pushed.session_id, "text": "Оцените звонок: 1-5",
                                             "end": False}
    answer = h.ussd(B, "5")
    assert (answer.session_id, answer.continuation) == (pushed.session_id, END)
    row = record(h, B, pushed.session_id)
    assert kinds(row) == ["push", "reply", "end"] and row["steps"][1][2] == "5"


def test_push_to_a_busy_handset_is_refused_and_too_long_a_push_too():
    h = Harness()
    h.ussd(B, "*105#")
    with pytest.raises(UssdBusy):
        h.result(h.service.push(B, "hello", PushType.REQUEST))
    with pytest.raises(ScreenTooLong):
        h.result(h.service.push(C, "Ж" * 81, PushType.NOTIFY))
    h.result(h.service.push(C, "x" * 182, PushType.NOTIFY))  # GSM 7-bit: 182 fit


def test_routed_http_app_gets_the_history_and_its_screens_go_to_the_handset():
    h = Harness(routes={"555": "http://app.test/ussd"})
    pending = h.service.handle(A, "*555*7#")
    assert h.http_apps.asked == [("http://app.test/ussd", h.dialogues.get(A).session_id, "7")]
    with pytest.raises(UssdBusy):
        h.ussd(A, "1")  # the network has not answered yet
    h.http_apps.answer("Меню\n1 Да")
    first = h.result(pending)
    assert (first.text, first.continuation) == ("Меню\n1 Да", CON)
    pending = h.service.handle(A, "1")
    assert h.http_apps.asked[-1][2] == "7*1"
    h.http_apps.answer("Готово", END)
    assert h.result(pending).continuation is END
    row = record(h, A, first.session_id)
    assert (row["server"], row["outcome"], kinds(row)) == ("http_app", "completed",
                                                           ["dial", "screen", "reply", "end"])


def test_an_app_that_does_not_answer_in_time_ends_with_an_error_screen():
    h = Harness(app_timeout=10)
    pending = h.service.handle(A, "*555#")
    h.clock.advance(9.9)
    assert not pending.called
    h.clock.advance(0.1)
    reply = h.result(pending)
    assert (reply.continuation, reply.text) == (END, "Операция не выполнена.")
    assert h.http_apps.pending[0].called  # the request was cancelled
    assert record(h, A, reply.session_id)["outcome"] == "app_error"


def test_an_over_long_app_screen_is_refused_with_an_error_screen():
    h = Harness()
    pending = h.service.handle(A, "*555#")
    h.http_apps.answer("Ж" * 81)
    reply = h.result(pending)
    assert (reply.continuation, reply.text) == (END, "Операция не выполнена.")
    assert record(h, A, reply.session_id)["outcome"] == "app_error"


def test_the_error_and_timeout_texts_come_from_menus_when_they_are_there():
    h = Harness()
    h.menus = h.menus.__class__(**{**h.menus.__dict__, "texts": {
        **h.menus.texts, "ussd_timeout": {"ru": "Время вышло.", "en": "Time is up."},
        "ussd_app_error": {"ru": "Сервис недоступен.", "en": "Unavailable."}}})
    pending = h.service.handle(C, "*555#")
    h.clock.advance(10)
    assert h.result(pending).text == "Unavailable."
    h.ussd(C, "*105#")
    h.clock.advance(30)
    assert h.service.screen(C).text == "Time is up."
