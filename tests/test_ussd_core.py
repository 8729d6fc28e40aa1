"""The USSD string parser and the dialogue table, pure (no reactor)."""

from __future__ import annotations

import tracemalloc

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.ussd.codec import looks_like_ussd, parse
from gateway.ussd.errors import InvalidUssdString
from gateway.ussd.events import Phase, Server
from gateway.ussd.session import Dialogues, Expiry
from menus.engine import Cursor


@pytest.mark.parametrize(("text", "code", "info"), [
    ("*105#", "105", ()),
    ("*105*00#", "105", ("00",)),
    ("*105*1*2#", "105", ("1", "2")),
    ("#105#", "105", ()),
    ("**21*+79261234567#", "21", ("+79261234567",)),
])
def test_r10_parse_dialled_strings(text, code, info):
    parsed = parse(text)
    assert (parsed.service_code, parsed.info) == (code, info)


@pytest.mark.parametrize("text", ["", "105", "*105", "105#", "*1a5#", "*#", "*105*0 0#", "****105#", "*" + "1" * 190 + "#"])
def test_bad_strings_are_refused_with_a_reason(text):
    with pytest.raises(InvalidUssdString) as refused:
        parse(text)
    assert str(refused.value)


@given(st.text(max_size=40))
def test_parser_never_crashes(text):
    try:
        parsed = parse(text)
    except InvalidUssdString:
        return
    assert parsed.service_code.isdigit()
    assert parse(parsed.dialled).service_code == parsed.service_code


@given(st.text(alphabet="0123456789", min_size=1, max_size=5), st.lists(st.text(alphabet="0123456789", max_size=4), max_size=5))
def test_round_trip(code, info):
    parsed = parse("*" + "*".join([code, *info]) + "#")
    assert (parsed.service_code, parsed.info) == (code, tuple(info))


def test_replies_do_not_look_like_dials():
    assert looks_like_ussd("*105#") and not looks_like_ussd("1") and not looks_like_ussd("00")


def test_one_dialogue_per_handset_a_new_dial_replaces_it():
    table = Dialogues(screen_timeout=30, dialogue_limit=180)
    first = table.open("79261234567", "105", now=0)
    second = table.open("79261234567", "105", now=1)
    assert first.session_id != second.session_id
    assert table.current("79261234567", 2) is second
    assert len(table) == 1
    assert not table.discard(first) and table.discard(second) and len(table) == 0


def test_screen_timeout_and_dialogue_limit():
    table = Dialogues(screen_timeout=30, dialogue_limit=100)
    dialogue = table.open("79261234567", "105", now=0)
    table.shown(dialogue, "menu", 0, Cursor("main", "ru"))
    assert table.current("79261234567", 29.9) is not None
    assert table.current("79261234567", 30) is None  # no reply in time
    assert table.expiry(dialogue) == (30, Expiry.SCREEN)
    dialogue = table.open("79261234567", "105", now=0)
    for now in (20, 40, 60, 80):
        table.answered(dialogue, "1", now)
        table.shown(dialogue, "menu", now, Cursor("main", "ru"))
    assert table.current("79261234567", 99) is not None
    assert table.current("79261234567", 100) is None  # whole-dialogue limit
    assert table.expiry(dialogue) == (100, Expiry.LIMIT)
    assert dialogue.history == "1*1*1*1"
    assert table.close("79261234567") is dialogue and table.close("79261234567") is None


def test_an_application_has_its_own_timeout_the_menus_none():
    table = Dialogues(screen_timeout=30, dialogue_limit=180, app_timeout=10)
    menus = table.open("79261234567", "105", now=0)
    assert table.expiry(menus) == (180, Expiry.LIMIT)  # waiting for the built-in menus
    app = table.open("79261112233", "123", now=0, server=Server.SMPP_APP)
    assert table.expiry(app) == (10, Expiry.APP)
    table.shown(app, "screen", 5)
    assert table.expiry(app) == (35, Expiry.SCREEN)
    table.answered(app, "1", 20)
    assert table.expiry(app) == (30, Expiry.APP) and app.phase is Phase.NETWORK


def test_an_open_dialogue_takes_under_4_kb():
    table = Dialogues()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    for i in range(2000):
        text = f"Сервис-Гид {i}\n1 Баланс\n2 Пароль в SMS\n3 Уведомления о входе\n4 Приложение"
        dialogue = table.open(str(79000000000 + i), "105", now=0.0)
        dialogue.record(0.0, "dial", "*105#")
        table.shown(dialogue, text, 0.01, Cursor("main", "ru", trail=("main",)))
        dialogue.record(0.01, "screen", text)
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    used = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    assert used / 2000 < 4096
