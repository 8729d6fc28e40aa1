"""The pure call core of the voice menu: digit collection, every timer and failure rule, on given times."""

from __future__ import annotations

from dataclasses import replace

import pytest

from gateway.actions import CATALOGUE
from gateway.ivr.errors import InvalidDtmf
from gateway.ivr.session import (
    CallState,
    EndReason,
    Timers,
    Waiting,
    answer_length,
    check_digits,
    engine_menus,
    expire,
    new_call,
    playing,
    press,
    shown,
)
from menus import engine
from menus.engine import Cursor
from menus.loader import load
from menus.schema import Channel
from tests.test_menus import ROOT

MENUS = load(str(ROOT / "menus.yaml"), CATALOGUE)
T0 = 1000.0
TIMERS = Timers()
NO_INPUT = "Вы ничего не выбрали."
WELCOME = "Вас приветствует Сервис-Гид."


def at(node: str, now: float = T0, **cursor) -> object:
    """A call that has just heard the prompt of `node`."""
    call = new_call("79261234567", "0505", now - 1)
    screen = engine.Screen(f"prompt of {node}", engine.Continuation.CONTINUE,
                           Cursor(node, "ru", Channel.VOICE, **cursor))
    return shown(MENUS, call, screen, now, TIMERS)


def step(call, answer: str, now: float):
    """The engine's answer to `answer`, shown on the call (no action nodes on these paths)."""
    outcome = engine.step(engine_menus(MENUS), call.cursor, answer)
    assert isinstance(outcome, engine.Screen)
    return shown(MENUS, call, outcome, now, TIMERS)


def test_a_prompt_arms_the_first_digit_timer():
    call = at("voice_main")
    assert call.waiting is Waiting.FIRST_DIGIT and call.deadline == T0 + 10.0
    assert call.next_timer == T0 + 10.0 and call.repeat == call.prompt == "prompt of voice_main"


def test_menu_keys_answer_one_by_one():
    call, answer = press(MENUS, at("voice_main"), "2", T0 + 1)
    assert answer == "2" and call.path == ("2",)
    assert call.waiting is Waiting.NOTHING and call.deadline is None  # no timer while the answer runs


def test_r04_input_collects_until_hash_and_masks_the_secret():
    call = at("voice_type_password")
    answers = []
    for n, key in enumerate("9080706#"):
        call, answer = press(MENUS, call, key, T0 + n)
        answers.append(answer)
        assert repr(call) == f"Call({call.call_id}, 79261234567->0505, active)"  # never the buffer
    assert answers == [None] * 7 + ["9080706"]
    assert call.path == ("*",) * 7 + ("#",)
    assert call.buffer == ""


def test_each_key_of_an_input_restarts_the_inter_digit_timer():
    call, _ = press(MENUS, at("voice_promised_amount"), "1", T0 + 2)
    assert call.waiting is Waiting.NEXT_DIGIT and call.deadline == T0 + 2 + 5.0
    call, _ = press(MENUS, call, "5", T0 + 6)
    assert call.deadline == T0 + 6 + 5.0
    assert expire(MENUS, call, T0 + 10.9) == (call, None)  # not due yet: nothing happens


def test_first_digit_timeout_repeats_the_prompt_with_the_reason():
    call = at("voice_main")
    call, answer = expire(MENUS, call, T0 + 10)
    assert answer is None and call.state is CallState.ACTIVE and call.timeouts == 1
    assert call.prompt == f"{NO_INPUT}\nprompt of voice_main" and call.repeat == "prompt of voice_main"
    assert call.deadline == T0 + 20 and call.waiting is Waiting.FIRST_DIGIT
    call, _ = expire(MENUS, call, T0 + 20)
    assert call.prompt == f"{NO_INPUT}\nprompt of voice_main"  # the reason is said once, not piled up


def test_max_timeouts_end_the_call_with_a_goodbye():
    call = at("voice_main")
    for n in range(1, 3):
        call, _ = expire(MENUS, call, T0 + 10 * n)
    assert call.state is CallState.ACTIVE and call.timeouts == 2
    call, answer = expire(MENUS, call, T0 + 30)
    assert answer is None and call.state is CallState.ENDED and call.end_reason is EndReason.MAX_TIMEOUTS
    assert call.prompt == "Вы ничего не выбрали. Позвоните ещё раз. До свидания."
    assert call.ended_at == T0 + 30 and call.next_timer is None


def test_an_unfinished_input_times_out_and_its_digits_are_dropped():
    call = at("voice_type_password")
    for n, key in enumerate("123"):
        call, _ = press(MENUS, call, key, T0 + n)
    call, answer = expire(MENUS, call, T0 + 2 + 5)
    assert answer is None and call.buffer == "" and call.timeouts == 1
    assert call.prompt.startswith("Ввод не завершён: в конце нажмите решётку.\nprompt of voice_type_password")
    assert call.waiting is Waiting.FIRST_DIGIT and call.deadline == T0 + 7 + 10


def test_a_half_typed_menu_key_is_submitted_at_the_inter_digit_timeout():
    choices = tuple((f"t{n}", f"Тариф {n}") for n in range(12))  # keys 1..12: two digits at most
    call = at("voice_tariff_list", choices=choices)
    assert answer_length(MENUS, call, TIMERS) == 2
    call, answer = press(MENUS, call, "1", T0 + 1)
    assert answer is None and call.waiting is Waiting.NEXT_DIGIT
    call, answer = expire(MENUS, call, T0 + 6)
    assert answer == "1" and call.timeouts == 0
    again = at("voice_tariff_list", choices=choices)
    again, _ = press(MENUS, again, "1", T0 + 1)
    again, answer = press(MENUS, again, "2", T0 + 2)
    assert answer == "12"  # the longest key reached: no waiting


def test_max_digits_submit_a_long_input_and_hash_at_a_menu_is_an_answer():
    timers = Timers(max_digits=4)
    call = at("voice_transfer_number")
    answers = []
    for key in "8926":
        call, answer = press(MENUS, call, key, T0, timers)
        answers.append(answer)
    assert answers == [None, None, None, "8926"]
    call, answer = press(MENUS, at("voice_main"), "#", T0)
    assert answer == "#"


def test_wrong_keys_count_as_failures_and_the_max_ends_the_call():
    call = at("voice_main")
    for n in range(1, 3):
        call, answer = press(MENUS, call, "9", T0 + n)
        call = step(call, answer, T0 + n)
        assert call.state is CallState.ACTIVE and call.failures == n
        assert call.prompt.startswith("Неверный выбор.\n" + WELCOME)
        assert call.deadline == T0 + n + 10  # each repeat waits for a first digit again
    call, answer = press(MENUS, call, "9", T0 + 3)
    call = step(call, answer, T0 + 3)
    assert call.state is CallState.ENDED and call.end_reason is EndReason.MAX_FAILURES
    assert call.prompt == "Слишком много ошибок. Позвоните ещё раз. До свидания."
    assert call.path == ("9", "9", "9")


def test_a_wrong_input_is_a_failure_too_and_a_new_node_starts_counting_afresh():
    call = at("voice_main")
    call = step(call, "9", T0)
    call, _ = expire(MENUS, call, T0 + 10)
    assert (call.failures, call.timeouts) == (1, 1)
    call = step(call, "2", T0 + 11)  # on to the password input
    assert call.cursor.node == "voice_type_password" and (call.failures, call.timeouts) == (0, 0)
    call = step(call, "12", T0 + 12)  # too short
    assert call.failures == 1 and call.prompt.startswith("Неверный ввод.")


def test_configured_limits_apply():
    timers = Timers(first_digit=3.0, max_timeouts=1, max_failures=1)
    call = shown(MENUS, new_call("79261234567", "0505", T0),
                 engine.Screen("hello", engine.Continuation.CONTINUE, Cursor("voice_main", "ru", Channel.VOICE)),
                 T0, timers)
    assert call.deadline == T0 + 3
    ended, _ = expire(MENUS, call, T0 + 3, timers)
    assert ended.end_reason is EndReason.MAX_TIMEOUTS
    wrong = shown(MENUS, call, engine.step(engine_menus(MENUS), call.cursor, "9"), T0 + 1, timers)
    assert wrong.end_reason is EndReason.MAX_FAILURES


def test_the_first_digit_timer_waits_for_the_prompt_to_be_played():
    call = playing(at("voice_main"), T0 + 0.1, 7.5)
    assert call.deadline == T0 + 0.1 + 7.5 + 10
    collecting, _ = press(MENUS, at("voice_type_password"), "1", T0)
    assert playing(collecting, T0, 7.5) == collecting  # only the first-digit wait moves


def test_a_paid_call_ends_when_its_money_runs_out():
    call = new_call("79267777777", "+79221110505", T0, limit=60.0)
    call = shown(MENUS, call, engine.Screen("hello", engine.Continuation.CONTINUE,
                                            Cursor("voice_main", "ru", Channel.VOICE)),
                 T0, Timers(first_digit=100))
    assert call.next_timer == T0 + 60
    ended, _ = expire(MENUS, call, T0 + 60, Timers(first_digit=100))
    assert ended.end_reason is EndReason.CREDIT_LIMIT and ended.prompt == "Средства на счёте закончились. До свидания."


def test_the_menus_goodbye_completes_the_call():
    call = at("voice_main")
    done = shown(MENUS, call, engine.Screen("До свидания.", engine.Continuation.END, None), T0 + 3)
    assert done.state is CallState.ENDED and done.end_reason is EndReason.COMPLETED and done.ended_at == T0 + 3
    assert expire(MENUS, done, T0 + 100) == (done, None)


@pytest.mark.parametrize("bad", ["", "1x", "12 3", None, 5, "E"])
def test_bad_dtmf_is_refused(bad):
    with pytest.raises(InvalidDtmf):
        check_digits(bad)


def test_all_keypad_tones_are_accepted():
    assert check_digits("0123456789*#ABCD") == "0123456789*#ABCD"


def test_call_repr_never_shows_typed_keys():
    call = replace(at("voice_type_password"), buffer="908070")
    assert "908070" not in repr(call)
